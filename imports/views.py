"""Plain Django views of the imports app: the live progress stream (SSE needs ASGI)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from catalog.models import Artist
from catalog.selectors import artist_get
from imports.models import ImportRun
from imports.stream import release_db_connection, run_event_stream


def last_event_id(request: HttpRequest) -> int:
    """The id of the last event the client has: the `Last-Event-ID` header, else the
    `lastEventId` query parameter (EventSource polyfills send that); 0 if neither."""
    for value in (request.headers.get("Last-Event-ID"), request.GET.get("lastEventId")):
        try:
            return max(0, int(value or ""))
        except ValueError:
            continue  # absent or not a number: try the next source
    return 0


@require_GET
async def artist_import_stream(request: HttpRequest, id_or_slug: str) -> HttpResponseBase:
    """Watch the progress of the latest import of the artist named by its id, slug or
    Ticketmaster attraction id, as the API's other artist routes (never starts one)."""
    try:
        artist = await sync_to_async(artist_get)(id_or_slug=id_or_slug)
    except Artist.DoesNotExist as exc:
        await release_db_connection()
        return JsonResponse({"detail": str(exc)}, status=404)
    run_id = (
        await ImportRun.objects.filter(artist_id=artist.pk)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .afirst()
    )
    response = StreamingHttpResponse(
        run_event_stream(run_id, after_id=last_event_id(request)),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events through unbuffered
    return response
