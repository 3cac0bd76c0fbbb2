"""Building blocks shared by every app's models, and the HTTP API's keys."""

from django.db import connection, models
from django.db.models.functions import Collate


def in_key_order(field: str) -> Collate | str:
    """Order by `field` the way Python sorts its values (by code point), which is the
    order bulk upserts lock rows in (they are sorted in Python, the deadlock rule). On
    PostgreSQL the database's collation (en_US...) would put "Z7r..." and "vvG..." the
    other way round, and row locks taken in that order could cross an upsert's: compare
    bytes ("C") there. SQLite compares bytes already (and locks the whole database)."""
    return Collate(field, "C") if connection.vendor == "postgresql" else field


class TimestampedModel(models.Model):
    """`created_at` / `updated_at`; bulk upserts must list `updated_at` in `update_fields`."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class ApiKey(TimestampedModel):
    """A credential for the write endpoints of the HTTP API (header `X-API-Key`).

    The key is `theset_<prefix>_<secret>`. Only the prefix (to find the row) and
    the SHA-256 of the secret are stored: the plaintext exists once, when the key
    is created, and cannot be recovered from the database.
    """

    name = models.CharField(max_length=100, help_text="Who or what uses this key.")
    prefix = models.CharField(max_length=16, editable=False)
    secret_sha256 = models.CharField(max_length=64, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["prefix"], name="api_key_unique_prefix"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class MetricCounter(models.Model):
    """One cumulative Prometheus series (`GET /metrics`, imports.metrics): every process
    that imports adds to it, so web processes can show what the workers did.

    `labels` is the series' label set as JSON with sorted keys, e.g.
    `{"endpoint":"token","provider":"spotify","status":"200"}`; values only grow.
    """

    name = models.CharField(max_length=100)
    labels = models.CharField(max_length=255, blank=True)
    value = models.FloatField(default=0)

    class Meta:
        ordering = ["name", "labels"]
        constraints = [
            models.UniqueConstraint(fields=["name", "labels"], name="metric_counter_unique_series"),
        ]

    def __str__(self) -> str:
        return f"{self.name}{self.labels} = {self.value:g}"
