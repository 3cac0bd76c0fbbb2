"""When the Spotify client sends its batches, against a respx fake that logs every request.

Each fake request takes a short while, so the log tells which requests were in
flight together: `start b1` before `end b0` means the two overlapped.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
import pytest
import respx

from integrations.http.client import UpstreamClient
from integrations.spotify import client as spotify
from integrations.spotify.client import AppMode, SpotifyClient
from integrations.spotify.errors import AudioFeaturesUnavailable, describe_error
from integrations.spotify.records import SpotifyAlbum
from tests.integrations.test_spotify_client import ACCOUNTS, API, client, token_route

REQUEST_SECONDS = 0.02
LONG_ALBUM = "albumLong"
SHORT_ALBUM = "albumShort"


def album_track_id(album_id: str, number: int) -> str:
    return f"{album_id}-track{number:03d}"


class FakeSpotify:
    """The Spotify endpoints the client batches, answering after `REQUEST_SECONDS`.

    `events` logs `(what, endpoint, detail)` with `what` one of start, end, cancelled;
    `errors` maps an endpoint, or `(endpoint, detail)`, to the status to answer.
    """

    def __init__(self, album_lengths: dict[str, int] | None = None) -> None:
        self.album_lengths = album_lengths or {}
        self.errors: dict[Any, int] = {}
        self.slow: dict[tuple[str, Any], float] = {}
        self.events: list[tuple[str, str, Any]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        endpoint, detail = self._describe(request)
        self.events.append(("start", endpoint, detail))
        try:
            await asyncio.sleep(self._seconds(endpoint, detail))
        except asyncio.CancelledError:
            self.events.append(("cancelled", endpoint, detail))
            raise
        self.events.append(("end", endpoint, detail))
        status = self.errors.get((endpoint, detail)) or self.errors.get(endpoint)
        if status:
            message = {403: "Forbidden", 404: "non existing id"}.get(status, "Bad request")
            return httpx.Response(status, json={"error": {"status": status, "message": message}})
        return httpx.Response(200, json=self._answer(endpoint, detail))

    def _seconds(self, endpoint: str, detail: Any) -> float:
        if (endpoint, detail) in self.slow:
            return self.slow[(endpoint, detail)]
        # One-by-one requests come by the hundred; their timing is not under test.
        return 0 if endpoint in ("album", "track") else REQUEST_SECONDS

    @staticmethod
    def _describe(request: httpx.Request) -> tuple[str, Any]:
        parts = request.url.path.strip("/").split("/")[1:]  # without "v1"
        ids = tuple(request.url.params.get("ids", "").split(","))
        match parts:
            case ["albums"]:
                return "several albums", ids
            case ["albums", album_id]:
                return "album", album_id
            case ["albums", album_id, "tracks"]:
                return "album tracks", (album_id, int(request.url.params["offset"]))
            case ["tracks"]:
                return "several tracks", ids
            case ["tracks", track_id]:
                return "track", track_id
            case ["audio-features"]:
                return "audio features", ids
        raise AssertionError(f"unexpected request {request.url}")

    def _answer(self, endpoint: str, detail: Any) -> dict[str, Any]:
        if endpoint == "several albums":
            return {"albums": [self._album(album_id) for album_id in detail]}
        if endpoint == "album":
            return self._album(detail)
        if endpoint == "album tracks":
            album_id, offset = detail
            return self._tracks_page(album_id, offset)
        if endpoint == "several tracks":
            return {"tracks": [self._track(track_id) for track_id in detail]}
        if endpoint == "track":
            return self._track(detail)
        return {"audio_features": [{"id": track_id, "liveness": 0.25} for track_id in detail]}

    def _album(self, album_id: str) -> dict[str, Any] | None:
        if album_id not in self.album_lengths:
            return None
        return {
            "id": album_id,
            "name": f"Record {album_id}",
            "album_type": "album",
            "release_date": "2019",
            "total_tracks": self.album_lengths[album_id],
            "tracks": self._tracks_page(album_id, 0),
        }

    def _tracks_page(self, album_id: str, offset: int) -> dict[str, Any]:
        total = self.album_lengths[album_id]
        end = min(offset + spotify.ALBUM_TRACKS_PAGE, total)
        return {
            "items": [
                {
                    "id": album_track_id(album_id, n),
                    "name": f"Song {n}",
                    "duration_ms": 200_000,
                    "track_number": n + 1,
                }
                for n in range(offset, end)
            ],
            "total": total,
            "offset": offset,
            "next": f"{API}/v1/albums/{album_id}/tracks?offset={end}&limit=50"
            if end < total
            else None,
        }

    @staticmethod
    def _track(track_id: str) -> dict[str, Any]:
        return {"id": track_id, "external_ids": {"isrc": "USAB10000001"}, "popularity": 40}

    # --- what the log shows

    def requests(self, endpoint: str) -> list[Any]:
        return [
            detail for what, name, detail in self.events if what == "start" and name == endpoint
        ]

    def sequence(self, endpoint: str) -> list[str]:
        """start/end of the endpoint's requests in order (cancellations left out)."""
        return [what for what, name, _ in self.events if name == endpoint and what != "cancelled"]

    def position(self, what: str, endpoint: str, detail: Any) -> int:
        return self.events.index((what, endpoint, detail))


