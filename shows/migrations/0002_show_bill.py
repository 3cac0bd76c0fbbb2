"""A show's acts become its bill: one `Billing` row per (show, artist).

Every show imported the old way keeps its one artist as the first act of its bill,
headlining, listed by that artist's own import (as of the show's last write), and
marked removed when the show was. Reversible: going back gives each show the first
act of its bill that listed it itself (else its first act).
"""

import django.db.models.deletion
from django.db import migrations, models

BATCH_SIZE = 1000


def bills_from_show_artists(apps, schema_editor):
    Show = apps.get_model("shows", "Show")
    Billing = apps.get_model("shows", "Billing")
    rows = []
    shows = Show.objects.order_by("pk").values_list(
        "pk", "artist_id", "updated_at", "removed_upstream_at"
    )
    for show_id, artist_id, updated_at, removed_upstream_at in shows.iterator(BATCH_SIZE):
        rows.append(
            Billing(
                show_id=show_id,
                artist_id=artist_id,
                position=0,
                headliner=True,
                listed_at=updated_at,
                removed_upstream_at=removed_upstream_at,
                created_at=updated_at,
                updated_at=updated_at,
            )
        )
        if len(rows) >= BATCH_SIZE:
            Billing.objects.bulk_create(rows)
            rows = []
    Billing.objects.bulk_create(rows)
    _check_constraints_now(schema_editor)


def _check_constraints_now(schema_editor):
    """PostgreSQL defers foreign-key checks to the end of the transaction, and will not
    alter a table with checks pending: run them before the schema changes that follow."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def show_artists_from_bills(apps, schema_editor):
    """Each show's artist: the first act on its bill whose own import listed it, else the
    first act. A show left without any act (its only artist was deleted) goes, as it
    would have gone with its artist before bills."""
    Show = apps.get_model("shows", "Show")
    Billing = apps.get_model("shows", "Billing")
    chosen = {}
    places = Billing.objects.order_by("show_id", "position", "pk").values_list(
        "show_id", "artist_id", "listed_at"
    )
    for show_id, artist_id, listed_at in places.iterator(BATCH_SIZE):
        current = chosen.get(show_id)
        if current is None or (not current[1] and listed_at is not None):
            chosen[show_id] = (artist_id, listed_at is not None)
    Show.objects.exclude(pk__in=Billing.objects.values("show_id")).delete()
    shows = [Show(pk=show_id, artist_id=artist_id) for show_id, (artist_id, _) in chosen.items()]
    Show.objects.bulk_update(shows, ["artist"], batch_size=BATCH_SIZE)
    _check_constraints_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_track_override"),
        ("shows", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Billing",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "position",
                    models.PositiveSmallIntegerField(
                        help_text="0 = first in Ticketmaster's order"
                    ),
                ),
                ("headliner", models.BooleanField(default=False)),
                ("listed_at", models.DateTimeField(blank=True, null=True)),
                ("removed_upstream_at", models.DateTimeField(blank=True, null=True)),
                (
                    "artist",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="billings",
                        to="catalog.artist",
                    ),
                ),
                (
                    "show",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="bill",
                        to="shows.show",
                    ),
                ),
            ],
            options={
                "ordering": ["show", "position"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("show", "artist"), name="billing_unique_show_artist"
                    )
                ],
            },
        ),
        # Nullable first, so that going back can re-add the column before filling it.
        migrations.AlterField(
            model_name="show",
            name="artist",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="catalog.artist",
            ),
        ),
        migrations.RunPython(bills_from_show_artists, show_artists_from_bills),
        migrations.RemoveIndex(model_name="show", name="show_artist_date_idx"),
        migrations.RemoveField(model_name="show", name="artist"),
        migrations.AddField(
            model_name="show",
            name="artists",
            field=models.ManyToManyField(
                related_name="shows", through="shows.Billing", to="catalog.artist"
            ),
        ),
    ]
