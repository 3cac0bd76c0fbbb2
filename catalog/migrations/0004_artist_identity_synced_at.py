from django.db import migrations, models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest


def identity_fetched_with_last_sync(apps, schema_editor):
    """Artists imported before this field existed had their identity fetched by the
    import that synced them: take its time rather than refetching everyone at once."""
    Artist = apps.get_model("catalog", "Artist")
    Artist.objects.filter(
        Q(shows_synced_at__isnull=False) | Q(catalog_synced_at__isnull=False)
    ).exclude(name="").update(
        identity_synced_at=Greatest(
            Coalesce(F("shows_synced_at"), F("catalog_synced_at")),
            Coalesce(F("catalog_synced_at"), F("shows_synced_at")),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_spotify_release"),
    ]

    operations = [
        migrations.AddField(
            model_name="artist",
            name="identity_synced_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="artist",
            name="catalog_digest",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
        migrations.RunPython(identity_fetched_with_last_sync, migrations.RunPython.noop),
    ]
