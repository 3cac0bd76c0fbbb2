"""Spotify accounts and Web API as the sandbox serves them, over HTTP and in-process."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from sandbox.common import fold
from sandbox.config import SandboxConfig
from sandbox.world import Album, Artist, build_world
from tests.sandbox.support import ANCHOR, BAND_SPOTIFY, bearer, spotify_id

pytestmark = pytest.mark.anyio

FIRST_RECORD = spotify_id("0edgeAlbum", 1)
BIG_BOX = spotify_id("0edgeAlbum", 2)
WITH_ISRC = spotify_id("0edgeTrackA", 1)
NO_ISRC = spotify_id("0edgeTrackA", 2)
NO_FEATURES = spotify_id("0edgeTrackA", 3)
UNKNOWN = spotify_id("0edgeUnknown", 1)
DEVELOPMENT = SandboxConfig(tm_rps=0, spotify_app="development")


def error(status: int, message: str) -> dict:
    return {"error": {"status": status, "message": message}}


async def test_token_and_its_errors(open_sandbox, edge_world):
    config = SandboxConfig(spotify_client_id="app", spotify_client_secret="s3cret")
    async with open_sandbox(edge_world, config) as client:
        grant = {"grant_type": "client_credentials"}
        ok = await client.post("/api/token", data=grant, auth=("app", "s3cret"))
        wrong_secret = await client.post("/api/token", data=grant, auth=("app", "nope"))
        wrong_client = await client.post("/api/token", data=grant, auth=("other", "s3cret"))
        no_auth = await client.post("/api/token", data=grant)
        bad_grant = await client.post(
            "/api/token", data={"grant_type": "password"}, auth=("app", "s3cret")
        )
        basic = base64.b64encode(b"app:s3cret").decode()
        by_header = await client.post(
            "/api/token", data=grant, headers={"Authorization": f"Basic {basic}"}
        )
    assert ok.status_code == 200 and by_header.status_code == 200
    body = ok.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["access_token"]
    assert wrong_secret.status_code == 400
    assert wrong_secret.json() == {
        "error": "invalid_client",
        "error_description": "Invalid client secret",
    }
    for refused in (wrong_client, no_auth):
        assert refused.status_code == 400
        assert refused.json() == {"error": "invalid_client", "error_description": "Invalid client"}
    assert bad_grant.status_code == 400
    assert bad_grant.json()["error"] == "unsupported_grant_type"


async def test_missing_invalid_and_expired_tokens(open_sandbox, edge_world):
    config = SandboxConfig(tm_rps=0, token_ttl_seconds=0.5)
    path = f"/v1/artists/{BAND_SPOTIFY}"
    async with open_sandbox(edge_world, config) as client:
        missing = await client.get(path)
        invalid = await client.get(path, headers={"Authorization": "Bearer not-a-token"})
        headers = await bearer(client)
        fresh = await client.get(path, headers=headers)
        await asyncio.sleep(0.55)
        expired = await client.get(path, headers=headers)
    assert missing.status_code == 401 and missing.json() == error(401, "No token provided")
    assert invalid.status_code == 401 and invalid.json() == error(401, "Invalid access token")
    assert fresh.status_code == 200
    assert expired.status_code == 401 and expired.json() == error(401, "The access token expired")


async def test_rate_limit_is_a_rolling_30_s_window_with_retry_after(open_sandbox, edge_world):
    config = SandboxConfig(tm_rps=0, spotify_rps=0.1)  # 3 requests per 30 s per app
    path = f"/v1/artists/{BAND_SPOTIFY}"
    async with open_sandbox(edge_world, config) as client:
        headers = await bearer(client, "app-one")
        answers = [await client.get(path, headers=headers) for _ in range(4)]
        other_app = await client.get(path, headers=await bearer(client, "app-two"))
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[3]
    assert refused.json()["error"]["status"] == 429
    # Until the first request leaves the window: up to 30.001 s, rounded up to whole seconds.
    assert 25 <= int(refused.headers["Retry-After"]) <= 31
    assert other_app.status_code == 200  # the window is per app


@pytest.mark.parametrize(
    ("app_mode", "retry_after", "expected_retry_after", "body"),
    [
        ("extended", None, 30, error(429, "API rate limit exceeded")),
        ("extended", 120, 120, error(429, "API rate limit exceeded")),
        (
            "development",
            3600,
            3600,
            {"error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}},
        ),
    ],
    ids=["computed-wait", "retry-after-120", "development-quota-3600"],
)
async def test_429_refuses_until_its_retry_after_has_passed(
    open_sandbox, edge_world, clock, app_mode, retry_after, expected_retry_after, body
):
    config = SandboxConfig(
        tm_rps=0, spotify_rps=0.1, spotify_app=app_mode, spotify_retry_after_seconds=retry_after
    )  # 3 requests per 30 s per app
    path = f"/v1/artists/{BAND_SPOTIFY}"
    async with open_sandbox(edge_world, config) as client:
        headers = await bearer(client)
        admitted = [await client.get(path, headers=headers) for _ in range(3)]
        clock.advance(100)
        refused = await client.get(path, headers=headers)
        held_until = clock.now_ms + expected_retry_after * 1000
        clock.advance(500)
        still_refused = await client.get(path, headers=headers)
        clock.now_ms = held_until - 1  # the window has long had room when the wait is long
        last_refused = await client.get(path, headers=headers)
        clock.now_ms = held_until
        admitted_again = await client.get(path, headers=headers)
        stats = (await client.get("/_sandbox/stats")).json()
    assert [a.status_code for a in admitted] == [200, 200, 200]
    assert refused.status_code == 429 and refused.json() == body
    assert refused.headers["Retry-After"] == str(expected_retry_after)
    # Later 429s ask for what is left of the same wait, rounded up to whole seconds.
    assert still_refused.json() == body
    assert still_refused.headers["Retry-After"] == str(expected_retry_after)
    assert last_refused.status_code == 429 and last_refused.headers["Retry-After"] == "1"
    assert admitted_again.status_code == 200
    assert stats["rate_limited_by_endpoint"] == {"spotify.artist": 3}


async def test_artist(open_sandbox, edge_world):
    async with open_sandbox(edge_world) as client:
        headers = await bearer(client)
        artist = await client.get(f"/v1/artists/{BAND_SPOTIFY}", headers=headers)
        unknown = await client.get(f"/v1/artists/{UNKNOWN}", headers=headers)
        malformed = await client.get("/v1/artists/not-an-id", headers=headers)
    body = artist.json()
    assert body["id"] == BAND_SPOTIFY and body["uri"] == f"spotify:artist:{BAND_SPOTIFY}"
    assert {"popularity", "followers", "genres"} <= set(body)
    assert unknown.status_code == 404 and unknown.json() == error(404, "non existing id")
    assert malformed.status_code == 400 and malformed.json() == error(400, "invalid id")


async def test_artist_albums_list_each_album_once(open_sandbox, edge_world):
    path = f"/v1/artists/{BAND_SPOTIFY}/albums"
    async with open_sandbox(edge_world) as client:
        headers = await bearer(client)
        params = {"include_groups": "album,single", "limit": 50}
        without = await client.get(path, headers=headers, params=params)
        with_market = await client.get(path, headers=headers, params={**params, "market": "GB"})
        appears_on = await client.get(
            path, headers=headers, params={"include_groups": "appears_on"}
        )
    ids = [a["id"] for a in without.json()["items"]]
    assert len(set(ids)) == len(ids)  # sold in several markets, listed once
    assert ids.count(FIRST_RECORD) == 1  # sold in US, GB and DE
    assert BIG_BOX not in ids  # compilation not asked for
    assert without.json()["total"] == len(ids) == 1 + 1 + 20
    market_ids = [a["id"] for a in with_market.json()["items"]]
    assert market_ids == [FIRST_RECORD, spotify_id("0edgeAlbum", 3)]  # the only ones in GB
    assert {a["album_group"] for a in without.json()["items"]} == {"album", "single"}
    (various,) = appears_on.json()["items"]
    assert various["album_group"] == "appears_on" and various["album_type"] == "compilation"


def regional_releases(artist: Artist) -> dict[str, Album]:
    """The artist's regional releases (the albums not sold in the US) -> their originals."""
    isrcs = {a.spotify_id: [t.isrc for t in a.tracks] for a in artist.albums}
    return {
        album.spotify_id: next(
            other
            for other in artist.albums
            if "US" in other.available_markets
            and other.name == album.name
            and isrcs[other.spotify_id] == isrcs[album.spotify_id]
        )
        for album in artist.albums
        if "US" not in album.available_markets
    }


