from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        """Tell the project and the catalog what imports needs of them: the sweeper is
        the health check's sign of a live cluster, the health check reports the upstream
        quotas, and the kickoff route's word ("/api/artists/import") is no artist's slug."""
        from catalog.services import artist_slugs_reserve
        from imports.api import artist_route_words
        from imports.health import QUOTA_CHECK, SWEEP_HEARTBEAT, check_quotas
        from theset.health import register_cluster_heartbeat, register_informational_check

        register_cluster_heartbeat(SWEEP_HEARTBEAT)
        register_informational_check(QUOTA_CHECK, check_quotas)
        artist_slugs_reserve(words=artist_route_words())
