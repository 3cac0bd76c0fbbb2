"""Spotify Web API: `client` (token, app modes, batching), `parsing` (answers into the
typed `records`) and `errors` (how the Web API and the accounts service word a refusal)."""