async def whole_listing(client, headers, path: str, params: dict) -> list[dict]:
    """Every item of a paged listing, checking each page's `total`, `offset` and `next`."""
    items: list[dict] = []
    page = (await client.get(path, headers=headers, params=params)).json()
    total = page["total"]
    while True:
        assert page["total"] == total and page["offset"] == len(items)
        items += page["items"]
        assert (page["next"] is None) == (len(items) >= total), page["next"]
        if page["next"] is None:
            break
        assert len(page["items"]) == page["limit"]
        page = (await client.get(page["next"], headers=headers)).json()
    assert len(items) == total
    return items


@pytest.mark.parametrize("app_mode", ["extended", "development"])
@pytest.mark.parametrize("market", [None, "US", "JP", "AT"], ids=lambda m: m or "no-market")
async def test_artist_albums_and_regional_releases(open_sandbox, builtin_world, market, app_mode):
    """Without `market` regional releases are listed beside their originals, each id
    once; with it, exactly the albums sold there."""
    prolific = next(a for a in builtin_world.artists if a.profile == "prolific")
    regional = regional_releases(prolific)
    assert len(regional) == 4
    path = f"/v1/artists/{prolific.spotify_id}/albums"
    params = {"include_groups": "album,single", "limit": 50 if app_mode == "extended" else 10}
    if market:
        params["market"] = market
    config = SandboxConfig(tm_rps=0, spotify_app=app_mode)
    async with open_sandbox(builtin_world, config) as client:
        items = await whole_listing(client, await bearer(client), path, params)
    ids = [item["id"] for item in items]
    assert len(set(ids)) == len(ids)
    sold = {
        album.spotify_id: album.available_markets
        for album in prolific.albums
        if album.group in ("album", "single")
        and (market is None or market in album.available_markets)
    }
    assert set(ids) == set(sold)
    if app_mode == "extended":
        assert all(item["available_markets"] == sold[item["id"]] for item in items)
    listed_regional = {i for i in ids if i in regional}
    if market is None:
        assert listed_regional == set(regional)
        assert {original.spotify_id for original in regional.values()} <= set(ids)
    elif market == "US":
        assert listed_regional == set()
    else:
        # The region's release stands in for the original there.
        (release,) = listed_regional
        assert regional[release].spotify_id not in ids


