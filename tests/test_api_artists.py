"""Naming and finding artists in the HTTP API: an artist by id, slug or Ticketmaster id on
every artist route, the list and search, the venue's time zone on shows, and JSON 404s
for every `/api/` path that matches no route.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone
from openapi_schema_validator import OAS31Validator

from catalog.models import Artist, SpotifyMatch
from catalog.selectors import artist_get
from catalog.services import artist_identity_update, artist_shell_upsert
from imports.services import start_import
from tests.factories import link_track, make_artist, make_show, make_track, make_venue

pytestmark = pytest.mark.django_db

TM_ID = "K8vZ917Pr7k"
JSON = "application/json; charset=utf-8"


@pytest.fixture
def openapi(client) -> dict[str, Any]:
    return client.get("/api/openapi.json").json()


def assert_matches_openapi(openapi: dict, response, path: str) -> None:
    content = openapi["paths"][path]["get"]["responses"][str(response.status_code)]["content"]
    schema = {**content["application/json"]["schema"], "components": openapi["components"]}
    OAS31Validator(schema).validate(response.json())


def named_artist(name: str, *, tm_attraction_id: str, image_url: str = "") -> Artist:
    """An artist as an import's identity phase leaves it: named, with a slug from the name."""
    shell = artist_shell_upsert(tm_attraction_id=tm_attraction_id)
    return artist_identity_update(
        artist_id=shell.pk,
        name=name,
        image_url=image_url,
        genres=[],
        spotify_id=None,
        spotify_match=SpotifyMatch.NOT_FOUND,
    )


# --- An artist by id, slug or Ticketmaster id ------------------------------------------


@pytest.mark.parametrize(
    "route",
    ["", "/shows", "/tracks", "/songs", "/status"],
    ids=["detail", "shows", "tracks", "songs", "status"],
)
def test_every_artist_route_takes_the_id_the_slug_or_the_ticketmaster_id(client, route):
    artist = named_artist("The Velvet Rövers", tm_attraction_id=TM_ID)
    make_show(artist=artist, local_date=timezone.localdate() + timedelta(days=3))
    link_track(artist, make_track())

    answers = [
        client.get(f"/api/artists/{name}{route}")
        for name in (artist.pk, artist.slug, artist.tm_attraction_id)
    ]

    assert artist.slug == "the-velvet-rovers"
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert answers[0].json() == answers[1].json() == answers[2].json()


@pytest.mark.parametrize(
    ("asked", "found"),
    [
        pytest.param("<id>", "case-band", id="all-digits-is-the-id"),
        pytest.param("case-band", "case-band", id="a-slug"),
        pytest.param("K8vZ917Case", "case-band", id="a-ticketmaster-id-as-imported"),
        pytest.param("k8vz917lower", "slugged", id="a-slug-before-another-artists-tm-id"),
        pytest.param("k8vz917case", None, id="a-ticketmaster-id-in-another-case"),
        pytest.param("98765432", None, id="digits-are-never-a-ticketmaster-id"),
        pytest.param("", None, id="nothing"),
    ],
)
def test_the_lookup_order_is_id_then_slug_then_ticketmaster_id(asked, found):
    artists = {
        "case-band": make_artist(tm_attraction_id="K8vZ917Case", slug="case-band"),
        "slugged": make_artist(tm_attraction_id="K8vZ917Other", slug="k8vz917lower"),
        "lower-tm": make_artist(tm_attraction_id="k8vz917lower", slug="lower-tm"),
        "digits-tm": make_artist(tm_attraction_id="98765432", slug="digits-tm"),
    }
    if asked == "<id>":
        asked = str(artists["case-band"].pk)

    if found is None:
        with pytest.raises(Artist.DoesNotExist) as refused:
            artist_get(id_or_slug=asked)
        assert str(refused.value) == f"No artist with id, slug or Ticketmaster id {asked!r}"
    else:
        assert artist_get(id_or_slug=asked) == artists[found]


