from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        """Tell the project and the catalog what imports needs of them: the sweeper is
        the health check's sign of a live cluster, the health check reports the upstream
        quotas, and the kickoff route's word ("/api/artists/import") is no artist's slug."""
        # django-eventstream queues at most views.MAX_PENDING events to a stream before it
        # makes the stream read the database again; it has no setting for it.
        from django.conf import settings
        from django_eventstream import views as eventstream_views

        from catalog.services import artist_slugs_reserve
        from imports.api import artist_route_words
        from imports.health import QUOTA_CHECK, SWEEP_HEARTBEAT, check_quotas
        from theset.health import register_cluster_heartbeat, register_informational_check

        eventstream_views.MAX_PENDING = settings.IMPORT_STREAM_MAX_PENDING

        register_cluster_heartbeat(SWEEP_HEARTBEAT)
        register_informational_check(QUOTA_CHECK, check_quotas)
        artist_slugs_reserve(words=artist_route_words())
