"""Fleet freshness: a catalogue of generated artists (mostly sparse and mid, a few
prolific, sharing venues and bills) imported in full, then the sandbox world advances
the way time does, then one re-sync round of all of them through a real cluster
against Ticketmaster's 5 requests a second.

    .venv/bin/python bench/fleet.py [--sparse 1700 --mid 296 --prolific 4] [--share 0.1]

It prints Ticketmaster requests per artist refreshed, Spotify requests per unchanged
artist (and per unchanged prolific catalog), the round's wall time against the bound
Ticketmaster's rate sets for the requests it needed, the rows it wrote, and whether the
rows stored equal a fresh full import of the advanced world (made afterwards on the same
scratch database, emptied).

The full imports run against a sandbox without a rate limit (a set-up, not the figure);
the round runs against one with Ticketmaster's 5 requests a second, serving the same
world advanced the same way.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter

from common import PROJECT, record, running_cluster, setup_scratch_django

TM_RPS = 5
TARGETS = {"tm_per_artist": 0.25, "spotify_unchanged_prolific": 6, "wall_ratio": 1.3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sparse", type=int, default=1700)
    parser.add_argument("--mid", type=int, default=296)
    parser.add_argument("--prolific", type=int, default=4)
    parser.add_argument("--share", type=float, default=0.1, help="artists the advance changes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency-ms", type=int, default=20)
    args = parser.parse_args()

    import sys

    sys.path.insert(0, str(PROJECT))
    import httpx

    from sandbox.config import SandboxConfig
    from sandbox.server import importer_environment, running_sandbox
    from sandbox.world import build_world

    generate = [(p, n) for p, n in (("sparse", args.sparse), ("mid", args.mid)) if n]
    generate += [("prolific", args.prolific)] if args.prolific else []
    began = time.perf_counter()
    world = build_world(scenario_sources=["sparse"], generate=generate, seed=args.seed)
    print(f"world: {len(world.artists)} artists built in {time.perf_counter() - began:.0f} s")
    ids = sorted(a.tm_attraction_id for a in world.artists)
    profiles = {a.tm_attraction_id: a.profile for a in world.artists}
    advance = {"seed": args.seed + 1, "random": {"share": args.share}}
    unlimited = SandboxConfig(port=0, seed=args.seed, tm_rps=0, tm_daily_quota=10_000_000)
    limited = SandboxConfig(
        port=0,
        seed=args.seed,
        latency_ms=args.latency_ms,
        jitter_ms=5,
        tm_rps=TM_RPS,
        tm_daily_quota=1_000_000,
    )
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["RESYNC_BATCH_SIZE"] = str(len(ids) + 1000)
    os.environ["RESYNC_SHOWS_ROUND_ARTISTS"] = str(len(ids) + 1000)
    # Each sandbox serves (and advances) a world of its own, built alike.
    twin = build_world(scenario_sources=["sparse"], generate=generate, seed=args.seed)
    with running_sandbox(twin, unlimited) as setup_url, running_sandbox(world, limited) as url:
        os.environ.update(importer_environment(setup_url))
        setup_scratch_django()
        from django.db import connection

        # 1. Everyone imported in full (unlimited set-up sandbox, fast rate).
        setup_env = {**os.environ, "TICKETMASTER_RPS": "1000", "Q_WORKERS": str(args.workers)}
        seconds, failed = import_all(ids, setup_env)
        print(f"full import of {len(ids)} artists: {seconds:.0f} s, {failed} failed")

        # 2. The world advances, alike on both sandboxes.
        changed = httpx.post(f"{url}/_sandbox/advance", json=advance, timeout=120)
        changed.raise_for_status()
        httpx.post(f"{setup_url}/_sandbox/advance", json=advance, timeout=120).raise_for_status()
        touched = touched_artists(changed.json())
        print(f"advance: {len(touched)} artists changed")

        # 3. One re-sync round of all against 5 requests a second.
        make_all_due()
        round_env = {
            **os.environ,
            **importer_environment(url),
            "TICKETMASTER_RPS": str(TM_RPS),
            "Q_WORKERS": str(args.workers),
        }
        from integrations.http.quota import quota_ledger_clear

        quota_ledger_clear()
        httpx.post(f"{url}/_sandbox/reset")
        resynced = resync_round(round_env)
        served = httpx.get(f"{url}/_sandbox/stats").json()["requests"]
        rows = resynced.pop("rows")
        after_round = fingerprint()

        # 4. The reference: a fresh full import of the advanced world.
        from django.core.management import call_command

        call_command("flush", "--noinput", verbosity=0)
        import_all(ids, setup_env)
        fresh = fingerprint()

    tm_requests = sum(n for endpoint, n in served.items() if endpoint.startswith("tm."))
    refreshed = resynced["shows_synced"]
    unchanged = {tm_id for tm_id in ids if tm_id not in touched}
    spotify = resynced["spotify_by_artist"]
    unchanged_spotify = [spotify[tm_id] for tm_id in unchanged if tm_id in spotify]
    unchanged_prolific = [
        spotify[tm_id]
        for tm_id in unchanged
        if tm_id in spotify and profiles.get(tm_id) == "prolific"
    ]
    bound = tm_requests / TM_RPS
    differences = {
        name: {
            "missing": len(fresh[name] - after_round[name]),
            "extra": len(after_round[name] - fresh[name]),
        }
        for name in fresh
    }
    figures = {
        "artists": len(ids),
        "profiles": dict(Counter(profiles.values())),
        "advance": advance,
        "artists_changed": len(touched),
        "full_import_failed": failed,
        "shows_batches": resynced["batches"],
        "shows_synced": refreshed,
        "tm_requests": tm_requests,
        "tm_per_artist": round(tm_requests / max(1, refreshed), 3),
        "spotify_requests": sum(n for e, n in served.items() if e.startswith("spotify.")),
        "spotify_token_requests": served.get("accounts.token", 0),
        "spotify_per_unchanged_artist": round(
            sum(unchanged_spotify) / max(1, len(unchanged_spotify)), 2
        ),
        "spotify_unchanged_prolific_max": max(unchanged_prolific, default=None),
        "runs": resynced["runs"],
        "runs_failed": resynced["runs_failed"],
        "wall_seconds": round(resynced["wall"], 1),
        "shows_done_seconds": resynced["shows_done_s"],
        "runs_done_seconds": resynced["runs_done_s"],
        "bound_seconds": round(bound, 1),
        "wall_ratio": round(resynced["wall"] / bound, 3) if bound else None,
        "rows_written": rows,
        "equal_to_fresh_import": all(
            d["missing"] == 0 and d["extra"] == 0 for d in differences.values()
        ),
        "differences": differences,
        "targets": TARGETS,
    }
    figures["met"] = (
        figures["tm_per_artist"] <= TARGETS["tm_per_artist"]
        and (figures["spotify_unchanged_prolific_max"] or 0)
        <= TARGETS["spotify_unchanged_prolific"]
        and (figures["wall_ratio"] or 0) <= TARGETS["wall_ratio"]
        and figures["equal_to_fresh_import"]
    )
    path = record(f"fleet_{connection.vendor}", figures)
    print(
        f"fleet ({connection.vendor}): {len(ids)} artists {figures['profiles']}, "
        f"{len(touched)} changed by the advance\n"
        f"  shows: {refreshed} artists refreshed in {resynced['batches']} batches with "
        f"{tm_requests} Ticketmaster requests = {figures['tm_per_artist']} per artist "
        f"(target <= {TARGETS['tm_per_artist']})\n"
        f"  catalog: {resynced['runs']} re-sync runs ({resynced['runs_failed']} failed), "
        f"{figures['spotify_per_unchanged_artist']} Spotify requests per unchanged artist, "
        f"at most {figures['spotify_unchanged_prolific_max']} for an unchanged prolific "
        f"catalog (target <= {TARGETS['spotify_unchanged_prolific']}); "
        f"{figures['spotify_token_requests']} token requests\n"
        f"  wall {figures['wall_seconds']} s against a bound of {figures['bound_seconds']} s "
        f"({tm_requests} requests / {TM_RPS} rps) = {figures['wall_ratio']}x "
        f"(target <= {TARGETS['wall_ratio']}); shows batches done after "
        f"{figures['shows_done_seconds']} s, re-sync runs after {figures['runs_done_seconds']} s\n"
        f"  rows written: {rows}\n"
        f"  stored rows equal a fresh full import of the advanced world: "
        f"{figures['equal_to_fresh_import']} {differences}\n"
        f"  targets met: {figures['met']}; saved to {path.relative_to(PROJECT)}"
    )


def import_all(ids: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Import every artist through a cluster; (seconds, runs that did not succeed)."""
    from django.db import close_old_connections

    from imports.models import ACTIVE_STATUSES, ImportRun, ImportStatus
    from imports.services import start_import

    began = time.perf_counter()
    with running_cluster(env):
        run_ids = [start_import(tm_id).import_id for tm_id in ids]
        while True:
            close_old_connections()
            if not ImportRun.objects.filter(pk__in=run_ids, status__in=ACTIVE_STATUSES).exists():
                break
            time.sleep(0.5)
    failed = ImportRun.objects.filter(pk__in=run_ids).exclude(status=ImportStatus.SUCCEEDED)
    return time.perf_counter() - began, failed.count()


