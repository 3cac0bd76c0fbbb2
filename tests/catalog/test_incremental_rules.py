"""Incremental catalog rules: which releases, details and audio features a re-sync fetches."""

import dataclasses
import json
from dataclasses import replace

import pytest

from catalog.rules import (
    AudioFeatures,
    AudioFeaturesPlan,
    CuratorDecision,
    CuratorNeeds,
    audio_features_plan,
    details_needed,
    details_to_fetch,
    releases_to_fetch,
)
from catalog.services import ReleaseTrack
from integrations.spotify.records import SpotifyAlbumSummary

ALBUM = SpotifyAlbumSummary("alb1", "Paper Lanterns", "album", "album", "2020-05-01", "day", 12, "")
SINGLE = SpotifyAlbumSummary("alb2", "Golden Rivers", "single", "single", "2019", "year", 1, "")

MEASURED, REFUSED = AudioFeatures.MEASURED, AudioFeatures.REFUSED


@pytest.mark.parametrize(
    ("listed", "stored", "fetch"),
    [
        ([ALBUM, SINGLE], {}, ["alb1", "alb2"]),
        ([ALBUM, SINGLE], {"alb1": ALBUM, "alb2": SINGLE}, []),
        ([ALBUM, SINGLE], {"alb2": SINGLE}, ["alb1"]),
        ([ALBUM], {"alb1": replace(ALBUM, total_tracks=11)}, ["alb1"]),
        ([ALBUM], {"alb1": replace(ALBUM, name="Paper Lanterns (Deluxe)")}, ["alb1"]),
        ([ALBUM], {"alb1": replace(ALBUM, release_date="2020")}, ["alb1"]),
        ([ALBUM], {"alb1": replace(ALBUM, album_type="compilation")}, ["alb1"]),
        # Fields the rules do not read: the stored release is still good.
        ([ALBUM], {"alb1": replace(ALBUM, image_url="https://i.scdn.co/x")}, []),
        ([ALBUM], {"alb1": replace(ALBUM, album_group="appears_on")}, []),
        # Stored releases no longer listed are not the artist's any more: nothing to fetch.
        ([SINGLE], {"alb1": ALBUM, "alb2": SINGLE}, []),
        ([ALBUM, ALBUM], {}, ["alb1"]),
        ([], {"alb1": ALBUM}, []),
    ],
    ids=[
        "nothing-stored",
        "all-stored",
        "one-new",
        "track-count-changed",
        "renamed",
        "release-date-changed",
        "type-changed",
        "image-changed",
        "group-differs",
        "one-delisted",
        "listed-twice",
        "empty-listing",
    ],
)
def test_releases_to_fetch(listed, stored, fetch):
    assert releases_to_fetch(listed, stored) == fetch


NO_OVERRIDES = CuratorNeeds.of({})


@pytest.mark.parametrize(
    ("track_name", "album_name", "decisions", "needed"),
    [
        ("Golden Rivers", "Paper Lanterns", {}, True),
        ("Golden Rivers - Live at Wembley", "Paper Lanterns", {}, False),
        ("Golden Rivers", "Live at the Roundhouse", {}, False),
        # An override by this track's id: the names do not decide alone.
        ("Golden Rivers (Live)", "Paper Lanterns", {"trk1": CuratorDecision.ALWAYS_DROP}, True),
        # Always keep by ISRC: only details tell which tracks carry it.
        ("Golden Rivers (Live)", "Paper Lanterns", {"USSB12000001": "always_keep"}, True),
        ("Golden Rivers (Live)", "Paper Lanterns", {"us-sb1-20-00001": "always_keep"}, True),
        # Always drop by ISRC does not need them: a name-dropped track is dropped anyway.
        ("Golden Rivers (Live)", "Paper Lanterns", {"USSB12000001": "always_drop"}, False),
        ("Golden Rivers (Live)", "Paper Lanterns", {"trk9": "always_keep"}, False),
    ],
    ids=[
        "studio",
        "live-title",
        "live-album",
        "override-by-id",
        "keep-by-isrc",
        "keep-by-isrc-with-dashes",
        "drop-by-isrc",
        "override-of-another-track",
    ],
)
def test_details_needed(track_name, album_name, decisions, needed):
    curator = CuratorNeeds.of({key: CuratorDecision(value) for key, value in decisions.items()})
    assert (
        details_needed(
            spotify_id="trk1", track_name=track_name, album_name=album_name, curator=curator
        )
        is needed
    )


@pytest.mark.parametrize(
    ("needed", "with_details", "fetch"),
    [
        (["a", "b"], [], ["a", "b"]),
        (["a", "b"], ["a", "b"], []),
        (["a", "b", "c"], ["b"], ["a", "c"]),
        (["a", "a"], [], ["a"]),
        ([], ["a"], []),
    ],
    ids=["none-stored", "all-stored", "some-stored", "twice", "none-needed"],
)
def test_details_to_fetch(needed, with_details, fetch):
    assert details_to_fetch(needed, with_details) == fetch


@pytest.mark.parametrize(
    ("needed", "stored", "plan"),
    [
        (["a", "b"], {}, AudioFeaturesPlan(fetch=("a", "b"), available=True)),
        (["a", "b"], {"a": MEASURED, "b": MEASURED}, AudioFeaturesPlan((), available=True)),
        (["a", "b"], {"a": MEASURED}, AudioFeaturesPlan(fetch=("b",), available=True)),
        # Refused before, nothing new: the fallback again, without asking.
        (["a", "b"], {"a": REFUSED, "b": REFUSED}, AudioFeaturesPlan((), available=False)),
        # Refused before, a new track: ask for all the unmeasured, one answer decides.
        (["a", "b"], {"a": REFUSED}, AudioFeaturesPlan(fetch=("b", "a"), available=True)),
        # Measured and refused: the app may have changed; ask the refused ones again.
        (["a", "b"], {"a": MEASURED, "b": REFUSED}, AudioFeaturesPlan(("b",), available=True)),
        # Tracks no longer needing liveness do not count.
        (["a"], {"a": MEASURED, "z": REFUSED}, AudioFeaturesPlan((), available=True)),
        ([], {"z": REFUSED}, AudioFeaturesPlan(fetch=(), available=True)),
        (["a", "a"], {}, AudioFeaturesPlan(fetch=("a",), available=True)),
    ],
    ids=[
        "none-stored",
        "all-measured",
        "one-new",
        "all-refused",
        "refused-and-new",
        "measured-and-refused",
        "unneeded-refusal",
        "none-needed",
        "twice",
    ],
)
def test_audio_features_plan(needed, stored, plan):
    assert audio_features_plan(needed, stored) == plan


@pytest.mark.parametrize(
    "track",
    [
        ReleaseTrack("t1", "Song", 200_000, 1, 1),
        ReleaseTrack("t2", "Live", 180_000, 2, 7, True, "USAB1", 55, AudioFeatures.MEASURED, 0.9),
        ReleaseTrack("t3", "Refused", 1, 1, 2, True, None, None, AudioFeatures.REFUSED, None),
    ],
    ids=["as listed", "measured", "refused"],
)
def test_a_stored_track_is_every_field_of_it_and_reads_back_the_same(track):
    stored = track.as_json()
    assert set(stored) == {field.name for field in dataclasses.fields(ReleaseTrack)}
    assert ReleaseTrack.from_json(json.loads(json.dumps(stored))) == track
