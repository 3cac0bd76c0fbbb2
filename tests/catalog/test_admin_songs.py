"""Songs in the admin: the song list and page are read only, recordings main first; a
curator's song override (its own page, the artist page's inline, or "Move to another
song…" on recordings and songs) moves recordings at once (the artist's songs regrouped,
the curator told what moved), and the move holds through a regroup and a re-import."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Artist, ArtistTrack, Song, SongOverride, Track
from catalog.services import StudioTrack, catalog_upsert, songs_regroup
from integrations.spotify.records import SpotifyAlbumSummary
from tests.factories import make_artist

pytestmark = pytest.mark.django_db

DEMOS = SpotifyAlbumSummary(
    spotify_id="albumvelvet00000000001",
    name="Basement Tapes",
    album_type="album",
    album_group="album",
    release_date="1999-06-01",
    release_date_precision="day",
    total_tracks=1,
    image_url="",
)
DEBUT = SpotifyAlbumSummary(
    spotify_id="albumvelvet00000000002",
    name="Alive",
    album_type="album",
    album_group="album",
    release_date="2001-03-05",
    release_date_precision="day",
    total_tracks=2,
    image_url="",
)
DELUXE = SpotifyAlbumSummary(
    spotify_id="albumvelvet00000000003",
    name="Alive (Deluxe Edition)",
    album_type="album",
    album_group="album",
    release_date="2021-03-05",
    release_date_precision="day",
    total_tracks=2,
    image_url="",
)
ALBUMS = [DEMOS, DEBUT, DELUXE]


def studio_track(n: int, name: str, album: SpotifyAlbumSummary, isrc: str) -> StudioTrack:
    return StudioTrack(
        spotify_id=f"velvettrack{n:011d}",
        name=name,
        isrc=isrc,
        album_spotify_id=album.spotify_id,
        duration_ms=187_000 + n * 1000,
        popularity=50,
        disc_number=1,
        track_number=n,
        is_remix=False,
    )


TRACKS = [
    studio_track(1, "Alive - Demo", DEMOS, "GBVLV9900001"),
    studio_track(2, "Alive", DEBUT, "GBVLV0100001"),
    studio_track(3, "Bloom", DEBUT, ""),  # no ISRC: overrides name its release
    studio_track(4, "Alive - Early Version", DELUXE, "GBVLV2100001"),
    studio_track(5, "Alive - 2021 Remaster", DELUXE, "GBVLV2100002"),
]
ALIVE, BLOOM, EARLY = "velvettrack00000000002", "velvettrack00000000003", "velvettrack00000000004"


@pytest.fixture
def artist() -> Artist:
    """A public artist whose catalog an import wrote: "Alive" in four recordings (a demo
    released before the original), "Bloom" in one."""
    artist = make_artist(name="The Velvet Rövers", identity_synced_at=timezone.now())
    catalog_upsert(artist_id=artist.pk, albums=ALBUMS, tracks=TRACKS)
    return artist


def songs_of(artist: Artist) -> dict[str, set[str]]:
    """The artist's songs as stored: {title: names of its recordings}."""
    return {
        song.title: {link.track.name for link in song.recordings.select_related("track")}
        for song in Song.objects.filter(artist=artist)
    }


ALIVE_AND_BLOOM = {
    "Alive": {"Alive - Demo", "Alive", "Alive - Early Version", "Alive - 2021 Remaster"},
    "Bloom": {"Bloom"},
}


def reimport(artist: Artist) -> None:
    """The same catalog written again, as a re-import writes it."""
    catalog_upsert(artist_id=artist.pk, albums=ALBUMS, tracks=TRACKS)


def messages_of(response) -> list[str]:
    """The messages a response leaves for the next page (used up: the next call reads
    only the messages of its own response)."""
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    if response.status_code == 302:
        response.client.get(response.url)  # shows them, so the cookie forgets them
    return messages


def actions_of(listing) -> set[str]:
    """The actions a change list offers (none: no action bar at all)."""
    form = listing.context["action_form"]
    return set(dict(form.fields["action"].choices)) if form else set()


