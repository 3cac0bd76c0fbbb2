from django.contrib import admin
from django.urls import path, re_path

from imports.metrics import metrics_view
from imports.pages import artist_page, home, venue_page
from imports.views import artist_import_stream
from theset.api import NOT_FOUND_URL_NAME, api, api_not_found
from theset.health import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    # Server-sent events stream outside django-ninja (async, streaming), under the API's prefix.
    re_path(
        r"^api/artists/(?P<id_or_slug>[-A-Za-z0-9_]{1,120})/stream$",
        artist_import_stream,
        name="artist-import-stream",
    ),
    # A JSON 404 for every /api/ path no route takes (ninja's root /api/ is an HTML one).
    path("api/", api_not_found),
    path("api/", api.urls),
    re_path(r"^api/", api_not_found, name=NOT_FOUND_URL_NAME),
    path("metrics", metrics_view, name="metrics"),
    path("", home, name="home"),
    path("artists/<slug:slug>/", artist_page, name="artist-page"),
    path("venues/<str:tm_venue_id>/", venue_page, name="venue-page"),
]
