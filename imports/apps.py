from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        """Tell the project what imports needs of it: the sweeper is the health check's
        sign of a live cluster."""
        from imports.health import SWEEP_HEARTBEAT
        from theset.health import register_cluster_heartbeat

        register_cluster_heartbeat(SWEEP_HEARTBEAT)
