from django.apps import AppConfig


class SandboxAppConfig(AppConfig):
    """The offline Ticketmaster + Spotify stand-in. Only tests, bench and the demo and
    serve commands use it; importing the app itself pulls in none of its dependencies."""

    name = "sandbox"
    verbose_name = "Sandbox upstream"