@pytest.fixture
def fake() -> FakeSpotify:
    fake = FakeSpotify()
    with respx.mock:
        token_route("t")
        respx.get(url__startswith=f"{API}/v1/").mock(side_effect=fake)
        yield fake


def run(call: Callable[[SpotifyClient], Awaitable[Any]]) -> Any:
    """`call` on a new auto-mode client of the test app, as one import phase would."""

    async def go():
        async with client() as one:
            return await call(one)

    return asyncio.run(go())


PROBE_THEN_REST = ["start", "end", "start", "start", "end", "end"]
ALL_AT_ONCE = ["start", "start", "start", "end", "end", "end"]

# Three batches each: two full ones and a last one with a single id.
ALBUM_IDS = [f"album{n:02d}" for n in range(2 * spotify.ALBUMS_PER_BATCH + 1)]
TRACK_IDS = [f"track{n:03d}" for n in range(2 * spotify.TRACKS_PER_BATCH + 1)]
FEATURE_IDS = [f"track{n:03d}" for n in range(2 * spotify.AUDIO_FEATURES_PER_BATCH + 1)]


def fetch_albums(one: SpotifyClient) -> Awaitable[list[Any]]:
    return one.albums(ALBUM_IDS)


def fetch_tracks(one: SpotifyClient) -> Awaitable[list[Any]]:
    return one.tracks(TRACK_IDS)


BATCHED = [
    pytest.param(fetch_albums, "several albums", "album", ALBUM_IDS, id="albums"),
    pytest.param(fetch_tracks, "several tracks", "track", TRACK_IDS, id="tracks"),
]


@pytest.fixture
def known_albums(fake: FakeSpotify) -> FakeSpotify:
    fake.album_lengths = dict.fromkeys(ALBUM_IDS, 1)
    return fake


# --- several albums / several tracks ------------------------------------------------


@pytest.mark.parametrize(("fetch", "batch_endpoint", "single_endpoint", "ids"), BATCHED)
def test_an_app_of_unknown_kind_sends_the_first_batch_alone_then_the_rest_at_once(
    known_albums: FakeSpotify,
    fetch: Callable[[SpotifyClient], Awaitable[list[Any]]],
    batch_endpoint: str,
    single_endpoint: str,
    ids: Sequence[str],
):
    fake = known_albums
    assert spotify._detected_modes == {}

    found = run(fetch)

    assert fake.sequence(batch_endpoint) == PROBE_THEN_REST
    assert [i for batch in fake.requests(batch_endpoint) for i in batch] == list(ids)
    assert fake.requests(single_endpoint) == []
    assert len(found) == len(ids)
    assert list(spotify._detected_modes.values()) == [AppMode.EXTENDED]