@pytest.mark.parametrize(
    "url",
    [
        "/api/artists/nobody",
        "/api/artists/nobody/shows",
        "/api/artists/nobody/tracks",
        "/api/artists/nobody/songs",
        "/api/artists/nobody/status",
        "/api/artists/999999/status",
    ],
)
def test_an_unknown_artist_is_a_404_saying_what_the_path_takes(client, url):
    response = client.get(url)

    asked = url.split("/")[3]
    assert response.status_code == 404
    assert response["Content-Type"] == JSON
    assert response.json() == {"detail": f"No artist with id, slug or Ticketmaster id '{asked}'"}


def test_the_schema_says_what_names_an_artist(openapi):
    for path in (
        "/api/artists/{id_or_slug}",
        "/api/artists/{id_or_slug}/shows",
        "/api/artists/{id_or_slug}/tracks",
        "/api/artists/{id_or_slug}/songs",
        "/api/artists/{id_or_slug}/status",
    ):
        (parameter,) = [p for p in openapi["paths"][path]["get"]["parameters"] if p["in"] == "path"]
        description = parameter["description"]
        assert "id" in description and "slug" in description, path
        assert "Ticketmaster attraction id" in description, path


def test_a_nameless_artist_is_still_in_the_detail_but_not_in_the_list(client):
    started = start_import(TM_ID)

    detail = client.get(f"/api/artists/{TM_ID}")
    listed = client.get("/api/artists").json()

    assert detail.status_code == 200
    assert detail.json()["id"] == started.artist_id
    assert detail.json()["name"] == ""
    assert listed == {"items": [], "count": 0}


# --- The list and search ---------------------------------------------------------------


def test_the_list_has_public_artists_by_name_with_their_urls(client, openapi):
    rovers = named_artist(
        "The Velvet Rövers", tm_attraction_id=TM_ID, image_url="https://img.example/r.jpg"
    )
    abba = named_artist("Abba Tribute", tm_attraction_id="K8vZ917Abba")
    start_import("K8vZ917Nameless")  # a shell no identity phase has named: not listed
    make_artist(name="Unnamed by identity")  # named by a bill only: not public either

    response = client.get("/api/artists")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["items"]] == [abba.pk, rovers.pk]
    assert body["items"][1] == {
        "id": rovers.pk,
        "slug": "the-velvet-rovers",
        "name": "The Velvet Rövers",
        "tm_attraction_id": TM_ID,
        "image_url": "https://img.example/r.jpg",
        "page_url": "http://testserver/artists/the-velvet-rovers/",
        "api_url": f"/api/artists/{rovers.pk}",
    }
    assert client.get(body["items"][1]["api_url"]).json()["id"] == rovers.pk
    assert client.get(body["items"][1]["page_url"]).status_code == 200
    assert_matches_openapi(openapi, response, "/api/artists")


def test_search_matches_part_of_the_name_ignoring_case_prefix_first(client):
    named_artist("Velvet Underground", tm_attraction_id="K8vZ917Vel1")
    named_artist("The Velvet Rövers", tm_attraction_id="K8vZ917Vel2")
    named_artist("Crushed Velvet", tm_attraction_id="K8vZ917Vel3")
    named_artist("Metallica", tm_attraction_id="K8vZ917Met1")

    body = client.get("/api/artists", {"q": " vELVET "}).json()

    assert body["count"] == 3
    assert [item["name"] for item in body["items"]] == [
        "Velvet Underground",
        "Crushed Velvet",
        "The Velvet Rövers",
    ]


def test_the_list_pages_by_limit_and_offset_twenty_by_default(client):
    artists = [
        named_artist(f"Band {n:02d}", tm_attraction_id=f"K8vZ917B{n:03d}") for n in range(25)
    ]

    first = client.get("/api/artists").json()
    window = client.get("/api/artists", {"limit": 3, "offset": 22}).json()
    past_the_end = client.get("/api/artists", {"offset": 100}).json()

    assert (first["count"], len(first["items"])) == (25, 20)
    assert [item["id"] for item in window["items"]] == [a.pk for a in artists[22:25]]
    assert past_the_end == {"items": [], "count": 25}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("limit=0", "limit: Input should be greater than or equal to 1"),
        ("limit=101", "limit: Input should be less than or equal to 100"),
        ("limit=ten", "limit: Input should be a valid integer"),
        ("offset=-1", "offset: Input should be greater than or equal to 0"),
        ("offset=1e30", "offset: Input should be a valid integer"),
        (f"q={'x' * 301}", "q: String should have at most 300 characters"),
        ("q=a%00b", "q: String should match pattern"),
    ],
)
def test_list_parameters_out_of_range_are_422_naming_the_field(client, query, expected):
    response = client.get(f"/api/artists?{query}")

    assert response.status_code == 422, response.content
    assert expected in response.json()["detail"]


