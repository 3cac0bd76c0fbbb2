"""The public pages through the Django test client: `/` (index, search, paging, the staff
import form), the artist page's paging, filters and song search, links (tickets, venues,
acts), what fans see of artists not named yet and of failed imports, the venue page, and
the 404 page. Browser tests of the same pages: tests/imports/test_pages_browser.py."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from catalog.models import Album, Artist, ArtistTrack
from catalog.rules import song_title
from catalog.services import songs_regroup
from imports.auth import START_IMPORTS_PERMISSION
from imports.pages import (
    ARTISTS_PER_PAGE,
    RECENT_ARTISTS,
    SHOWS_PER_PAGE,
    SONGS_PER_PAGE,
)
from imports.phases import PhaseName
from imports.progress import PhaseReporter, fail_run
from imports.services import import_run_create
from shows.models import Billing
from tests.factories import (
    link_track,
    make_artist,
    make_show,
    make_touring_artist,
    make_track,
)

pytestmark = pytest.mark.django_db


def public_artist(**fields) -> Artist:
    """An artist an identity phase has named (as imports leave it)."""
    return make_artist(**({"identity_synced_at": timezone.now()} | fields))


def day(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def names_on(html: str, section: str) -> list[str]:
    """The artist names of the cards in one section of `/`."""
    start = html.index(f'id="{section}"')
    end = html.find("</section>", start)
    return [unescape(n) for n in re.findall(r'<span class="name">(.*?)</span>', html[start:end])]


def section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start : html.find("</section>", start)]


def rows_in(html: str, section_id: str) -> int:
    return max(0, section(html, section_id).count("<tr>") - 1)  # less the header row


# --- `/` -------------------------------------------------------------------------------


def test_the_index_answers_at_the_root_and_lists_public_artists_by_name(client):
    public_artist(name="Zebra Parade")
    public_artist(name="Alpha Waves")
    make_artist(name="", tm_attraction_id="K8vZ917Zzzz")  # an id nobody knows: not public
    make_artist(name="Bill Only Act")  # named by another artist's bill only: not public

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert names_on(html, "artists") == ["Alpha Waves", "Zebra Parade"]
    assert "K8vZ917Zzzz" not in html and "Bill Only Act" not in html
    assert reverse("home") == "/"  # the admin's "View site" leads here


def test_search_finds_names_containing_the_words_prefix_matches_first(client):
    for name in ("The Rolling Stones", "Stone Sour", "Sly & the Family Stone", "Queen"):
        public_artist(name=name)

    html = client.get("/", {"q": "  stone "}).content.decode()

    assert names_on(html, "artists") == [
        "Stone Sour",
        "Sly & the Family Stone",
        "The Rolling Stones",
    ]
    assert "Artists matching “stone”" in html
    assert 'id="recent"' not in html  # a search shows its results only
    assert "No artist's name contains “zzz”" in client.get("/?q=zzz").content.decode()


def test_the_index_pages_artists_and_keeps_the_search_in_the_links(client):
    for n in range(ARTISTS_PER_PAGE + 5):
        public_artist(name=f"Band {n:03d}")

    first = client.get("/", {"q": "band"}).content.decode()
    second = client.get("/", {"q": "band", "page": 2}).content.decode()

    assert len(names_on(first, "artists")) == ARTISTS_PER_PAGE
    assert names_on(second, "artists") == [f"Band {n:03d}" for n in range(ARTISTS_PER_PAGE, 35)]
    assert 'href="?q=band&amp;page=2#artists"' in first
    total = ARTISTS_PER_PAGE + 5
    assert f"{ARTISTS_PER_PAGE + 1}\N{EN DASH}{total} of {total}" in second
    # Past the end, or not a number: the last page, the first page.
    assert names_on(client.get("/?q=band&page=99").content.decode(), "artists") == names_on(
        second, "artists"
    )
    assert client.get("/?page=x").status_code == 200


def test_the_index_shows_the_recently_imported_first(client):
    now = timezone.now()
    for n in range(RECENT_ARTISTS + 2):
        public_artist(name=f"Act {n:02d}", identity_synced_at=now - dt.timedelta(hours=n))

    recent = names_on(client.get("/").content.decode(), "recent")

    assert recent == [f"Act {n:02d}" for n in range(RECENT_ARTISTS)]


def test_search_reads_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for n in range(40):
        public_artist(name=f"Many {n}", genres=["Rock", "Pop"])
    # Count, page, recently imported (and the session's user for staff): never per artist.
    with django_assert_max_num_queries(3):
        assert client.get("/").status_code == 200


def test_only_staff_who_may_import_get_the_import_form(client, admin_client, django_user_model):
    form = f'action="{reverse("admin:imports_importrun_import")}"'
    assert form in admin_client.get("/").content.decode()
    assert form not in client.get("/").content.decode()
    staff = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(staff)
    assert form not in client.get("/").content.decode()
    app, codename = START_IMPORTS_PERMISSION.split(".")
    staff.user_permissions.add(
        Permission.objects.get(content_type__app_label=app, codename=codename)
    )
    assert form in client.get("/").content.decode()


def test_the_import_form_on_the_index_starts_an_import_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:imports_importrun_import"),
        {"tm_attraction_ids": "K8vZ917Frm1", "_start": "1"},
    )
    assert response.status_code == 302
    assert Artist.objects.filter(tm_attraction_id="K8vZ917Frm1").exists()


# --- The artist page -------------------------------------------------------------------


VERSIONS = {"(Demo)": "demo", "- 2011 Remaster": "remaster"}


def add_versions(artist: Artist) -> None:
    """A demo and a remaster of each of the artist's songs, on compilations released
    after the originals, so the original stays the main recording; the songs are then
    written again as an import writes them."""
    links = []
    for song in artist.songs.select_related("main_track"):
        for n, (marker, kind) in enumerate(VERSIONS.items()):
            release = Album.objects.create(
                spotify_id=f"{kind}{song.pk:018d}",
                name=f"{kind.title()}s {song.pk}",
                album_type="compilation",
                release_date=f"{2011 + n}-01-01",
            )
            name = f"{song.main_track.name} {marker}"
            track = make_track(name=name, album=release, version=kind)
            links.append(ArtistTrack(artist=artist, track=track, song=song))
    ArtistTrack.objects.bulk_create(links)
    songs_regroup(artist_id=artist.pk)


@pytest.fixture
def touring() -> Artist:
    """A public artist with 60 shows in two countries over two months and 53 songs, each
    in three versions (original, demo, remaster)."""
    artist = make_touring_artist(
        name="Touring Band", shows=SHOWS_PER_PAGE + 10, songs=SONGS_PER_PAGE + 3
    )
    add_versions(artist)
    return artist


def page(client, artist: Artist, **params) -> str:
    response = client.get(artist.get_absolute_url(), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_artist_page_is_paged_on_the_server_and_small(client, touring):
    html = page(client, touring)

    assert rows_in(html, "shows") == SHOWS_PER_PAGE
    assert rows_in(html, "songs") == SONGS_PER_PAGE
    assert "1\N{EN DASH}50 of 60" in html and "1\N{EN DASH}50 of 53" in html
    assert 'href="?page=2#shows"' in html and 'href="?songs_page=2#songs"' in html
    assert 'class="scroll"' not in html  # no box scrolling inside the page
    assert len(html.encode()) < 100_000
    # The other list's page is kept when paging one of them.
    second = page(client, touring, page=2, songs_page=2)
    assert rows_in(second, "shows") == 10 and rows_in(second, "songs") == 3
    assert 'href="?page=1&amp;songs_page=2#shows"' in second


def test_shows_filter_by_month_and_country(client, touring):
    html = page(client, touring)
    months = re.findall(r'<option value="(\d{4}-\d{2})"', html)
    assert len(months) == 2
    assert re.findall(r'<option value="([A-Z]{2})"[^>]*>([^<]+)<', html) == [
        ("GB", "United Kingdom"),
        ("US", "United States"),
    ]

    in_london = page(client, touring, country="GB")
    assert rows_in(in_london, "shows") == 30
    assert "London, United Kingdom" in in_london and "Austin, United States" not in in_london
    assert "30 of 60" in in_london

    month = page(client, touring, month=months[1], country="gb")  # a code in any case
    assert rows_in(month, "shows") == 30
    assert f'<option value="{months[1]}" selected>' in month

    both = page(client, touring, month=months[0], country="GB")
    assert rows_in(both, "shows") == 0
    assert "No upcoming shows match these filters." in both


def test_a_filter_value_without_shows_is_named_and_ignored(client, touring):
    html = page(client, touring, month="1999-13", country="XX")
    assert "No shows in the month “1999-13”: showing every month." in html
    assert "No shows in the country “XX”: showing every country." in html
    assert rows_in(html, "shows") == SHOWS_PER_PAGE


def test_songs_search_by_title(client, touring):
    html = page(client, touring, song="ballad")
    assert rows_in(html, "songs") == 18  # every third of 53
    assert "18 of 53" in html
    assert [row.pieces[:2] for row in song_rows(html)][:2] == [
        ["Ballad 000", "3 versions"],
        ["Ballad 003", "3 versions"],
    ]
    assert "No studio song matches “nothing”" in page(client, touring, song="nothing")
    # Titles are searched, not the names of their versions.
    assert "No studio song matches “demo”" in page(client, touring, song="demo")


class SongRows(HTMLParser):
    """The song rows of the artist page's songs list: the pieces of text of each row
    outside its versions (title, version count, album, length), and of each version."""

    def __init__(self) -> None:
        super().__init__()
        self.in_body = self.in_versions = False
        self.rows: list[SongSeen] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append(SongSeen(pieces=[], versions=[]))
        elif tag == "ol":
            self.in_versions = True
        elif self.in_versions and tag == "li":
            self.rows[-1].versions.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self.in_body = False
        elif tag == "ol":
            self.in_versions = False

    def handle_data(self, data: str) -> None:
        if self.in_body and self.rows and data.strip():
            row = self.rows[-1]
            (row.versions[-1] if self.in_versions else row.pieces).append(data.strip())


@dataclass
class SongSeen:
    pieces: list[str]
    versions: list[list[str]]

    @property
    def text(self) -> str:
        return " / ".join(self.pieces)

    @property
    def version_lines(self) -> list[str]:
        return [" / ".join(version) for version in self.versions]


def song_rows(html: str) -> list[SongSeen]:
    parser = SongRows()
    parser.feed(section(html, "songs"))
    return parser.rows


def test_each_song_says_its_versions_main_album_and_length_and_opens_to_its_versions(
    client, touring
):
    song = touring.songs.select_related("main_track__album").get(title="Ballad 000")
    main_album = song.main_track.album.name

    html = page(client, touring)

    rows = song_rows(html)
    assert len(rows) == SONGS_PER_PAGE
    assert rows[0].text == f"Ballad 000 / 3 versions / {main_album} / 3:20"
    # Main first, each version with its kind, album, year (when known) and length.
    assert rows[0].version_lines == [
        f"Ballad 000 / Original / Main / {main_album} · 3:20",
        f"Ballad 000 (Demo) / Demo / Demos {song.pk} · 2011 · 3:20",
        f"Ballad 000 - 2011 Remaster / Remaster / Remasters {song.pk} · 2012 · 3:20",
    ]
    # Each song opens to its versions without a script.
    assert section(html, "songs").count("<details><summary>") == SONGS_PER_PAGE
    assert "<strong>53</strong> studio songs</a> (159 recordings)" in html


@pytest.mark.parametrize(
    ("recordings", "row", "versions"),
    [
        pytest.param([("Coda", "2001")], "Coda / Debut 2001 / 3:20", [], id="one original"),
        pytest.param(
            [("Blue (Night Remix)", "2001")],
            "Blue / Remix / Debut 2001 / 3:20",
            [],
            id="one recording, a remix: its kind is said",
        ),
        pytest.param(
            [("Anthem (Demo)", "1999"), ("Anthem", "2001")],
            "Anthem / 2 versions / Debut 2001 / 3:20",
            [
                "Anthem / Original / Main / Debut 2001 · 2001 · 3:20",
                "Anthem (Demo) / Demo / Debut 1999 · 1999 · 3:20",
            ],
            id="the original is main, even released later",
        ),
        pytest.param(
            [("Anthem - Remastered 2009", "2009"), ("Anthem (Acoustic)", "0000")],
            "Anthem / 2 versions / Debut 2009 / 3:20",
            [
                "Anthem - Remastered 2009 / Remaster / Main / Debut 2009 · 2009 · 3:20",
                "Anthem (Acoustic) / Acoustic / Debut 0000 · 3:20",  # no year known
            ],
            id="no original: the earliest dated version is main",
        ),
        pytest.param(
            [("Anthem", "2001"), ("Anthem (Radio Edit)", "2001"), ("Anthem (Mono)", "2001")],
            "Anthem / 3 versions / Debut 2001 / 3:20",
            [
                "Anthem / Original / Main / Debut 2001 · 2001 · 3:20",
                "Anthem (Mono) / Mono / Debut 2001 · 2001 · 3:20",
                "Anthem (Radio Edit) / Edit / Debut 2001 · 2001 · 3:20",
            ],
            id="kinds named as curators name them",
        ),
    ],
)
def test_a_song_row_says_what_its_versions_are(client, recordings, row, versions):
    artist = public_artist(name="Versions Band")
    for name, released in recordings:
        album = Album.objects.get_or_create(
            spotify_id=f"debut{released:0>17}",
            defaults={"name": f"Debut {released}", "album_type": "album", "release_date": released},
        )[0]
        link_track(artist, make_track(name=name, album=album, version=song_title(name).kind))

    (seen,) = song_rows(page(client, artist))

    assert (seen.text, seen.version_lines) == (row, versions)


def test_shows_link_their_tickets_venues_and_the_acts_with_pages(client, touring):
    co = public_artist(name="Co Headliner", shows_synced_at=timezone.now())
    unnamed_guest = make_artist(name="Guest Only")  # billed, never imported: no page
    show = touring.shows.order_by("local_date", "pk").first()
    Billing.objects.create(show=show, artist=co, position=1)
    Billing.objects.create(show=show, artist=unnamed_guest, position=2)
    show.url = "javascript:alert(1)"  # never a link
    show.save()

    html = page(client, touring)

    assert f'<a href="{co.get_absolute_url()}">Co Headliner</a>, Guest Only' in html
    assert 'href="https://www.ticketmaster.com/event/1"' in html
    assert "javascript:" not in html
    assert f'href="{show.venue.get_absolute_url()}"' in html
    assert html.count('class="tickets"') == SHOWS_PER_PAGE - 1


def test_times_say_they_are_the_venues_local_time(client, touring):
    html = page(client, touring)
    assert re.search(
        r'20:00<abbr class="zone" title="Local time at the venue \(Europe/London\)">'
        r"(GMT|BST)</abbr>",
        html,
    )
    assert "Dates and times are the venue's local time." in html


def test_an_id_ticketmaster_does_not_know_is_a_404_for_fans_and_explained_to_staff(
    client, admin_client
):
    started = import_run_create(tm_attraction_id="K8vZ917Zzzz")
    PhaseReporter(run_id=started.import_id, phase=PhaseName.IDENTITY).start()
    fail_run(
        started.import_id,
        PhaseName.IDENTITY,
        "Ticketmaster has no attraction with id K8vZ917Zzzz",
    )
    artist = Artist.objects.get(pk=started.artist_id)

    public = client.get(artist.get_absolute_url())
    assert public.status_code == 404
    assert "K8vZ917Zzzz" not in public.content.decode()
    assert "artist index" in public.content.decode()  # the 404 page leads somewhere

    staff = admin_client.get(artist.get_absolute_url()).content.decode()
    assert "Only staff see this page" in staff
    assert "Ticketmaster has no attraction with id K8vZ917Zzzz" in staff
    assert "K8vZ917Zzzz" not in client.get("/").content.decode()


def failed_latest_run(artist: Artist, message: str) -> None:
    run = import_run_create(tm_attraction_id=artist.tm_attraction_id)
    PhaseReporter(run_id=run.import_id, phase=PhaseName.IDENTITY).start()
    fail_run(run.import_id, PhaseName.IDENTITY, message)


@pytest.mark.parametrize(
    ("shows_synced", "catalog_synced", "notice"),
    [
        (True, True, None),
        (True, False, "We couldn't load this artist's songs yet"),
        (False, True, "We couldn't load this artist's upcoming shows yet"),
        (False, False, "We couldn't load this artist's shows and songs yet"),
    ],
    ids=["complete before: nothing said", "songs missing", "shows missing", "both missing"],
)
def test_the_failure_notice_shows_only_when_a_list_is_incomplete(
    client, shows_synced, catalog_synced, notice
):
    now = timezone.now()
    artist = public_artist(
        name="Sometimes Failing",
        shows_synced_at=now if shows_synced else None,
        catalog_synced_at=now if catalog_synced else None,
    )
    failed_latest_run(artist, "SPOTIFY_CLIENT_SECRET is not set")

    html = page(client, artist)

    if notice is None:
        assert 'id="incomplete-notice"' not in html
    else:
        assert notice in html
    # Worded for fans: no error, no talk of failed imports (staff read those in the admin).
    assert "SPOTIFY_CLIENT_SECRET" not in html
    assert "import" not in html[html.index("<main") : html.index("</main>")].lower()


def test_staff_get_a_link_to_the_admin_and_fans_do_not(client, admin_client, touring):
    admin_url = reverse("admin:catalog_artist_change", args=[touring.pk])
    assert f'href="{admin_url}"' in page(admin_client, touring)
    assert "/admin/" not in page(client, touring)


# --- The venue page --------------------------------------------------------------------


def test_the_venue_page_lists_its_upcoming_shows_with_their_bills(client, touring):
    venue = touring.shows.first().venue
    past = make_show(artist=touring, venue=venue, local_date=day(-2))

    response = client.get(venue.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{venue.name}</h1>" in html
    assert "Times are local to the venue" in html and venue.timezone in html
    shows_here = touring.shows.filter(venue=venue).exclude(pk=past.pk).count()
    assert rows_in(html, "shows") == shows_here
    assert f'<a href="{touring.get_absolute_url()}">Touring Band</a>' in html
    assert client.get("/venues/KovZnothing/").status_code == 404


# --- Not found -------------------------------------------------------------------------


def test_unknown_addresses_get_the_sites_404_page(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Nothing here</h1>" in html and 'href="/"' in html