@pytest.mark.parametrize(("fetch", "batch_endpoint", "single_endpoint", "ids"), BATCHED)
def test_once_a_batch_answered_a_new_client_of_the_app_sends_every_batch_at_once(
    known_albums: FakeSpotify,
    fetch: Callable[[SpotifyClient], Awaitable[list[Any]]],
    batch_endpoint: str,
    single_endpoint: str,
    ids: Sequence[str],
):
    fake = known_albums
    run(fetch)
    fake.events.clear()

    found = run(fetch)

    assert fake.sequence(batch_endpoint) == ALL_AT_ONCE
    assert len(found) == len(ids)


@pytest.mark.parametrize(("fetch", "batch_endpoint", "single_endpoint", "ids"), BATCHED)
def test_a_second_call_on_the_same_client_sends_every_batch_at_once(
    known_albums: FakeSpotify,
    fetch: Callable[[SpotifyClient], Awaitable[list[Any]]],
    batch_endpoint: str,
    single_endpoint: str,
    ids: Sequence[str],
):
    fake = known_albums

    async def twice(one: SpotifyClient) -> None:
        await fetch(one)
        fake.events.clear()
        await fetch(one)

    run(twice)

    assert fake.sequence(batch_endpoint) == ALL_AT_ONCE


def test_what_one_app_learned_does_not_spare_another_app_the_probe(known_albums: FakeSpotify):
    fake = known_albums
    run(fetch_albums)
    fake.events.clear()
    token_route("other")

    async def go():
        async with SpotifyClient(
            UpstreamClient(provider="Spotify", base_url=API, describe_error=describe_error),
            accounts_url=ACCOUNTS,
            client_id="another client",
            client_secret="secret",
            mode=AppMode.AUTO,
            market="US",
        ) as other:
            await other.albums(ALBUM_IDS)

    asyncio.run(go())

    assert fake.sequence("several albums") == PROBE_THEN_REST


@pytest.mark.parametrize(("fetch", "batch_endpoint", "single_endpoint", "ids"), BATCHED)
def test_an_app_configured_as_extended_never_probes(
    known_albums: FakeSpotify,
    settings,
    fetch: Callable[[SpotifyClient], Awaitable[list[Any]]],
    batch_endpoint: str,
    single_endpoint: str,
    ids: Sequence[str],
):
    fake = known_albums
    settings.SPOTIFY_API_URL = API
    settings.SPOTIFY_ACCOUNTS_URL = ACCOUNTS
    settings.SPOTIFY_CLIENT_ID = "client"
    settings.SPOTIFY_CLIENT_SECRET = "secret"
    settings.SPOTIFY_APP_MODE = "extended"
    settings.SPOTIFY_RPS = 0

    async def go():
        async with SpotifyClient.from_settings() as one:
            return await fetch(one)

    found = asyncio.run(go())

    assert fake.sequence(batch_endpoint) == ALL_AT_ONCE
    assert len(found) == len(ids)


@pytest.mark.parametrize(("fetch", "batch_endpoint", "single_endpoint", "ids"), BATCHED)
def test_a_refused_batch_of_an_app_of_unknown_kind_costs_one_request(
    known_albums: FakeSpotify,
    fetch: Callable[[SpotifyClient], Awaitable[list[Any]]],
    batch_endpoint: str,
    single_endpoint: str,
    ids: Sequence[str],
):
    fake = known_albums
    fake.errors[batch_endpoint] = 403

    found = run(fetch)

    assert len(fake.requests(batch_endpoint)) == 1
    assert sorted(fake.requests(single_endpoint)) == sorted(ids)
    assert len(found) == len(ids)
    assert list(spotify._detected_modes.values()) == [AppMode.DEVELOPMENT]