@pytest.mark.parametrize("profile", ["mid", "prolific"])
async def test_regional_release_has_own_ids_and_the_same_isrcs(
    open_sandbox, builtin_world, profile
):
    artist = next(a for a in builtin_world.artists if a.profile == profile)
    regional = regional_releases(artist)
    assert regional
    async with open_sandbox(builtin_world) as client:
        headers = await bearer(client)
        listing = await whole_listing(
            client, headers, f"/v1/artists/{artist.spotify_id}/albums", {"limit": 50}
        )
        listed = {item["id"]: item for item in listing}

        async def recordings(album_id: str) -> list[tuple]:
            """(track id, ISRC, name, duration) through album tracks, then several tracks."""
            page = await client.get(
                f"/v1/albums/{album_id}/tracks", headers=headers, params={"limit": 50}
            )
            ids = [track["id"] for track in page.json()["items"]]
            tracks = await client.get("/v1/tracks", headers=headers, params={"ids": ",".join(ids)})
            return [
                (t["id"], t["external_ids"].get("isrc"), t["name"], t["duration_ms"])
                for t in tracks.json()["tracks"]
            ]

        for release, original in regional.items():
            markets = listed[release]["available_markets"]
            assert "US" not in markets and not set(markets) & set(original.available_markets)
            assert listed[original.spotify_id]["name"] == listed[release]["name"]
            copies, originals = await recordings(release), await recordings(original.spotify_id)
            assert [c[1:] for c in copies] == [o[1:] for o in originals]
            assert any(c[1] for c in copies)  # ISRCs to compare, not only missing ones
            assert not {c[0] for c in copies} & {o[0] for o in originals}


