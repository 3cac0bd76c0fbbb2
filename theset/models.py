"""Building blocks shared by every app's models."""

from django.db import models


class TimestampedModel(models.Model):
    """`created_at` / `updated_at`; bulk upserts must list `updated_at` in `update_fields`."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True
