"""The Spotify client's token handling and mode switch, against respx fakes."""

import asyncio

import httpx
import pytest
import respx

from integrations.http.client import UpstreamClient
from integrations.http.retry import RetryPolicy
from integrations.spotify.client import AppMode, SpotifyClient
from integrations.spotify.errors import describe_error

API = "https://api.spotify.test"
ACCOUNTS = "https://accounts.spotify.test"
ALBUM_ID = "1" * 22


def client(mode: str = AppMode.AUTO) -> SpotifyClient:
    upstream = UpstreamClient(
        provider="Spotify",
        base_url=API,
        retry=RetryPolicy(retries=2, retry_after_cap_seconds=60),
        describe_error=describe_error,
    )
    return SpotifyClient(
        upstream,
        accounts_url=ACCOUNTS,
        client_id="client",
        client_secret="secret",
        mode=mode,
        market="US",
    )


def token_route(*tokens: str):
    return respx.post(f"{ACCOUNTS}/api/token").mock(
        side_effect=[
            httpx.Response(
                200, json={"access_token": t, "token_type": "Bearer", "expires_in": 3600}
            )
            for t in tokens
        ]
    )


ARTIST = {"id": ALBUM_ID, "name": "Example Band", "genres": [], "images": [], "popularity": 50}
SEARCH = {"artists": {"items": [ARTIST], "total": 1, "next": None}}


@respx.mock
def test_the_token_is_fetched_once_and_reused_across_clients():
    tokens = token_route("first")
    search = respx.get(f"{API}/v1/search").mock(return_value=httpx.Response(200, json=SEARCH))

    async def go():
        async with client() as one:
            await asyncio.gather(one.search_artists("Example"), one.search_artists("Example"))
        async with client() as two:
            await two.search_artists("Example")

    asyncio.run(go())
    assert tokens.call_count == 1
    assert search.call_count == 3
    assert all(c.request.headers["Authorization"] == "Bearer first" for c in search.calls)
    assert tokens.calls[0].request.headers["Authorization"].startswith("Basic ")


@respx.mock
def test_an_expired_token_is_renewed_once_on_401():
    tokens = token_route("old", "new")

    def answer(request):
        if request.headers["Authorization"] == "Bearer old":
            return httpx.Response(
                401, json={"error": {"status": 401, "message": "The access token expired"}}
            )
        return httpx.Response(200, json=SEARCH)

    respx.get(f"{API}/v1/search").mock(side_effect=answer)

    async def go():
        async with client() as one:
            (found,) = await one.search_artists("Example")
            return found

    assert asyncio.run(go()).name == "Example Band"
    assert tokens.call_count == 2


@respx.mock
def test_a_bad_client_fails_with_the_accounts_reason():
    respx.post(f"{ACCOUNTS}/api/token").mock(
        return_value=httpx.Response(
            400, json={"error": "invalid_client", "error_description": "Invalid client"}
        )
    )

    async def go():
        async with client() as one:
            await one.search_artists("Example")

    with pytest.raises(
        Exception, match="Spotify token answered HTTP 400: invalid_client: Invalid client"
    ):
        asyncio.run(go())


@respx.mock
def test_auto_mode_switches_to_development_at_the_first_refused_batch():
    token_route("t")
    batch = respx.get(f"{API}/v1/albums").mock(
        return_value=httpx.Response(403, json={"error": {"status": 403, "message": "Forbidden"}})
    )
    album = {
        "id": ALBUM_ID,
        "name": "First Record",
        "album_type": "album",
        "release_date": "2019",
        "total_tracks": 1,
        "tracks": {
            "items": [{"id": "2" * 22, "name": "Opening", "duration_ms": 1000}],
            "total": 1,
            "next": None,
        },
    }
    single = respx.get(f"{API}/v1/albums/{ALBUM_ID}").mock(
        return_value=httpx.Response(200, json=album)
    )

    async def go():
        async with client() as one:
            albums = await one.albums([ALBUM_ID])
            return one.mode, albums

    mode, albums = asyncio.run(go())
    assert mode == AppMode.DEVELOPMENT
    assert batch.call_count == 1 and single.call_count == 1
    assert [t.name for t in albums[0].tracks] == ["Opening"]
    # Remembered: the next phase's client asks one by one from the start.
    mode, _ = asyncio.run(go())
    assert mode == AppMode.DEVELOPMENT
    assert batch.call_count == 1 and single.call_count == 2


@respx.mock
def test_extended_mode_never_switches():
    token_route("t")
    respx.get(f"{API}/v1/albums").mock(
        return_value=httpx.Response(403, json={"error": {"status": 403, "message": "Forbidden"}})
    )

    async def go():
        async with client(AppMode.EXTENDED) as one:
            await one.albums([ALBUM_ID])

    with pytest.raises(Exception, match="Spotify several albums answered HTTP 403: Forbidden"):
        asyncio.run(go())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"error": {"status": 401, "message": "The access token expired"}},
            "The access token expired",
        ),
        (
            {"error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}},
            "Too many requests (QUOTA_EXCEEDED)",
        ),
        (
            {"error": "invalid_client", "error_description": "Invalid client"},
            "invalid_client: Invalid client",
        ),
    ],
    ids=["spotify", "spotify-reason", "accounts"],
)
def test_error_bodies_become_readable_reasons(body, expected):
    assert describe_error(httpx.Response(400, json=body)) == expected
