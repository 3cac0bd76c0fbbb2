"""The reliability report: one row per scenario (runs, failures, rows lost), for the
terminal summary and `test-artifacts/reliability-<lane>.md`.

A test records what it saw with the `reliability` fixture; it still asserts on its
own (rows lost must be 0). The report is the figures, the assertions are the proof.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class Row:
    scenario: str
    runs: int = 0
    failures: int = 0
    recovered: int = 0
    rows_lost: int = 0
    duplicates: int = 0
    note: str = ""
    # Counted notes ("api path": 44), added up across tests and xdist workers.
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def described(self) -> str:
        if not self.counts:
            return self.note
        counted = ", ".join(f"{name} {count}" for name, count in sorted(self.counts.items()))
        return f"{self.note}: {counted}" if self.note else counted


@dataclass
class Report:
    rows: dict[str, Row]

    def record(
        self,
        scenario: str,
        *,
        runs: int,
        failures: int = 0,
        recovered: int = 0,
        rows_lost: int = 0,
        duplicates: int = 0,
        note: str = "",
        counts: dict[str, int] | None = None,
    ) -> None:
        """Adds to the scenario's row (a parametrized test records one row per case or
        adds its cases up under one scenario name)."""
        row = self.rows.setdefault(scenario, Row(scenario))
        row.runs += runs
        row.failures += failures
        row.recovered += recovered
        row.rows_lost += rows_lost
        row.duplicates += duplicates
        for name, count in (counts or {}).items():
            row.counts[name] = row.counts.get(name, 0) + count
        if note and note not in row.note:
            row.note = f"{row.note}; {note}" if row.note else note

    def as_json(self) -> list[dict]:
        """The rows as plain data, for an xdist worker to hand to the controller."""
        return [asdict(row) for row in self.rows.values()]

    def merge_json(self, rows: list[dict]) -> None:
        """Add a worker's rows (`as_json`) to this report."""
        for row in rows:
            self.record(**row)

    def markdown(self, lane: str) -> str:
        lines = [
            f"# Reliability report ({lane})",
            "",
            "Runs: imports started. Failures: runs that ended failed (each with a readable"
            " error, then retried). Recovered: failed or interrupted runs that a retry, a"
            " resume or the sweeper completed. Rows lost: expected rows missing at the end."
            " Duplicates: rows stored twice.",
            "",
            "| scenario | runs | failures | recovered | rows lost | duplicates | note |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for row in sorted(self.rows.values(), key=lambda r: r.scenario):
            lines.append(
                f"| {row.scenario} | {row.runs} | {row.failures} | {row.recovered} "
                f"| {row.rows_lost} | {row.duplicates} | {row.described} |"
            )
        total = Row("total")
        for row in self.rows.values():
            total.runs += row.runs
            total.failures += row.failures
            total.recovered += row.recovered
            total.rows_lost += row.rows_lost
            total.duplicates += row.duplicates
        lines.append(
            f"| **total** | {total.runs} | {total.failures} | {total.recovered} "
            f"| **{total.rows_lost}** | **{total.duplicates}** | |"
        )
        return "\n".join(lines) + "\n"


def lane_name() -> str:
    """sqlite, postgresql+redis, or postgresql+redis, N clusters (the scale-out lane)."""
    url = os.environ.get("DATABASE_URL", "")
    lane = "postgresql" if url.startswith(("postgres", "pgsql")) else "sqlite"
    if os.environ.get("REDIS_URL"):
        lane += "+redis"
    clusters = int(os.environ.get("TEST_QCLUSTERS", "1") or 1)
    if clusters > 1:
        lane += f"+{clusters}-qclusters"
    return lane


def write(report: Report) -> Path | None:
    if not report.rows:
        return None
    lane = lane_name()
    ARTIFACTS.mkdir(exist_ok=True)
    # `make test`'s second run, of the load tests alone, keeps its own file.
    suffix = f"-{os.environ['RELIABILITY_REPORT']}" if os.environ.get("RELIABILITY_REPORT") else ""
    path = ARTIFACTS / f"reliability-{lane.replace('+', '-')}{suffix}.md"
    path.write_text(report.markdown(lane))
    return path