def touched_artists(answer: dict) -> set[str]:
    """The attraction ids an advance's answer names (whatever the change)."""
    found: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "tm_attraction_id" and isinstance(item, str):
                    found.add(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(answer)
    return found


def make_all_due() -> None:
    """Every artist's shows and catalog are due (identity stays fresh)."""
    from datetime import timedelta

    from django.utils import timezone

    from catalog.models import Artist
    from imports.models import ImportRun

    now = timezone.now()
    # Re-syncs leave alone an artist whose last run started within the period.
    ImportRun.objects.update(created_at=now - timedelta(days=8))
    Artist.objects.filter(shows_synced_at__isnull=False).update(
        shows_synced_at=now - timedelta(days=2)
    )
    Artist.objects.filter(catalog_synced_at__isnull=False).update(
        catalog_synced_at=now - timedelta(days=8)
    )


def resync_round(env: dict[str, str]) -> dict:
    """One round (the schedule's own function) through a cluster, until all is done."""
    from django.db import close_old_connections
    from django.utils import timezone

    from imports.models import ACTIVE_STATUSES, ImportPhase, ImportRun, ShowsBatch, ShowsSync
    from imports.schedules import resync_stale_artists

    with running_cluster(env):
        began_at = timezone.now()
        began = time.perf_counter()
        summary = resync_stale_artists()
        while True:
            close_old_connections()
            busy = (
                ImportRun.objects.filter(status__in=ACTIVE_STATUSES).exists()
                or ShowsBatch.objects.filter(status__in=ACTIVE_STATUSES).exists()
            )
            if not busy:
                break
            time.sleep(0.2)
        wall = time.perf_counter() - began
    print(f"round: {summary}; {wall:.1f} s")
    runs = ImportRun.objects.filter(created_at__gte=began_at)
    spotify_by_artist = {}
    for tm_id, counters in ImportPhase.objects.filter(run__in=runs, phase="catalog").values_list(
        "run__artist__tm_attraction_id", "counters"
    ):
        requests = (counters or {}).get("spotify_requests", {})
        spotify_by_artist[tm_id] = requests.get("requests_total", 0)
    from django.db.models import Max

    def done_after(queryset) -> float | None:
        last = queryset.aggregate(last=Max("finished_at"))["last"]
        return round((last - began_at).total_seconds(), 1) if last else None

    return {
        "wall": wall,
        "shows_done_s": done_after(ShowsBatch.objects.filter(created_at__gte=began_at)),
        "runs_done_s": done_after(runs),
        "batches": ShowsBatch.objects.filter(created_at__gte=began_at).count(),
        "shows_synced": ShowsSync.objects.filter(
            created_at__gte=began_at, status="succeeded", batch__isnull=False
        ).count(),
        "runs": runs.count(),
        "runs_failed": runs.exclude(status="succeeded").count(),
        "spotify_by_artist": spotify_by_artist,
        "rows": rows_written_since(began_at),
    }


def rows_written_since(since) -> dict[str, int]:
    """Rows inserted or updated since `since`, per table that records when."""
    from catalog.models import Album, Track
    from imports.models import DroppedTrack, ImportEvent, ImportPhase, ImportRun, ShowsSync
    from shows.models import Billing, Show, Venue

    counts = {
        "shows": Show.objects.filter(updated_at__gte=since).count(),
        "bill_places": Billing.objects.filter(updated_at__gte=since).count(),
        "venues": Venue.objects.filter(updated_at__gte=since).count(),
        "albums": Album.objects.filter(updated_at__gte=since).count(),
        "tracks": Track.objects.filter(updated_at__gte=since).count(),
        "runs": ImportRun.objects.filter(created_at__gte=since).count(),
        "run_phases": ImportPhase.objects.filter(run__created_at__gte=since).count(),
        "progress_events": ImportEvent.objects.filter(at__gte=since).count(),
        "dropped_tracks": DroppedTrack.objects.filter(run__created_at__gte=since).count(),
        "shows_syncs": ShowsSync.objects.filter(created_at__gte=since).count(),
    }
    counts["total"] = sum(counts.values())
    return counts


def fingerprint() -> dict[str, set[tuple]]:
    """What a fresh import of the world stores, without ids and times: live shows with
    their venues and bills, venues, artists, studio tracks and each artist's drops."""
    from django.db.models import Max

    from catalog.models import Artist, ArtistTrack
    from imports.models import DroppedTrack, ImportRun
    from shows.models import Billing, Show, Venue

    live = Show.objects.filter(removed_upstream_at__isnull=True)
    latest = ImportRun.objects.values("artist_id").annotate(last=Max("pk")).values("last")
    return {
        "shows": set(
            live.values_list(
                "tm_event_id", "name", "local_date", "local_time", "status", "venue__tm_venue_id"
            )
        ),
        "bills": {
            (event, act, position, headliner, listed_at is not None)
            for event, act, position, headliner, listed_at in Billing.objects.filter(
                removed_upstream_at__isnull=True, show__removed_upstream_at__isnull=True
            ).values_list(
                "show__tm_event_id",
                "artist__tm_attraction_id",
                "position",
                "headliner",
                "listed_at",
            )
        },
        "venues": set(
            Venue.objects.filter(shows__in=live)
            .values_list("tm_venue_id", "name", "city", "country_code")
            .distinct()
        ),
        "artists": set(Artist.objects.values_list("tm_attraction_id", "name", "spotify_id")),
        "studio_tracks": set(
            ArtistTrack.objects.values_list("artist__tm_attraction_id", "track__spotify_id")
        ),
        "drops": set(
            DroppedTrack.objects.filter(run_id__in=latest).values_list(
                "run__artist__tm_attraction_id", "spotify_id", "reason", "duplicate_of"
            )
        ),
    }


if __name__ == "__main__":
    main()