@pytest.mark.parametrize(("fetch", "batch_endpoint", "single_endpoint", "ids"), BATCHED)
def test_a_refused_batch_switches_an_app_known_as_extended_to_development(
    known_albums: FakeSpotify,
    fetch: Callable[[SpotifyClient], Awaitable[list[Any]]],
    batch_endpoint: str,
    single_endpoint: str,
    ids: Sequence[str],
):
    fake = known_albums
    run(fetch)
    assert list(spotify._detected_modes.values()) == [AppMode.EXTENDED]
    fake.events.clear()
    fake.errors[batch_endpoint] = 403

    async def go(one: SpotifyClient):
        found = await fetch(one)
        return one.mode, found

    mode, found = run(go)

    assert mode == AppMode.DEVELOPMENT
    assert len(fake.requests(batch_endpoint)) == 3
    assert sorted(fake.requests(single_endpoint)) == sorted(ids)
    assert len(found) == len(ids)
    assert list(spotify._detected_modes.values()) == [AppMode.DEVELOPMENT]
    # The next phase asks one by one from the start.
    fake.events.clear()
    run(fetch)
    assert fake.requests(batch_endpoint) == []


# --- audio features ---------------------------------------------------------------


def fetch_liveness(one: SpotifyClient) -> Awaitable[dict[str, float | None]]:
    return one.liveness(FEATURE_IDS)


def test_audio_features_go_first_batch_alone_until_the_app_got_an_answer(fake: FakeSpotify):
    liveness = run(fetch_liveness)

    assert fake.sequence("audio features") == PROBE_THEN_REST
    assert liveness == dict.fromkeys(FEATURE_IDS, 0.25)
    assert len(spotify._audio_features_seen) == 1

    fake.events.clear()
    assert run(fetch_liveness) == liveness
    assert fake.sequence("audio features") == ALL_AT_ONCE


def test_refused_audio_features_raise_and_the_app_is_probed_again(fake: FakeSpotify):
    run(fetch_liveness)
    fake.events.clear()
    fake.errors["audio features"] = 403

    with pytest.raises(AudioFeaturesUnavailable, match="403"):
        run(fetch_liveness)
    assert len(fake.requests("audio features")) == 3  # the app was known to get answers
    assert spotify._audio_features_seen == set()

    fake.events.clear()
    with pytest.raises(AudioFeaturesUnavailable):
        run(fetch_liveness)
    assert len(fake.requests("audio features")) == 1


def test_refused_audio_features_of_an_unknown_app_cost_one_request(fake: FakeSpotify):
    fake.errors["audio features"] = 403

    with pytest.raises(AudioFeaturesUnavailable):
        run(fetch_liveness)

    assert len(fake.requests("audio features")) == 1
    assert spotify._audio_features_seen == set()


def test_asking_liveness_of_no_track_does_not_count_as_an_answer(fake: FakeSpotify):
    assert run(lambda one: one.liveness([])) == {}
    fake.errors["audio features"] = 403

    with pytest.raises(AudioFeaturesUnavailable):
        run(fetch_liveness)

    assert len(fake.requests("audio features")) == 1


# --- long albums: extra track pages alongside the albums ----------------------------


LONG_ALBUM_TRACKS = 120  # the album object lists 50; pages at offsets 50 and 100


