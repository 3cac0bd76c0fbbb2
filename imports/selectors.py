"""Reads about imports."""

from __future__ import annotations

from imports.models import ImportPhase, ImportRun, ImportStatus


def import_run_summary(run: ImportRun) -> str:
    """One line: outcome, figures, drops by reason, seconds per phase."""
    phases = ImportPhase.objects.filter(run=run).order_by("id")
    timings = " ".join(
        f"{phase.phase}={phase.seconds:.1f}s" for phase in phases if phase.seconds is not None
    )
    if run.status != ImportStatus.SUCCEEDED:
        return f"{run.status}: {run.error or run.message} [{timings}]"
    counters = run.counters
    drops = ", ".join(f"{reason} {count}" for reason, count in sorted(run.drop_counts.items()))
    parts = [
        f"{run.artist.name}",
        f"{counters.get('shows', 0)} shows",
        f"{counters.get('venues', 0)} venues",
        f"{counters.get('tracks_kept', 0)} studio tracks",
        f"dropped: {drops or 'none'}",
        timings,
    ]
    if run.warnings:
        parts.append("warnings: " + "; ".join(run.warnings))
    return " | ".join(parts)
