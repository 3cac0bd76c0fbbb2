"""Write path: bulk upserts of 10,000 tracks and 2,000 shows (each with a bill of three
acts), first insert and an unchanged re-run, through the services production uses.

    .venv/bin/python bench/write_path.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/theset_bench \\
        .venv/bin/python bench/write_path.py
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime, timedelta

from common import record, setup_scratch_django, show, spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--shows", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    setup_scratch_django()
    from django.db import connection

    from catalog.services import StudioTrack, artist_shell_upsert, catalog_upsert
    from integrations.spotify.records import SpotifyAlbumSummary
    from integrations.ticketmaster.records import BilledAct, TicketmasterEvent, TicketmasterVenue
    from shows.services import shows_upsert

    def dataset(repeat: int):
        """Fresh ids per repeat, so every repeat's first insert really inserts."""
        artist = artist_shell_upsert(tm_attraction_id=f"K8vZ9BWrite{repeat}")
        albums = [
            SpotifyAlbumSummary(
                f"alb{repeat}{n:018d}", f"Album {n}", "album", "album", "2020", "year", 50, ""
            )
            for n in range(args.tracks // 50)
        ]
        tracks = [
            StudioTrack(
                spotify_id=f"trk{repeat}{n:018d}",
                name=f"Song {n}",
                isrc=f"USAB{repeat}{n:07d}",
                album_spotify_id=albums[n // 50].spotify_id,
                duration_ms=200_000 + n,
                popularity=n % 100,
                disc_number=1,
                track_number=n % 50 + 1,
                is_remix=False,
            )
            for n in range(args.tracks)
        ]
        venues = [
            TicketmasterVenue(f"KovZ{repeat}{n:06d}", f"Hall {n}", "", "Austin", "Texas", "TX",
                              "United States", "US", "78701", "America/Chicago", None, None)
            for n in range(args.shows // 5)
        ]  # fmt: skip
        start = date.today() + timedelta(days=1)
        # Each show's bill: the artist and two of twenty support acts (rows of their own).
        head = BilledAct(artist.tm_attraction_id, "Bench Head")
        support = [BilledAct(f"K8vZ9BSup{repeat}{n:02d}", f"Support {n}") for n in range(20)]
        events = [
            TicketmasterEvent(
                tm_event_id=f"vvG1bench{repeat}{n:07d}",
                name=f"Show {n}",
                local_date=start + timedelta(days=n // 3),
                local_time=None,
                starts_at=datetime.combine(start, datetime.min.time(), tzinfo=UTC),
                date_tba=False,
                time_tba=False,
                status="onsale",
                url="",
                image_url="",
                venue=venues[n % len(venues)],
                bill=(head, support[n % 20], support[(n + 7) % 20]),
            )
            for n in range(args.shows)
        ]
        return artist, albums, tracks, events

    samples: dict[str, list[float]] = {}
    for repeat in range(args.repeats):
        artist, albums, tracks, events = dataset(repeat)
        for label in ("first insert", "unchanged re-run"):
            began = time.perf_counter()
            catalog_upsert(artist_id=artist.pk, albums=albums, tracks=tracks)
            samples.setdefault(f"tracks {label}", []).append(time.perf_counter() - began)
            began = time.perf_counter()
            shows_upsert(artist_id=artist.pk, events=events)
            samples.setdefault(f"shows {label}", []).append(time.perf_counter() - began)
    figures = {name: spread(values) for name, values in samples.items()}
    print(f"write path on {connection.vendor}: {args.tracks} tracks, {args.shows} shows")
    for name, figure in figures.items():
        print(f"  {name:24s} {show(figure, 's')}")
    record(f"write_path_{connection.vendor}", figures)


if __name__ == "__main__":
    main()