@pytest.mark.parametrize(
    ("reported", "early_offsets", "late_offsets"),
    [
        pytest.param(LONG_ALBUM_TRACKS, [50, 100], [], id="exact"),
        pytest.param(80, [50], [100], id="under-reported"),
        pytest.param(None, [], [50, 100], id="not-given"),
    ],
)
def test_the_extra_pages_of_a_long_album_are_fetched_once_and_early_when_counted(
    fake: FakeSpotify, reported: int | None, early_offsets: list[int], late_offsets: list[int]
):
    fake.album_lengths = {LONG_ALBUM: LONG_ALBUM_TRACKS, SHORT_ALBUM: 3}
    track_counts = None if reported is None else {LONG_ALBUM: reported, SHORT_ALBUM: 3}

    albums = run(lambda one: one.albums([LONG_ALBUM, SHORT_ALBUM], track_counts=track_counts))

    long_album, short_album = albums
    assert [t.spotify_id for t in long_album.tracks] == [
        album_track_id(LONG_ALBUM, n) for n in range(LONG_ALBUM_TRACKS)
    ]
    assert len(short_album.tracks) == 3
    batch = (LONG_ALBUM, SHORT_ALBUM)
    assert fake.requests("several albums") == [batch]
    assert fake.requests("album tracks") == [(LONG_ALBUM, o) for o in early_offsets + late_offsets]
    assert len(fake.events) == 2 * (1 + len(early_offsets) + len(late_offsets))
    batch_answered = fake.position("end", "several albums", batch)
    for offset in early_offsets:
        assert fake.position("start", "album tracks", (LONG_ALBUM, offset)) < batch_answered
    for offset in late_offsets:
        assert fake.position("start", "album tracks", (LONG_ALBUM, offset)) > batch_answered


def never_retrieved(caplog: pytest.LogCaptureFixture) -> list[str]:
    gc.collect()  # an unretrieved task exception is logged when the task is collected
    return [r.getMessage() for r in caplog.records if "never retrieved" in r.getMessage()]


def test_an_unneeded_page_still_in_flight_is_cancelled(
    fake: FakeSpotify, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.ERROR, logger="asyncio")
    fake.album_lengths = {LONG_ALBUM: LONG_ALBUM_TRACKS}
    fake.slow[("album tracks", (LONG_ALBUM, 150))] = 5.0

    async def fetch(one: SpotifyClient) -> list[SpotifyAlbum]:
        albums = await one.albums([LONG_ALBUM], track_counts={LONG_ALBUM: 200})
        fake.events.append(("returned", "albums", None))
        return albums

    albums = run(fetch)

    assert [t.spotify_id for t in albums[0].tracks] == [
        album_track_id(LONG_ALBUM, n) for n in range(LONG_ALBUM_TRACKS)
    ]
    assert fake.requests("album tracks") == [(LONG_ALBUM, o) for o in (50, 100, 150)]
    # Stopped by `albums()` itself, not left running for the event loop to clean up.
    assert fake.position("cancelled", "album tracks", (LONG_ALBUM, 150)) < fake.position(
        "returned", "albums", None
    )
    assert never_retrieved(caplog) == []


@pytest.mark.parametrize(
    ("lengths", "track_counts"),
    [
        pytest.param({LONG_ALBUM: 120}, {LONG_ALBUM: 200}, id="over-reported"),
        pytest.param({}, {LONG_ALBUM: 120}, id="album-gone"),
    ],
)
def test_a_failed_unneeded_page_neither_fails_the_albums_nor_goes_unretrieved(
    fake: FakeSpotify,
    caplog: pytest.LogCaptureFixture,
    lengths: dict[str, int],
    track_counts: dict[str, int],
):
    caplog.set_level(logging.ERROR, logger="asyncio")
    fake.album_lengths = lengths
    # Answered (and failed) while the several-albums batch is still in flight.
    for offset in range(50, track_counts[LONG_ALBUM], 50):
        if offset >= lengths.get(LONG_ALBUM, 0):
            fake.slow[("album tracks", (LONG_ALBUM, offset))] = 0
            fake.errors[("album tracks", (LONG_ALBUM, offset))] = 404

    albums = run(lambda one: one.albums([LONG_ALBUM], track_counts=track_counts))

    assert [len(album.tracks) for album in albums] == list(lengths.values())
    assert never_retrieved(caplog) == []
