"""Bounded run history: runs say when their history was pruned, an index finds the
artists with runs left to prune, and a django-q2 schedule prunes every 5 minutes."""

from django.db import migrations, models

PRUNE = "imports: prune run history"


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=PRUNE,
        defaults={
            "func": "imports.schedules.prune_run_history",
            "schedule_type": "I",  # minutes
            "minutes": 5,
            "repeats": -1,
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=PRUNE).delete()


class Migration(migrations.Migration):
    dependencies = [("imports", "0007_importrun_full_catalog")]

    operations = [
        migrations.AddField(
            model_name="importrun",
            name="history_pruned_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="importrun",
            index=models.Index(
                condition=models.Q(history_pruned_at__isnull=True),
                fields=["artist"],
                name="import_run_history_kept_idx",
            ),
        ),
        migrations.RunPython(create_schedule, delete_schedule),
    ]
