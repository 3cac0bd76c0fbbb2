"""The scheduled re-sync as a django-q2 schedule: every 10 minutes, on any cluster."""

from django.db import migrations

RESYNC = "imports: re-sync stale artists"


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=RESYNC,
        defaults={
            "func": "imports.schedules.resync_stale_artists",
            "schedule_type": "I",  # minutes
            "minutes": 10,
            "repeats": -1,
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=RESYNC).delete()


class Migration(migrations.Migration):
    dependencies = [("imports", "0003_sweep_schedule")]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