async def test_song_labels_are_not_served(open_sandbox):
    """The song a track records is the generator's truth, not a Spotify field: the world
    with every song label taken off is served the same, byte for byte."""
    labelled = build_world(scenario_sources=["mid"], seed=0, anchor=ANCHOR)
    unlabelled = build_world(scenario_sources=["mid"], seed=0, anchor=ANCHOR)
    for artist in unlabelled.artists:
        for album in artist.albums:
            for track in album.tracks:
                track.song = None
    mid = next(a for a in labelled.artists if a.profile == "mid")
    assert all(t.song for album in mid.albums for t in album.tracks)
    answers = []
    for world in (labelled, unlabelled):
        async with open_sandbox(world) as client:
            headers = await bearer(client)
            listing = await whole_listing(
                client, headers, f"/v1/artists/{mid.spotify_id}/albums", {"limit": 50}
            )
            served = [listing]
            for start in range(0, len(listing), 20):
                ids = ",".join(album["id"] for album in listing[start : start + 20])
                albums = await client.get("/v1/albums", headers=headers, params={"ids": ids})
                served.append(albums.json())
            for album in mid.albums:
                track_ids = [track.spotify_id for track in album.tracks[:50]]
                tracks = await client.get(
                    "/v1/tracks", headers=headers, params={"ids": ",".join(track_ids)}
                )
                served.append(tracks.json())
            # Over HTTP each sandbox has its own port, which the hrefs name.
            answers.append(json.dumps(served).replace(str(client.base_url).rstrip("/"), ""))
    assert answers[0] == answers[1]
    assert '"song"' not in answers[0]


async def test_paging_urls_are_absolute_and_point_at_the_sandbox(open_sandbox, edge_world):
    path = f"/v1/artists/{BAND_SPOTIFY}/albums"
    async with open_sandbox(edge_world) as client:
        headers = await bearer(client)
        first = (await client.get(path, headers=headers, params={"market": "US"})).json()
        assert first["limit"] == 20 and first["previous"] is None
        assert first["next"].startswith(f"{client.base_url}{path}?offset=20&limit=20")
        assert "market=US" in first["next"]
        second = (await client.get(first["next"], headers=headers)).json()
    assert second["offset"] == 20 and second["next"] is None
    assert second["previous"].startswith(f"{client.base_url}{path}?offset=0&limit=20")
    assert len(first["items"]) + len(second["items"]) == first["total"] == 24


async def test_limits_and_offsets(open_sandbox, edge_world):
    path = f"/v1/artists/{BAND_SPOTIFY}/albums"
    async with open_sandbox(edge_world) as client:
        headers = await bearer(client)
        too_big = await client.get(path, headers=headers, params={"limit": 51})
        zero = await client.get(path, headers=headers, params={"limit": 0})
        bad_offset = await client.get(path, headers=headers, params={"offset": -1})
        bad_group = await client.get(path, headers=headers, params={"include_groups": "albums"})
        bad_market = await client.get(path, headers=headers, params={"market": "XX"})
        search_deep = await client.get(
            "/v1/search", headers=headers, params={"q": "a", "type": "artist", "offset": 1001}
        )
    assert too_big.status_code == 400 and too_big.json() == error(400, "Invalid limit")
    assert zero.status_code == 400
    for refused in (bad_offset, bad_group, bad_market, search_deep):
        assert refused.status_code == 400


