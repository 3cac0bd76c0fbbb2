"""`/api/docs` works offline: Swagger UI comes from django-ninja's own static files,
served by the app (theset.static), with DEBUG on and off, never from a CDN.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


class AssetLinks(HTMLParser):
    """The URLs of a page's scripts and linked files (stylesheets, icons)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def docs_assets(client: Client) -> tuple[str, list[str]]:
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    parser = AssetLinks()
    parser.feed(html)
    return html, parser.urls


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "no-debug"])
def test_the_docs_page_loads_swagger_ui_from_the_app_itself(settings, debug):
    settings.DEBUG = debug
    client = Client()  # a new handler: the static files middleware reads DEBUG at start

    html, urls = docs_assets(client)

    assert "cdn" not in html.lower()
    assert {url.rsplit("/", 1)[-1] for url in urls} >= {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-init.js",
    }
    for url in urls:
        assert url.startswith("/static/"), url  # no other host, no scheme
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert b"".join(asset.streaming_content), url
    assert "/api/openapi.json" in html
