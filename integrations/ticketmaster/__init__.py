"""Ticketmaster Discovery API v2: `client` (the endpoints we use), `parsing` (answers into
the typed `records`) and `errors` (how Ticketmaster and its API gateway word a refusal)."""