async def test_album_with_more_than_50_tracks(open_sandbox, edge_world):
    async with open_sandbox(edge_world) as client:
        headers = await bearer(client)
        album = (await client.get(f"/v1/albums/{BIG_BOX}", headers=headers)).json()
        rest = (await client.get(album["tracks"]["next"], headers=headers)).json()
        page = await client.get(
            f"/v1/albums/{BIG_BOX}/tracks", headers=headers, params={"limit": 7, "offset": 56}
        )
        too_big = await client.get(
            f"/v1/albums/{BIG_BOX}/tracks", headers=headers, params={"limit": 51}
        )
    tracks = album["tracks"]
    assert album["total_tracks"] == 60 and tracks["total"] == 60 and len(tracks["items"]) == 50
    assert tracks["next"] == f"{client.base_url}/v1/albums/{BIG_BOX}/tracks?offset=50&limit=50"
    assert len(rest["items"]) == 10 and rest["next"] is None
    assert [t["track_number"] for t in page.json()["items"]] == [57, 58, 59, 60]
    assert too_big.status_code == 400
    assert {"label", "popularity", "copyrights", "external_ids"} <= set(album)


async def test_tracks_isrc_and_unknown_ids(open_sandbox, edge_world):
    async with open_sandbox(edge_world) as client:
        headers = await bearer(client)
        with_isrc = (await client.get(f"/v1/tracks/{WITH_ISRC}", headers=headers)).json()
        no_isrc = (await client.get(f"/v1/tracks/{NO_ISRC}", headers=headers)).json()
        unknown = await client.get(f"/v1/tracks/{UNKNOWN}", headers=headers)
        batch = await client.get(
            "/v1/tracks", headers=headers, params={"ids": f"{WITH_ISRC},{UNKNOWN},{NO_ISRC}"}
        )
        malformed = await client.get(
            "/v1/tracks", headers=headers, params={"ids": f"{WITH_ISRC},bad!id"}
        )
    assert with_isrc["external_ids"] == {"isrc": "USAB10000001"}
    assert "popularity" in with_isrc and with_isrc["album"]["id"] == FIRST_RECORD
    assert no_isrc["external_ids"] == {}
    assert unknown.status_code == 404
    found = batch.json()["tracks"]
    assert [t and t["id"] for t in found] == [WITH_ISRC, None, NO_ISRC]
    assert malformed.status_code == 400 and malformed.json() == error(400, "invalid id")


@pytest.mark.parametrize(
    ("path", "key", "ids", "maximum"),
    [
        ("/v1/albums", "albums", [spotify_id("0edgeExtra", n) for n in range(1, 21)], 20),
        ("/v1/tracks", "tracks", [spotify_id("0edgeTrackB", n) for n in range(1, 51)], 50),
        (
            "/v1/audio-features",
            "audio_features",
            [spotify_id("0edgeTrackB", n) for n in range(1, 61)]
            + [spotify_id("0edgeTrackE", n) for n in range(1, 21)]
            + [spotify_id("0edgeUnknown", n) for n in range(1, 21)],
            100,
        ),
    ],
)
async def test_batch_maximum(open_sandbox, edge_world, path, key, ids, maximum):
    assert len(ids) == maximum
    async with open_sandbox(edge_world) as client:
        headers = await bearer(client)
        full = await client.get(path, headers=headers, params={"ids": ",".join(ids)})
        over = await client.get(path, headers=headers, params={"ids": ",".join([*ids, ids[0]])})
    assert full.status_code == 200
    assert len(full.json()[key]) == maximum
    assert over.status_code == 400
    assert over.json() == error(400, "too many ids requested")