def test_the_list_takes_a_few_queries_whatever_the_page(client, django_assert_max_num_queries):
    for n in range(30):
        named_artist(f"Band {n:02d}", tm_attraction_id=f"K8vZ917Q{n:03d}")

    with django_assert_max_num_queries(2):  # the count and the page
        response = client.get("/api/artists", {"q": "band", "limit": 30})

    assert len(response.json()["items"]) == 30


# --- Shows carry their venue's time zone -----------------------------------------------


def test_shows_have_the_venues_time_zone(client, openapi):
    artist = make_artist()
    today = timezone.localdate()
    london = make_venue(name="O2 Academy Brixton", city="London", timezone="Europe/London")
    unknown = make_venue(name="Somewhere")
    make_show(
        artist=artist, local_date=today + timedelta(days=1), local_time=time(19), venue=london
    )
    make_show(artist=artist, local_date=today + timedelta(days=2), venue=unknown)

    response = client.get(f"/api/artists/{artist.slug}/shows")

    venues = [show["venue"] for show in response.json()["items"]]
    assert [(v["name"], v["timezone"]) for v in venues] == [
        ("O2 Academy Brixton", "Europe/London"),
        ("Somewhere", ""),
    ]
    assert_matches_openapi(openapi, response, "/api/artists/{id_or_slug}/shows")
    show_schema = openapi["components"]["schemas"]["ShowOut"]["properties"]
    for field in ("local_date", "local_time"):
        assert "venue.timezone" in show_schema[field]["description"]


# --- Paths that match no route ---------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "detail"),
    [
        (
            "get",
            "/api/artists/1/",
            "No API route at /api/artists/1/: the API's paths end without a slash, "
            "/api/artists/1 is a route",
        ),
        (
            "get",
            "/api/artists/",
            "No API route at /api/artists/: the API's paths end without a slash, "
            "/api/artists is a route",
        ),
        (
            "get",
            "/api/artists/K8vZ917Pr7k/shows/",
            "No API route at /api/artists/K8vZ917Pr7k/shows/: the API's paths end without a "
            "slash, /api/artists/K8vZ917Pr7k/shows is a route",
        ),
        (
            "get",
            "/api/artists/1/stream/",
            "No API route at /api/artists/1/stream/: the API's paths end without a slash, "
            "/api/artists/1/stream is a route",
        ),
        ("get", "/api/", "No API route at /api/ (routes: /api/docs)"),
        ("get", "/api/nothing/here", "No API route at /api/nothing/here (routes: /api/docs)"),
        ("get", "/api/nothing/", "No API route at /api/nothing/ (routes: /api/docs)"),
        ("get", "/api/artists/1/concerts", "No API route at /api/artists/1/concerts (routes: "),
        ("post", "/api/artists/import/", "No API route at /api/artists/import/: the API's"),
        ("delete", "/api/imports", "No API route at /api/imports (routes: /api/docs)"),
    ],
)
def test_a_path_that_matches_no_route_is_a_json_404(client, method, path, detail):
    response = getattr(client, method)(path)

    assert response.status_code == 404
    assert response["Content-Type"] == JSON
    assert response.json()["detail"].startswith(detail)
    assert set(response.json()) == {"detail"}


def test_a_404_repeats_a_long_path_only_in_part(client):
    response = client.get(f"/api/{'x' * 10_000}")

    assert response.status_code == 404
    assert len(response.content) < 400


def test_an_unknown_path_outside_the_api_keeps_djangos_404(client):
    response = client.get("/nothing-here/")

    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
