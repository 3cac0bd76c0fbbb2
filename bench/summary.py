"""The table of one `make bench` session: every figure, per database, with its target.

    BENCH_SESSION=<id> .venv/bin/python bench/summary.py

Reads the JSON results the benchmarks of that session saved under bench/results/.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from common import RESULTS

VENDORS = ("sqlite", "postgresql")


def load(session: str) -> dict[str, dict]:
    """The latest figures of each benchmark in the session, by benchmark name."""
    found: dict[str, dict] = {}
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        if data.get("session") == session:
            found[data["benchmark"]] = data["figures"]
    return found


def median(figure: dict | None, unit: str = "", digits: int = 2) -> str:
    if not figure:
        return "-"
    if figure["runs"] == 1:
        return f"{figure['median']:.{digits}f}{unit}"
    return (
        f"{figure['median']:.{digits}f}{unit} "
        f"({figure['min']:.{digits}f}-{figure['max']:.{digits}f})"
    )


def rows(results: dict[str, dict]) -> list[tuple[str, dict[str, str], str]]:
    def per_vendor(name: str, pick: Callable[[dict], str]) -> dict[str, str]:
        return {
            v: pick(results[f"{name}_{v}"]) if f"{name}_{v}" in results else "-" for v in VENDORS
        }

    def met(ok: bool) -> str:
        return "met" if ok else "MISSED"

    table = [
        ("kickoff median", per_vendor("kickoff", lambda f: median(f["median_ms"], " ms")), ""),
        (
            "kickoff p99",
            per_vendor("kickoff", lambda f: f"{median(f['p99_ms'], ' ms')} {met(f['met'])}"),
            "<= 20 ms",
        ),
        ("kickoff max", per_vendor("kickoff", lambda f: median(f["max_ms"], " ms")), ""),
    ]
    for label in ("tracks first insert", "tracks unchanged re-run"):
        table.append(
            (f"10k {label}", per_vendor("write_path", lambda f, k=label: median(f[k], " s")), "")
        )
    for label in ("shows first insert", "shows unchanged re-run"):
        table.append(
            (f"2k {label}", per_vendor("write_path", lambda f, k=label: median(f[k], " s")), "")
        )
    table += [
        (
            "importer CPU per prolific import (beyond process start)",
            per_vendor(
                "cpu",
                lambda f: f"{median(f['import_cpu_s'], ' s')} {met(f['met']['import_cpu_s'])}",
            ),
            "<= 0.6 s",
        ),
        (
            "importer CPU per 1,000 tracks",
            per_vendor("cpu", lambda f: median(f["cpu_s_per_1000_tracks"], " s", 3)),
            "",
        ),
        (
            "importer CPU per prolific import / Django's start, same machine",
            per_vendor("cpu", lambda f: median(f.get("import_cpu_of_start"), "x", 3)),
            "",
        ),
    ]
    table += [
        (
            "prolific via cluster, total",
            per_vendor("cluster_import", lambda f: median(f["total_s"], " s")),
            "",
        ),
        (
            "prolific real floor",
            per_vendor("cluster_import", lambda f: median(f.get("real_floor_s"), " s")),
            "",
        ),
        (
            "prolific total / real floor",
            per_vendor(
                "cluster_import",
                lambda f: (
                    f"{median(f['floor_ratio'], 'x')} {met(f['met']['floor_ratio'])}"
                    if "floor_ratio" in f
                    else "-"
                ),
            ),
            "<= 1.3",
        ),
        (
            "prolific old bound (TM requests / 5 rps, or 6 Spotify round trips), total / it",
            per_vendor(
                "cluster_import",
                lambda f: f"{median(f['lower_bound_s'], ' s')}, {median(f['ratio'], 'x')}",
            ),
            "",
        ),
        (
            "requests issued / minimum",
            per_vendor(
                "cluster_import",
                lambda f: (
                    f"{median(f['request_ratio'], 'x', 3)}, "
                    f"{f['repeated_requests']} repeated {met(f['met']['request_ratio'])}"
                ),
            ),
            "<= 1.1, 0 repeated",
        ),
        (
            "peak RSS of a worker",
            per_vendor(
                "cluster_import",
                lambda f: f"{f['peak_rss_mb']:.0f} MB {met(f['met']['peak_rss_mb'])}",
            ),
            "<= 250 MB",
        ),
    ]
    for profile in ("sparse", "mid", "prolific"):
        table.append(
            (
                f"songs of {profile}: recordings -> songs, largest",
                per_vendor(
                    "songs",
                    lambda f, p=profile: (
                        f"{f[p]['recordings']} -> {f[p]['songs']}, "
                        f"{f[p]['largest_song_versions']} versions "
                        f"{met(f[p]['equals_oracle'] and f[p]['reimport_unchanged'])}"
                    ),
                ),
                "= oracle, re-import unchanged",
            )
        )
    table.append(
        (
            "built-in world: artist-show links",
            per_vendor(
                "lineups",
                lambda f: (
                    f"{f['links_stored']} of {f['links_expected']} "
                    f"({f['links_one_artist_per_show']} with one artist per show) "
                    f"{met(f['links_stored'] == f['links_expected'] and not f['links_extra'])}"
                ),
            ),
            "all, none extra",
        )
    )
    table += [
        (
            "fleet: Ticketmaster requests per artist refreshed",
            per_vendor(
                "fleet",
                lambda f: f"{f['tm_per_artist']} {met(f['tm_per_artist'] <= 0.25)}",
            ),
            "<= 0.25",
        ),
        (
            "fleet: Spotify requests, unchanged prolific catalog",
            per_vendor(
                "fleet",
                lambda f: (
                    f"{f['spotify_unchanged_prolific_max']} "
                    f"{met((f['spotify_unchanged_prolific_max'] or 0) <= 6)}"
                ),
            ),
            "<= 6",
        ),
        (
            "fleet: round wall / bound",
            per_vendor(
                "fleet",
                lambda f: (
                    f"{f['wall_seconds']} s / {f['bound_seconds']} s = {f['wall_ratio']}x "
                    f"{met((f['wall_ratio'] or 99) <= 1.3)}"
                ),
            ),
            "<= 1.3",
        ),
        (
            "fleet: rows equal a fresh full import",
            per_vendor("fleet", lambda f: met(f["equal_to_fresh_import"])),
            "equal",
        ),
    ]
    table += [
        (
            "prolific artist page: size, first byte",
            per_vendor(
                "pages",
                lambda f: (
                    f"{f['artist_page_bytes'] / 1000:.1f} KB, "
                    f"{median(f['artist_page_ttfb_ms'], ' ms', 1)} "
                    f"{met(f['artist_page_bytes_met'])}"
                ),
            ),
            "< 100 KB",
        ),
        (
            "100k artists: slowest index/search page, first byte",
            per_vendor(
                "pages",
                lambda f: f"{f['search_ttfb_worst_median_ms']:.1f} ms {met(f['search_met'])}",
            ),
            "< 200 ms",
        ),
    ]
    if "sandbox_build" in results:
        build = results["sandbox_build"]
        figure = median(build["prolific_build_ms"], " ms", 0)
        table.append(
            (
                "sandbox: prolific profile build",
                {v: f"{figure} {met(build['met'])}" for v in VENDORS},
                "< 500 ms",
            )
        )

    def streams_round(figures: dict, count: int) -> str:
        r = figures["rounds"].get(str(count))
        if r is None:
            return "skipped"
        latency = r["latency_ms"]
        complete = r["opened"] == r["streams"] == r["ended"] and not latency["missed"]
        opened = "" if r["opened"] == r["streams"] else f" ({r['opened']:,} opened)"
        return (
            f"{r['connections_max']} conns{opened}, {r['kb_per_stream']:.0f} KB each, "
            f"{latency['median']}/{latency['max']} ms "
            f"{met(r['connections_max'] <= figures['targets']['connections_max'] and complete)}"
        )

    for count in (100, 1000, 5000):
        table.append(
            (
                f"{count:,} streams, one web process: db connections, memory, latency (median/max)",
                per_vendor("streams", lambda f, n=count: streams_round(f, n)),
                "<= 5 connections, all events and the end",
            )
        )
    workers = sorted(
        {int(name.split("_")[2][:-1]) for name in results if name.startswith("many_artists_")}
    )
    for count in workers:
        name = f"many_artists_{count}w"
        runs = [results[f"{name}_{v}"] for v in VENDORS if f"{name}_{v}" in results]
        artists = runs[0].get("artists", 100) if runs else 100
        target = runs[0].get("target_ratio", 1.2) if runs else 1.1
        table += [
            (
                f"{artists} mid, {count} workers: total / shared-rate bound",
                per_vendor(
                    name,
                    lambda f: (
                        f"{median(f['total_s'], ' s', 1)} / {median(f['bound_s'], ' s', 1)}"
                        f" = {median(f['ratio'], 'x')} "
                        f"{met(f['ratio']['median'] <= f.get('target_ratio', 1.2))}"
                    ),
                ),
                f"<= {target}",
            ),
            (
                f"{artists} mid, {count} workers: real floor, total / it",
                per_vendor(
                    name,
                    lambda f: (
                        f"{median(f['floor_s'], ' s', 1)}, {median(f['floor_ratio'], 'x')}"
                        if "floor_s" in f
                        else "-"
                    ),
                ),
                "",
            ),
            (
                f"{artists} mid, {count} workers: 429s",
                per_vendor(
                    name,
                    lambda f: (
                        f"{median(f['rate_limited'], '', 0)} "
                        + (
                            met(f["rate_limited"]["max"] <= f["target_rate_limited"])
                            if "target_rate_limited" in f
                            else ""
                        )
                    ).strip(),
                ),
                "0",
            ),
        ]
    return table


def main() -> None:
    session = os.environ.get("BENCH_SESSION", "")
    results = load(session)
    if not results:
        raise SystemExit(f"no results saved for session {session!r} under {RESULTS}")
    print(f"\nbench session {session}: median (min-max) over repeats\n")
    print("| figure | SQLite | PostgreSQL + Redis | target |")
    print("|---|---|---|---|")
    for label, values, target in rows(results):
        print(f"| {label} | {values['sqlite']} | {values['postgresql']} | {target} |")


if __name__ == "__main__":
    main()
