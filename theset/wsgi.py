"""WSGI entry point, for tooling; serve the app with uvicorn (ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "theset.settings")

application = get_wsgi_application()
