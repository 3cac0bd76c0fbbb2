from django.contrib import admin
from django.urls import path

from imports.metrics import metrics_view
from imports.pages import artist_page, home, venue_page
from imports.views import artist_import_stream
from theset.api import api
from theset.health import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    # Server-sent events stream outside django-ninja (async, streaming), under the API's prefix.
    path(
        "api/artists/<int:artist_id>/stream",
        artist_import_stream,
        name="artist-import-stream",
    ),
    path("api/", api.urls),
    path("metrics", metrics_view, name="metrics"),
    path("", home, name="home"),
    path("artists/<slug:slug>/", artist_page, name="artist-page"),
    path("venues/<str:tm_venue_id>/", venue_page, name="venue-page"),
]
