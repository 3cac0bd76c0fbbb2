"""ASGI entry point (uvicorn theset.asgi:application); server-sent events need ASGI.

Django answers HTTP; the ASGI lifespan (which Django does not speak) stops the
process's progress relay (`imports.stream.ProgressRelay`) when the server shuts down.
The relay itself starts with the first progress stream the process serves.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "theset.settings")

django_application = get_asgi_application()

from imports.stream import progress_relay  # noqa: E402 (needs the apps set up)


async def application(scope, receive, send):
    if scope["type"] != "lifespan":
        return await django_application(scope, receive, send)
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await progress_relay.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return