def link_of(artist: Artist, spotify_id: str) -> ArtistTrack:
    return ArtistTrack.objects.get(artist=artist, track__spotify_id=spotify_id)


def song(artist: Artist, title: str) -> Song:
    return Song.objects.get(artist=artist, title=title)


def staff_client(django_user_model, username: str, permissions: list[str]) -> Client:
    user = django_user_model.objects.create_user(username, password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    client = Client()
    client.force_login(user)
    return client


OVERRIDE_FORM = {"track_name": "", "spotify_id": "", "isrc": "", "song_title": "", "note": ""}


# --- The song list and page ---------------------------------------------------------


def test_the_song_list_shows_versions_and_the_main_recordings_album_and_length(
    admin_client, artist
):
    response = admin_client.get(reverse("admin:catalog_song_changelist"))
    assert response.status_code == 200
    rows = {
        song.title: (song.recordings_count, song.main_track.album.name)
        for song in response.context["cl"].result_list
    }
    assert rows == {"Alive": (4, "Alive"), "Bloom": (1, "Alive")}
    listing = response.content.decode()
    assert '<td class="field-main_length">3:09</td>' in listing  # "Alive", 189 s
    assert "The Velvet Rövers" in listing
    assert reverse("admin:catalog_song_add") not in listing
    assert 'value="delete_selected"' not in listing

    by_title = admin_client.get(reverse("admin:catalog_song_changelist"), {"q": "bloom"})
    assert [s.title for s in by_title.context["cl"].result_list] == ["Bloom"]
    by_artist = admin_client.get(reverse("admin:catalog_song_changelist"), {"q": "velvet"})
    assert by_artist.context["cl"].result_count == 2
    several = admin_client.get(reverse("admin:catalog_song_changelist"), {"versions": "several"})
    assert [s.title for s in several.context["cl"].result_list] == ["Alive"]
    other = make_artist(name="Other Band")
    catalog_upsert(artist_id=other.pk, albums=ALBUMS, tracks=TRACKS[2:3])
    mine = admin_client.get(
        reverse("admin:catalog_song_changelist"), {"artist__id__exact": artist.pk}
    )
    assert [(s.artist_id, s.title) for s in mine.context["cl"].result_list] == [
        (artist.pk, "Alive"),
        (artist.pk, "Bloom"),
    ]
    # Each artist links to its songs in the list.
    songs = reverse("admin:catalog_song_changelist")
    both = admin_client.get(songs).content.decode()
    assert f'<a href="{songs}?artist__id__exact={other.pk}">Other Band</a>' in both


def test_a_song_page_lists_its_recordings_main_first_and_is_read_only(admin_client, artist):
    alive = song(artist, "Alive")
    url = reverse("admin:catalog_song_change", args=[alive.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    inline = response.context["inline_admin_formsets"][0]
    shown = [form.original.track.name for form in inline]
    # As the site and the API list them: the original first although the demo came out
    # earlier, then the studio takes, then the other versions (rules.main_recording_key).
    assert shown == ["Alive", "Alive - Early Version", "Alive - Demo", "Alive - 2021 Remaster"]
    for text in ["Alternate", "Basement Tapes (album)", "1999-06-01"]:
        assert text in page, text
    assert "GBVLV2100001" in page and EARLY in page
    assert 'name="title"' not in page and 'name="_save"' not in page
    assert "Add another recording" not in page and 'name="recordings-0-DELETE"' not in page
    # The artist's public page, from the artist line and "View on site".
    assert f'href="{artist.get_absolute_url()}">public page</a>' in page
    assert f'href="{artist.get_absolute_url()}" class="viewsitelink"' in page
    # Nothing to write, nothing to delete.
    assert admin_client.post(url, {"title": "Renamed"}).status_code == 403
    delete = reverse("admin:catalog_song_delete", args=[alive.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert song(artist, "Alive").recordings_count == 4


def test_a_song_of_an_unnamed_artist_has_no_public_page_link(admin_client):
    hidden = make_artist(name="")
    catalog_upsert(artist_id=hidden.pk, albums=ALBUMS, tracks=TRACKS[2:3])
    page = admin_client.get(
        reverse("admin:catalog_song_change", args=[Song.objects.get(artist=hidden).pk])
    ).content.decode()
    assert "viewsitelink" not in page and "public page" not in page


def test_recordings_and_tracks_show_their_song_and_version(admin_client, artist):
    listing = admin_client.get(reverse("admin:catalog_artisttrack_changelist")).content.decode()
    alive_url = reverse("admin:catalog_song_change", args=[song(artist, "Alive").pk])
    assert f'<a href="{alive_url}">Alive</a>' in listing
    assert '<td class="field-version_column">Demo</td>' in listing
    demos = admin_client.get(
        reverse("admin:catalog_artisttrack_changelist"), {"track__version__exact": "demo"}
    )
    assert [link.track.name for link in demos.context["cl"].result_list] == ["Alive - Demo"]

    tracks = admin_client.get(reverse("admin:catalog_track_changelist"), {"version": "remaster"})
    assert [track.name for track in tracks.context["cl"].result_list] == ["Alive - 2021 Remaster"]
    assert '<td class="field-version">Remaster</td>' in tracks.content.decode()
    track_page = admin_client.get(
        reverse("admin:catalog_track_change", args=[Track.objects.get(spotify_id=EARLY).pk])
    ).content.decode()
    assert "Alternate" in track_page


# --- Song overrides: their page, regrouped at once ------------------------------------


def test_a_song_override_moves_the_recording_at_once_and_through_reimports(
    admin_client, admin_user, artist
):
    """A new title splits the recording off into a song of its own; the old song loses
    it; a regroup and a re-import of the same catalog keep it there."""
    old_alive = song(artist, "Alive")
    response = admin_client.post(
        reverse("admin:catalog_songoverride_add"),
        OVERRIDE_FORM
        | {
            "artist": artist.pk,
            "isrc": "gb-vlv-21-00001",
            "track_name": "Alive - Early Version",
            "song_title": "  Alive   Again ",
            "note": "a different song, same riff",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert "Alive - Early Version now in “Alive Again” (The Velvet Rövers)." in messages_of(
        response
    )
    override = SongOverride.objects.get()
    assert (override.isrc, override.song_title, override.created_by) == (
        "GBVLV2100001",
        "Alive Again",
        admin_user,
    )
    moved = {
        "Alive": {"Alive - Demo", "Alive", "Alive - 2021 Remaster"},
        "Alive Again": {"Alive - Early Version"},
        "Bloom": {"Bloom"},
    }
    assert songs_of(artist) == moved
    assert song(artist, "Alive").pk == old_alive.pk
    assert song(artist, "Alive").recordings_count == 3
    assert song(artist, "Alive Again").main_track.spotify_id == EARLY

    songs_regroup(artist_id=artist.pk)
    assert songs_of(artist) == moved
    reimport(artist)
    assert songs_of(artist) == moved
    assert link_of(artist, EARLY).song.title == "Alive Again"


def test_a_recording_moved_into_another_song_empties_and_removes_its_own(admin_client, artist):
    response = admin_client.post(
        reverse("admin:catalog_songoverride_add"),
        OVERRIDE_FORM | {"artist": artist.pk, "spotify_id": BLOOM, "song_title": "alive"},
    )
    assert response.status_code == 302
    assert "Bloom now in “Alive” (The Velvet Rövers)." in messages_of(response)
    assert songs_of(artist) == {"Alive": ALIVE_AND_BLOOM["Alive"] | {"Bloom"}}
    assert not Song.objects.filter(artist=artist, title="Bloom").exists()
    reimport(artist)
    assert songs_of(artist) == {"Alive": ALIVE_AND_BLOOM["Alive"] | {"Bloom"}}


def test_changing_and_deleting_an_override_regroups_back(admin_client, artist):
    override = SongOverride.objects.create(artist=artist, spotify_id=BLOOM, song_title="Alive")
    songs_regroup(artist_id=artist.pk)
    assert "Bloom" not in songs_of(artist)
    change = reverse("admin:catalog_songoverride_change", args=[override.pk])

    renamed = admin_client.post(
        change, OVERRIDE_FORM | {"artist": artist.pk, "spotify_id": BLOOM, "song_title": "Blossom"}
    )
    assert renamed.status_code == 302
    assert "Bloom now in “Blossom” (The Velvet Rövers)." in messages_of(renamed)
    assert songs_of(artist)["Blossom"] == {"Bloom"}

    deleted = admin_client.post(
        reverse("admin:catalog_songoverride_delete", args=[override.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 302
    assert "Bloom now in “Bloom” (The Velvet Rövers)." in messages_of(deleted)
    assert songs_of(artist) == ALIVE_AND_BLOOM
    reimport(artist)
    assert songs_of(artist) == ALIVE_AND_BLOOM


def test_deleting_overrides_from_the_list_regroups_every_artist_concerned(admin_client, artist):
    other = make_artist(name="Other Band")
    catalog_upsert(artist_id=other.pk, albums=ALBUMS, tracks=TRACKS[2:3])  # "Bloom" too
    overrides = [
        SongOverride.objects.create(artist=artist, isrc="GBVLV0100001", song_title="Bloom"),
        SongOverride.objects.create(artist=other, spotify_id=BLOOM, song_title="Blossom"),
    ]
    for moved in (artist, other):
        songs_regroup(artist_id=moved.pk)
    assert songs_of(other) == {"Blossom": {"Bloom"}}
    response = admin_client.post(
        reverse("admin:catalog_songoverride_changelist"),
        {"action": "delete_selected", "_selected_action": [o.pk for o in overrides], "post": "yes"},
    )
    assert response.status_code == 302
    assert not SongOverride.objects.exists()
    assert songs_of(artist) == ALIVE_AND_BLOOM
    assert songs_of(other) == {"Bloom": {"Bloom"}}
    # By artist, then song.
    assert "Bloom now in “Bloom” (Other Band); Alive now in “Alive” (The Velvet Rövers)." in (
        messages_of(response)
    )


def test_an_override_for_a_recording_not_stored_says_nothing_moved(admin_client, artist):
    response = admin_client.post(
        reverse("admin:catalog_songoverride_add"),
        OVERRIDE_FORM | {"artist": artist.pk, "isrc": "USAB12300001", "song_title": "Elsewhere"},
    )
    assert response.status_code == 302
    assert "No stored recording of The Velvet Rövers changed song." in messages_of(response)
    assert songs_of(artist) == ALIVE_AND_BLOOM


def test_the_override_list_says_which_recording_each_names(admin_client, artist):
    SongOverride.objects.create(artist=artist, spotify_id=BLOOM, song_title="Alive")
    SongOverride.objects.create(artist=artist, isrc="GBVLV2100001", song_title="Alive Again")
    listing = admin_client.get(reverse("admin:catalog_songoverride_changelist"))
    page = listing.content.decode()
    assert f"Spotify {BLOOM}" in page
    assert "ISRC GBVLV2100001 (every release)" in page
    found = admin_client.get(reverse("admin:catalog_songoverride_changelist"), {"q": "again"})
    assert found.context["cl"].result_count == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({}, "Give a Spotify track id or an ISRC."),
        ({"spotify_id": ALIVE, "isrc": "GBVLV0100001"}, "not both"),
        ({"isrc": "GB-VLV-1"}, "An ISRC is 12 characters, e.g. USRC17607839."),
        ({"spotify_id": "short"}, "A Spotify track id is 22 letters and digits."),
        ({"isrc": "GBVLV0100001", "song_title": "   "}, "Give the title of the song."),
    ],
    ids=["no key", "two keys", "bad isrc", "bad spotify id", "blank title"],
)
def test_the_override_form_says_what_is_wrong(admin_client, artist, fields, error):
    response = admin_client.post(
        reverse("admin:catalog_songoverride_add"),
        OVERRIDE_FORM | {"artist": artist.pk, "song_title": "Alive Again"} | fields,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count(error) == 1, page[:3000]
    assert "This field is required" not in page
    assert not SongOverride.objects.exists()
    assert songs_of(artist) == ALIVE_AND_BLOOM


def test_a_second_override_for_the_same_recording_is_refused(admin_client, artist):
    SongOverride.objects.create(artist=artist, isrc="GBVLV2100001", song_title="Alive Again")
    response = admin_client.post(
        reverse("admin:catalog_songoverride_add"),
        OVERRIDE_FORM | {"artist": artist.pk, "isrc": "GBVLV2100001", "song_title": "Other"},
    )
    assert response.status_code == 200
    assert "This artist already has an override for this ISRC." in response.content.decode()


# --- Song overrides on the artist's page ----------------------------------------------

INLINE = "song_overrides"


def artist_page_post(artist: Artist, rows: list[dict], initial: int = 0) -> dict:
    """The artist page's form: no track override, these song override rows."""
    data = {
        "track_overrides-TOTAL_FORMS": "0",
        "track_overrides-INITIAL_FORMS": "0",
        "track_overrides-MIN_NUM_FORMS": "0",
        "track_overrides-MAX_NUM_FORMS": "1000",
        f"{INLINE}-TOTAL_FORMS": str(len(rows)),
        f"{INLINE}-INITIAL_FORMS": str(initial),
        f"{INLINE}-MIN_NUM_FORMS": "0",
        f"{INLINE}-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        for field, value in (OVERRIDE_FORM | row).items():
            data[f"{INLINE}-{n}-{field}"] = value
    return data


def test_the_artist_page_adds_and_deletes_song_overrides_and_regroups(
    admin_client, admin_user, artist
):
    url = reverse("admin:catalog_artist_change", args=[artist.pk])
    page = admin_client.get(url).content.decode()
    assert f'name="{INLINE}-TOTAL_FORMS"' in page
    assert 'name="track_overrides-TOTAL_FORMS"' in page

    added = admin_client.post(
        url, artist_page_post(artist, [{"spotify_id": BLOOM, "song_title": "Alive"}])
    )
    assert added.status_code == 302, added.content.decode()[:3000]
    assert "Bloom now in “Alive” (The Velvet Rövers)." in messages_of(added)
    override = SongOverride.objects.get(artist=artist)
    assert override.created_by == admin_user
    assert "Bloom" not in songs_of(artist)

    # Saving the page again without touching the overrides moves nothing, says nothing.
    unchanged_row = {"id": str(override.pk), "artist": str(artist.pk), "spotify_id": BLOOM}
    unchanged = admin_client.post(
        url, artist_page_post(artist, [unchanged_row | {"song_title": "Alive"}], initial=1)
    )
    assert unchanged.status_code == 302
    assert not [m for m in messages_of(unchanged) if "now in" in m or "changed song" in m]

    deleted = admin_client.post(
        url,
        artist_page_post(
            artist, [unchanged_row | {"song_title": "Alive", "DELETE": "on"}], initial=1
        ),
    )
    assert deleted.status_code == 302
    assert "Bloom now in “Bloom” (The Velvet Rövers)." in messages_of(deleted)
    assert not SongOverride.objects.exists()
    assert songs_of(artist) == ALIVE_AND_BLOOM


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ({"song_title": "Alive"}, "Give a Spotify track id or an ISRC."),
        ({"spotify_id": BLOOM, "isrc": "GBVLV0100001", "song_title": "Alive"}, "not both"),
        ({"isrc": "nope", "song_title": "Alive"}, "An ISRC is 12 characters"),
        ({"spotify_id": BLOOM, "note": "title forgotten"}, "Give the title of the song."),
    ],
    ids=["no key", "two keys", "bad isrc", "blank title"],
)
def test_the_artist_page_says_what_is_wrong_with_a_song_override(admin_client, artist, row, error):
    response = admin_client.post(
        reverse("admin:catalog_artist_change", args=[artist.pk]), artist_page_post(artist, [row])
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not SongOverride.objects.exists()


# --- "Move to another song…" ------------------------------------------------------------


def move(client, changelist: str, action: str, objects, **form) -> object:
    data = {"action": action, "_selected_action": [obj.pk for obj in objects]}
    if form:
        data |= {"post": "yes", "note": ""} | form
    else:
        data["index"] = "0"  # as the list's action bar posts it
    return client.post(reverse(changelist), data)


RECORDINGS = "admin:catalog_artisttrack_changelist"


def test_moving_recordings_asks_for_the_song_then_records_one_override_each(
    admin_client, admin_user, artist
):
    """Keyed by ISRC (every release of the recording) when the track has one, else by
    its Spotify id; an existing override for the key gets the new title."""
    SongOverride.objects.create(
        artist=artist, isrc="GBVLV2100001", song_title="Alive", note="kept with Alive"
    )
    selected = [link_of(artist, EARLY), link_of(artist, BLOOM)]

    page = move(admin_client, RECORDINGS, "move_to_song", selected)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    for link in selected:
        assert f'<input type="hidden" name="_selected_action" value="{link.pk}">' in html
    assert '<input type="hidden" name="action" value="move_to_song">' in html
    assert '<input type="hidden" name="post" value="yes">' in html
    assert 'name="song_title"' in html and 'list="song-titles"' in html
    assert '<option value="Alive"></option>' in html  # the artist's songs, offered
    assert "ISRC GBVLV2100001 (every release)" in html and f"Spotify {BLOOM}" in html
    assert not SongOverride.objects.filter(song_title="Bloom Again").exists()

    done = move(admin_client, RECORDINGS, "move_to_song", selected, song_title="Bloom  Again")
    assert done.status_code == 302
    assert set(SongOverride.objects.values_list("spotify_id", "isrc", "song_title")) == {
        ("", "GBVLV2100001", "Bloom Again"),
        (BLOOM, "", "Bloom Again"),
    }
    kept = SongOverride.objects.get(isrc="GBVLV2100001")
    assert kept.note == "kept with Alive" and kept.created_by is None
    assert SongOverride.objects.get(spotify_id=BLOOM).created_by == admin_user
    assert songs_of(artist) == {
        "Alive": {"Alive - Demo", "Alive", "Alive - 2021 Remaster"},
        "Bloom Again": {"Alive - Early Version", "Bloom"},
    }
    assert messages_of(done) == [
        "Alive - Early Version now in “Bloom Again” (The Velvet Rövers); "
        "Bloom now in “Bloom Again” (The Velvet Rövers)."
    ]
    reimport(artist)
    assert songs_of(artist)["Bloom Again"] == {"Alive - Early Version", "Bloom"}


def test_moving_a_release_that_has_its_own_override_moves_it_too(admin_client, artist):
    """A release's override outranks its recording's: it takes the new title as well."""
    SongOverride.objects.create(artist=artist, spotify_id=EARLY, song_title="Early Days")
    songs_regroup(artist_id=artist.pk)
    response = move(
        admin_client, RECORDINGS, "move_to_song", [link_of(artist, EARLY)], song_title="Bloom"
    )
    assert response.status_code == 302
    assert set(SongOverride.objects.values_list("spotify_id", "isrc", "song_title")) == {
        ("", "GBVLV2100001", "Bloom"),
        (EARLY, "", "Bloom"),
    }
    assert songs_of(artist)["Bloom"] == {"Bloom", "Alive - Early Version"}


def test_the_move_page_asks_again_for_a_blank_title(admin_client, artist):
    selected = [link_of(artist, EARLY)]
    response = move(admin_client, RECORDINGS, "move_to_song", selected, song_title="  ")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Give the title of the song." in html
    assert f'<input type="hidden" name="_selected_action" value="{selected[0].pk}">' in html
    assert not SongOverride.objects.exists()
    assert songs_of(artist) == ALIVE_AND_BLOOM


def test_moving_every_recording_of_a_song_merges_it_into_another(admin_client, artist):
    response = move(
        admin_client,
        "admin:catalog_song_changelist",
        "move_songs",
        [song(artist, "Bloom")],
        song_title="Alive",
    )
    assert response.status_code == 302
    assert songs_of(artist) == {"Alive": ALIVE_AND_BLOOM["Alive"] | {"Bloom"}}
    assert "Bloom now in “Alive” (The Velvet Rövers)." in messages_of(response)


def test_the_song_page_offers_to_move_each_recording(admin_client, artist):
    SongOverride.objects.create(artist=artist, isrc="GBVLV9900001", song_title="Alive")
    page = admin_client.get(
        reverse("admin:catalog_song_change", args=[song(artist, "Alive").pk])
    ).content.decode()
    add = reverse("admin:catalog_songoverride_add")
    assert f'href="{add}?artist={artist.pk}&amp;isrc=GBVLV2100001&amp;track_name=Alive' in page
    assert "placed by" in page and "ISRC GBVLV9900001 (every release)" in page
    recordings = reverse(RECORDINGS) + f"?song__id__exact={song(artist, 'Alive').pk}"
    assert f'href="{recordings}"' in page
    prefilled = admin_client.get(
        add, {"artist": artist.pk, "spotify_id": BLOOM, "track_name": "Bloom"}
    )
    assert prefilled.status_code == 200
    assert f'value="{BLOOM}"' in prefilled.content.decode()


def test_staff_without_song_override_permissions_do_not_get_the_move(django_user_model, artist):
    viewer = staff_client(
        django_user_model, "viewer", ["view_artisttrack", "view_song", "view_track"]
    )
    curator = staff_client(
        django_user_model,
        "song-curator",
        ["view_artisttrack", "view_song", "add_songoverride", "change_songoverride"],
    )
    link = link_of(artist, BLOOM)
    for changelist, action in [
        (RECORDINGS, "move_to_song"),
        (
            "admin:catalog_song_changelist",
            "move_songs",
        ),
    ]:
        listing = viewer.get(reverse(changelist))
        assert listing.status_code == 200
        assert action not in actions_of(listing)
        assert action in actions_of(curator.get(reverse(changelist)))
    refused = move(viewer, RECORDINGS, "move_to_song", [link], song_title="Alive")
    assert refused.status_code == 200  # the list again: they have no action to run
    assert not SongOverride.objects.exists()
    song_page = viewer.get(reverse("admin:catalog_song_change", args=[link.song_id]))
    assert "move…" not in song_page.content.decode()

    allowed = move(curator, RECORDINGS, "move_to_song", [link], song_title="Alive")
    assert allowed.status_code == 302
    assert SongOverride.objects.get().spotify_id == BLOOM


def _queries_of_pages(client, *, versions: int) -> tuple[int, int]:
    """Queries of a song's admin page with `versions` recordings, and of its artist's
    admin page with as many song overrides."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    artist = make_artist(name=f"Counted {versions}")
    tracks = [
        StudioTrack(
            spotify_id=f"trkcount{versions:03d}{n:011d}",
            name=f"Echo - Take {n + 1}" if n else "Echo",
            isrc=f"USCNT{versions:02d}{n:05d}",
            album_spotify_id=DEBUT.spotify_id,
            duration_ms=200_000,
            popularity=None,
            disc_number=1,
            track_number=n + 1,
            is_remix=False,
        )
        for n in range(versions)
    ]
    catalog_upsert(artist_id=artist.pk, albums=ALBUMS, tracks=tracks)
    for track in tracks:
        SongOverride.objects.assign(artist_id=artist.pk, isrc=track.isrc, song_title="Echo")
    pages = [
        reverse("admin:catalog_song_change", args=[Song.objects.get(artist=artist).pk]),
        reverse("admin:catalog_artist_change", args=[artist.pk]),
    ]
    counts = []
    for url in pages:
        client.get(url)  # caches warmed (content types, the session's user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    return counts[0], counts[1]


def test_the_song_and_artist_pages_cost_the_same_queries_whatever_their_rows(admin_client):
    assert _queries_of_pages(admin_client, versions=3) == _queries_of_pages(
        admin_client, versions=30
    )
