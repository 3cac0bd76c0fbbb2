"""Import runs and their append-only progress log."""

from datetime import datetime

from django.db import models
from django.db.models import Q

from catalog.models import Artist
from imports.phases import PhaseName, RunStage


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    # Parked: an upstream will not answer before `waiting_until`; the phase resumes then.
    WAITING = "waiting", "Waiting"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


ACTIVE_STATUSES = (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.WAITING)


class ImportTrigger(models.TextChoices):
    """Who started a run: a person's imports go ahead of re-syncs, which leave them a
    reserve of the upstreams' daily quota."""

    PERSON = "person", "A person (API, admin, command line)"
    RESYNC = "resync", "Scheduled re-sync"


class ImportRun(models.Model):
    """One import of one artist: its lifecycle, progress, figures and error."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="import_runs")
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    stage = models.CharField(max_length=16, choices=RunStage.choices, default=RunStage.QUEUED)
    percent = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    # Figures such as {"shows": 1234, "venues": 310, "tracks_kept": 812}.
    counters = models.JSONField(default=dict, blank=True)
    # Studio-only decisions: {"live_album": 120, "duplicate_isrc": 300, ...}.
    drop_counts = models.JSONField(default=dict, blank=True)
    # What a reader should know about how the run went, e.g. a fallback it took.
    warnings = models.JSONField(default=list, blank=True)
    spotify_app_mode = models.CharField(max_length=16, blank=True)
    # Fetch the whole catalog again (every release, track details, audio features)
    # instead of only what is new or changed since the stored releases.
    full_catalog = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    trigger = models.CharField(
        max_length=16, choices=ImportTrigger.choices, default=ImportTrigger.PERSON
    )
    # While waiting: when the earliest parked phase resumes.
    waiting_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the stale-run sweeper re-queued phases whose tasks were lost (it does so once).
    requeued_at = models.DateTimeField(null=True, blank=True)
    # When its progress events and dropped-track rows were deleted (imports.history): set,
    # an empty log means "pruned", not "nothing happened".
    history_pruned_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # "At most one active run per artist" is decided by the database,
            # so two kickoffs racing each other cannot both win.
            models.UniqueConstraint(
                fields=["artist"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="import_run_one_active_per_artist",
            ),
            models.CheckConstraint(
                condition=Q(percent__lte=100), name="import_run_percent_at_most_100"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="import_run_status_idx"),
            # The history pruner counts each artist's runs not pruned yet.
            models.Index(
                fields=["artist"],
                condition=Q(history_pruned_at__isnull=True),
                name="import_run_history_kept_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} of {self.artist} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class AppendOnlyError(Exception):
    """Progress events are history: they are never changed once written."""


class ImportPhase(models.Model):
    """One phase of one run: its own progress, timing, attempt and figures.

    Shows and catalog run in parallel, possibly in different processes, so each
    writes its own row instead of read-modify-writing a shared JSON field.
    """

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="phases")
    phase = models.CharField(max_length=16, choices=PhaseName.choices)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    percent = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    counters = models.JSONField(default=dict, blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Parked: the upstream it waits for, in words, and when its task is queued again.
    waiting_for = models.CharField(max_length=200, blank=True)
    waiting_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "phase"], name="import_phase_unique_per_run"),
        ]

    def __str__(self) -> str:
        return f"{self.phase} of run #{self.run_id} ({self.status})"

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class DroppedTrack(models.Model):
    """A track the studio-only rules left out of a run's catalog, and why."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="dropped_tracks")
    spotify_id = models.CharField(max_length=32)
    name = models.CharField(max_length=500)
    album_name = models.CharField(max_length=500, blank=True)
    isrc = models.CharField(max_length=15, blank=True)
    reason = models.CharField(max_length=32, db_index=True)
    # For duplicates: the Spotify id of the version that was kept.
    duplicate_of = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["run", "reason", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "spotify_id"], name="dropped_track_unique_per_run"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


class ImportEvent(models.Model):
    """One progress report of a run; its id is the SSE event id used for replay."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="events")
    # The run's stage when it reported: always one of its phases.
    stage = models.CharField(max_length=16, choices=RunStage.choices)
    status = models.CharField(max_length=16, choices=ImportStatus.choices)
    percent = models.PositiveSmallIntegerField(help_text="progress of this stage")
    overall_percent = models.PositiveSmallIntegerField(default=0, help_text="progress of the run")
    message = models.CharField(max_length=500, blank=True)
    counters = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "id"], name="import_event_run_idx")]

    def __str__(self) -> str:
        return f"{self.stage} {self.percent}% {self.message}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("import events are append-only")
        super().save(*args, **kwargs)


class ShowsBatch(models.Model):
    """A shows re-sync of several artists at once: one Ticketmaster events query over
    their attraction ids (`attractionId` takes a comma-separated list), run by one task.
    Each event is handed to every artist of the batch on its bill (`ShowsSync`)."""

    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    # The attraction ids queried, in key order.
    attraction_ids = models.JSONField(default=list)
    # The artists' last known upcoming events, summed: what the batch was packed by.
    expected_events = models.PositiveIntegerField(default=0)
    # Distinct events listed, and what the query cost.
    events = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    pages = models.PositiveSmallIntegerField(default=0)
    windows = models.PositiveSmallIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    waiting_for = models.CharField(max_length=200, blank=True)
    waiting_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "shows re-sync batch"
        verbose_name_plural = "shows re-sync batches"
        indexes = [models.Index(fields=["status", "updated_at"], name="shows_batch_status_idx")]

    def __str__(self) -> str:
        return f"Shows batch #{self.pk} of {len(self.attraction_ids)} artists ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class ShowsSync(models.Model):
    """One artist's shows sync and what it changed: by a re-sync batch, or by the
    shows phase of the artist's own import run."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="shows_syncs")
    batch = models.ForeignKey(
        ShowsBatch, on_delete=models.CASCADE, related_name="syncs", null=True, blank=True
    )
    run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, related_name="shows_syncs", null=True, blank=True
    )
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    # The artist's upcoming events known when the batch was packed.
    expected_events = models.PositiveIntegerField(default=0)
    shows = models.PositiveIntegerField(default=0, help_text="events its search lists")
    added = models.PositiveIntegerField(default=0, help_text="shows new to the artist")
    changed = models.PositiveIntegerField(
        default=0, help_text="shows whose date, time, status, venue or name changed"
    )
    removed = models.PositiveIntegerField(
        default=0, help_text="places on bills it no longer lists, marked removed"
    )
    gone = models.PositiveIntegerField(default=0, help_text="shows no act lists any more")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "artist"], name="shows_sync_unique_in_batch"),
            # An artist is in at most one batch at a time: rounds racing cannot both
            # take it.
            models.UniqueConstraint(
                fields=["artist"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="shows_sync_one_active_per_artist",
            ),
        ]
        indexes = [models.Index(fields=["artist", "-id"], name="shows_sync_artist_idx")]

    def __str__(self) -> str:
        return f"Shows sync of {self.artist} ({self.status})"

    @property
    def at(self) -> datetime:
        """When it finished, or, until then, when it was queued."""
        return self.finished_at or self.created_at
