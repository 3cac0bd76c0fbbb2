"""Spotify links become artist ids; anything else is no id."""

import pytest

from integrations.spotify.parsing import parse_spotify_artist_id


@pytest.mark.parametrize(
    ("url", "spotify_id"),
    [
        ("https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF", "0OdUWJ0sBjDrqHygGUXeCF"),
        (
            "https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF?si=abc123",
            "0OdUWJ0sBjDrqHygGUXeCF",
        ),
        (
            "https://open.spotify.com/intl-de/artist/0OdUWJ0sBjDrqHygGUXeCF",
            "0OdUWJ0sBjDrqHygGUXeCF",
        ),
        ("https://open.spotify.com/album/4aawyAB9vmqN3uQ7FjRGTy", None),
        ("https://open.spotify.com/artist/short", None),
        ("", None),
    ],
    ids=["plain", "query-string", "intl", "album-url", "bad-id", "empty"],
)
def test_spotify_artist_id_is_parsed_defensively(url, spotify_id):
    assert parse_spotify_artist_id(url) == spotify_id
