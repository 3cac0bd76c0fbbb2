"""ASGI entry point (uvicorn theset.asgi:application); server-sent events need ASGI.

Django answers HTTP; the ASGI lifespan (which Django does not speak) stops the
process's progress relay (`imports.stream.ProgressRelay`) when the server shuts down.
The relay itself starts with the first progress stream the process serves.
"""

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "theset.settings")

django_application = get_asgi_application()

# The event loop thread fans each progress event out to every open stream; a request
# handled on other threads (the health check's) takes the interpreter lock back from it
# every half millisecond rather than every five, so it is not queued behind a fan-out.
sys.setswitchinterval(0.0005)

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