async def test_audio_features(open_sandbox, edge_world):
    ids = f"{WITH_ISRC},{NO_FEATURES},{UNKNOWN}"
    async with open_sandbox(edge_world) as client:
        headers = await bearer(client)
        features = await client.get("/v1/audio-features", headers=headers, params={"ids": ids})
    first, no_features, unknown = features.json()["audio_features"]
    assert first["id"] == WITH_ISRC and first["liveness"] == 0.11
    assert first["type"] == "audio_features"
    assert no_features is None and unknown is None


async def test_audio_features_forbidden(open_sandbox, edge_world):
    async with open_sandbox(edge_world, SandboxConfig(audio_features="forbidden")) as client:
        headers = await bearer(client)
        response = await client.get(
            "/v1/audio-features", headers=headers, params={"ids": WITH_ISRC}
        )
    assert response.status_code == 403
    assert response.json() == {"error": {"status": 403}}


async def test_development_mode(open_sandbox, edge_world):
    async with open_sandbox(edge_world, DEVELOPMENT) as client:
        headers = await bearer(client)
        albums = await client.get("/v1/albums", headers=headers, params={"ids": FIRST_RECORD})
        tracks = await client.get("/v1/tracks", headers=headers, params={"ids": WITH_ISRC})
        features = await client.get(
            "/v1/audio-features", headers=headers, params={"ids": WITH_ISRC}
        )
        listing_path = f"/v1/artists/{BAND_SPOTIFY}/albums"
        default_listing = await client.get(listing_path, headers=headers)
        limit_11 = await client.get(listing_path, headers=headers, params={"limit": 11})
        limit_10 = await client.get(listing_path, headers=headers, params={"limit": 10})
        search_11 = await client.get(
            "/v1/search", headers=headers, params={"q": "band", "type": "artist", "limit": 11}
        )
        artist = (await client.get(f"/v1/artists/{BAND_SPOTIFY}", headers=headers)).json()
        album = (await client.get(f"/v1/albums/{FIRST_RECORD}", headers=headers)).json()
        track = (await client.get(f"/v1/tracks/{WITH_ISRC}", headers=headers)).json()
    assert albums.status_code == 403 and albums.json() == error(403, "Forbidden")
    assert tracks.status_code == 403 and tracks.json() == error(403, "Forbidden")
    assert features.status_code == 403 and features.json() == {"error": {"status": 403}}
    assert default_listing.json()["limit"] == 5
    assert limit_10.status_code == 200
    for refused in (limit_11, search_11):
        assert refused.status_code == 400 and refused.json() == error(400, "Invalid limit")
    assert not {"popularity", "followers", "genres"} & set(artist)
    assert not {"popularity", "label"} & set(album)
    assert "popularity" not in track and track["external_ids"] == {"isrc": "USAB10000001"}


async def test_search_finds_names_containing_the_query(open_sandbox, builtin_world):
    unlinked = next(a for a in builtin_world.artists if not a.spotify_linked)
    assert builtin_world.decoy_spotify_artists, "the built-ins should carry decoys"
    async with open_sandbox(builtin_world) as client:
        headers = await bearer(client)
        response = await client.get(
            "/v1/search",
            headers=headers,
            params={"q": unlinked.name.upper(), "type": "artist", "limit": 50},
        )
        nothing = await client.get(
            "/v1/search", headers=headers, params={"q": "zzzz-nothing", "type": "artist"}
        )
    artists = response.json()["artists"]
    names = [a["name"] for a in artists["items"]]
    assert names[0] == unlinked.name  # exact match first, decoys after
    assert all(fold(unlinked.name) in fold(n) for n in names)  # accents ignored, as live
    assert artists["total"] == len(names)
    assert artists["href"].startswith(f"{client.base_url}/v1/search?offset=0&limit=50")
    assert nothing.json()["artists"]["items"] == [] and nothing.json()["artists"]["total"] == 0
