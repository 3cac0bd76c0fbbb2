"""ASGI entry point (uvicorn theset.asgi:application); server-sent events need ASGI."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "theset.settings")

application = get_asgi_application()
