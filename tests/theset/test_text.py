"""The English helpers: counts agree with their nouns."""

from __future__ import annotations

import pytest

from theset.text import count_noun


@pytest.mark.parametrize(
    ("count", "noun", "plural", "expected"),
    [
        pytest.param(0, "album", None, "0 albums", id="none-is-plural"),
        pytest.param(1, "album", None, "1 album", id="one-is-singular"),
        pytest.param(2, "album", None, "2 albums", id="two-is-plural"),
        pytest.param(1350, "show", None, "1350 shows", id="many"),
        pytest.param(-1, "track", None, "-1 tracks", id="negative-is-plural"),
        pytest.param(1, "studio song", None, "1 studio song", id="two-word-noun"),
        pytest.param(
            1, "album or single", "albums and singles", "1 album or single", id="irregular-one"
        ),
        pytest.param(
            3, "album or single", "albums and singles", "3 albums and singles", id="irregular-many"
        ),
        pytest.param(2, "city", "cities", "2 cities", id="irregular-plural"),
    ],
)
def test_count_noun(count, noun, plural, expected):
    assert count_noun(count, noun, plural) == expected
