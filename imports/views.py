"""Plain Django views of the imports app: the live progress stream (SSE needs ASGI)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.views.decorators.http import require_GET
from django_eventstream import views as eventstream_views
from django_eventstream.utils import make_id

from catalog.models import Artist
from catalog.selectors import artist_get
from imports.models import ImportRun
from imports.stream import (
    RECONNECT_MILLISECONDS,
    borrowed_connection,
    progress_relay,
    progress_stream,
    run_channel,
    sse_end,
)


def last_event_id(request: HttpRequest) -> int:
    """The id of the last event the client has: the `Last-Event-ID` header, else the
    `lastEventId` query parameter (EventSource polyfills send that); 0 if neither."""
    for value in (request.headers.get("Last-Event-ID"), request.GET.get("lastEventId")):
        try:
            return max(0, int(value or ""))
        except ValueError:
            continue  # absent or not a number: try the next source
    return 0


def _latest_run_id(id_or_slug: str) -> int | None:
    with borrowed_connection():
        artist = artist_get(id_or_slug=id_or_slug)
        return (
            ImportRun.objects.filter(artist_id=artist.pk)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )


def _package_response(request: HttpRequest, channel: str, after_id: int) -> HttpResponseBase:
    """django-eventstream's view on the run's channel, from the event after `after_id`.

    The package reads a resume position only as its own `channel:id`, and sends no history
    without one: it is always given ours (0 = the whole history). Its other parameters
    (a signed channel list, GRIP recovery) are not part of this route."""
    request.GET = QueryDict(mutable=True)
    request.GET["lastEventId"] = make_id({channel: after_id})
    request.META.pop("HTTP_LAST_EVENT_ID", None)
    with borrowed_connection():  # the session's user, for a logged-in viewer
        return eventstream_views.events(request, channel=channel)


@require_GET
async def artist_import_stream(request: HttpRequest, id_or_slug: str) -> HttpResponseBase:
    """Watch the progress of the latest import of the artist named by its id, slug or
    Ticketmaster attraction id, as the API's other artist routes (never starts one)."""
    try:
        run_id = await sync_to_async(_latest_run_id)(id_or_slug)
    except Artist.DoesNotExist as exc:
        return JsonResponse({"detail": str(exc)}, status=404)
    if run_id is None:
        response = HttpResponse(
            f"retry: {RECONNECT_MILLISECONDS}\n\n{sse_end(None, None)}",
            content_type="text/event-stream",
        )
        response["Cache-Control"] = "no-cache"
        return response
    progress_relay.ensure_running()
    after_id = last_event_id(request)
    response = await sync_to_async(_package_response)(request, run_channel(run_id), after_id)
    if isinstance(response, StreamingHttpResponse):
        response.streaming_content = progress_stream(
            response.streaming_content, run_id, after_id=after_id
        )
    return response
