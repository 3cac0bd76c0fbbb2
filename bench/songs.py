"""Songs per built-in profile: each artist imported inline against the sandbox, then
its recordings kept, its songs, the largest song's versions and whether the songs equal
the sandbox oracle's (`sandbox.truth.expected_songs`, from the generator's labels); a
second import must change no song; and the CPU of grouping a catalog into songs.

    .venv/bin/python bench/songs.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/theset_bench .venv/bin/python bench/songs.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from common import PROJECT, record, setup_scratch_django, show, spread

PROFILES = ("sparse", "mid", "prolific")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="timings of the grouping")
    args = parser.parse_args()
    sys.path.insert(0, str(PROJECT))  # the sandbox starts before Django is set up
    from sandbox import profiles, truth
    from sandbox.config import SandboxConfig
    from sandbox.server import importer_environment, running_sandbox
    from sandbox.world import build_world

    world = build_world(scenario_sources=PROFILES)
    with running_sandbox(world, SandboxConfig(port=0)) as base_url:
        os.environ.update(importer_environment(base_url) | {"LOG_LEVEL": "WARNING"})
        setup_scratch_django()
        from django.db import connection

        from catalog.models import ArtistTrack, Song
        from catalog.rules import Recording, group_songs
        from imports.pipeline import run_import
        from imports.services import import_run_create

        def imported(tm_attraction_id: str):
            run = run_import(import_run_create(tm_attraction_id=tm_attraction_id).import_id)
            assert run.status == "succeeded", run.error
            return run

        def stored_songs(artist_id: int) -> dict[str, set]:
            return truth.songs_of(
                ArtistTrack.objects.filter(artist_id=artist_id).values_list(
                    "song__title", "track__isrc", "track__name", "track__duration_ms"
                )
            )

        def song_rows(artist_id: int) -> set:
            return set(
                Song.objects.filter(artist_id=artist_id).values_list(
                    "pk", "key", "title", "main_track_id", "recordings_count"
                )
            )

        figures: dict[str, dict] = {}
        print(f"songs per built-in profile on {connection.vendor}")
        for profile in PROFILES:
            tm_id = profiles.BUILTIN_ATTRACTION_IDS[profile]
            expected = next(a for a in world.artists if a.tm_attraction_id == tm_id)
            run = imported(tm_id)
            songs = stored_songs(run.artist_id)
            rows = song_rows(run.artist_id)
            again = imported(tm_id)
            largest = max(songs.items(), key=lambda item: (len(item[1]), item[0]))
            recordings = [
                Recording(*row)
                for row in ArtistTrack.objects.filter(artist_id=run.artist_id).values_list(
                    "track__spotify_id",
                    "track__name",
                    "track__isrc",
                    "track__album__album_type",
                    "track__album__release_date",
                )
            ]
            cpu = []
            for _ in range(args.repeats):
                began = time.process_time()
                group_songs(recordings)
                cpu.append((time.process_time() - began) * 1000)
            figure = {
                "raw_tracks": run.counters.get("raw_tracks", 0),
                "recordings": len(recordings),
                "songs": len(songs),
                "songs_with_versions": sum(len(keys) > 1 for keys in songs.values()),
                "largest_song": largest[0],
                "largest_song_versions": len(largest[1]),
                "equals_oracle": songs == truth.expected_songs(expected),
                "reimport_unchanged": song_rows(again.artist_id) == rows,
                "grouping_cpu_ms": spread(cpu),
            }
            figures[profile] = figure
            print(
                f"  {profile:9s} {figure['raw_tracks']:5d} tracks -> "
                f"{figure['recordings']:5d} recordings kept -> {figure['songs']:4d} songs "
                f"({figure['songs_with_versions']} with several versions); largest: "
                f"{largest[0]!r} with {len(largest[1])} versions; equals oracle: "
                f"{figure['equals_oracle']}; re-import unchanged: {figure['reimport_unchanged']}; "
                f"grouping CPU {show(figure['grouping_cpu_ms'], 'ms')}"
            )
        record(f"songs_{connection.vendor}", figures)
        if not all(f["equals_oracle"] and f["reimport_unchanged"] for f in figures.values()):
            raise SystemExit("songs differ from the oracle, or a re-import changed them")


if __name__ == "__main__":
    main()
