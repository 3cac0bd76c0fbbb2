"""The catalog phase's fetch plan, against a fake client (no HTTP)."""

import asyncio

import pytest
from asgiref.sync import async_to_sync

from catalog.sync import sync_catalog
from integrations.http.errors import UpstreamError
from integrations.spotify.records import SpotifyAlbum, SpotifyAlbumSummary, SpotifyTrackSummary

SUMMARY = SpotifyAlbumSummary("alb1", "Northern Lights", "album", "album", "2020", "year", 2, "")


class FailingDetailsClient:
    """Albums answer; track details fail; audio features hang until cancelled."""

    mode = "extended"

    def __init__(self) -> None:
        self.liveness_cancelled = False

    async def artist_albums(self, artist_id):
        return [SUMMARY]

    async def albums(self, ids, *, track_counts=None):
        tracks = tuple(
            SpotifyTrackSummary(f"trk{n}", f"Song {n}", 200_000, 1, n, "alb1") for n in (1, 2)
        )
        return [SpotifyAlbum(summary=SUMMARY, tracks=tracks)]

    async def tracks(self, ids):
        await asyncio.sleep(0.01)
        raise UpstreamError(
            provider="Spotify", endpoint="several tracks", status=500, detail="server error"
        )

    async def liveness(self, ids):
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            self.liveness_cancelled = True
            raise


async def report(percent, message, counters):
    return None


@pytest.mark.django_db
def test_a_failed_fetch_raises_itself_and_cancels_its_sibling():
    client = FailingDetailsClient()
    sync = async_to_sync(sync_catalog)

    with pytest.raises(UpstreamError, match="several tracks answered HTTP 500"):
        sync(artist_id=1, spotify_artist_id="art1", client=client, report=report)
    assert client.liveness_cancelled
