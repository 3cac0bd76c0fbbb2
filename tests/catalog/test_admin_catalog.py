"""The catalog admin: artists, albums, tracks and songs come from the upstreams and are read
only there; curators' track overrides stay editable (song overrides: test_admin_songs.py);
"View on site" for public artists only; genres as a list; timestamps naming their zone."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Album, Artist, ArtistTrack, Track, TrackOverride
from tests.factories import link_track, make_artist, make_track
from theset.admin import admin_time

pytestmark = pytest.mark.django_db


def public_artist(**fields) -> Artist:
    """An artist an identity phase has named: fans may see its page."""
    return make_artist(**({"identity_synced_at": timezone.now()} | fields))


def admin_url(obj, view: str) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])


def linked_track() -> ArtistTrack:
    return link_track(make_artist(), make_track())


UPSTREAM_ROWS = {
    "artist": lambda: make_artist(),
    "album": lambda: make_track().album,
    "track": lambda: make_track(),
    "artist-track": linked_track,
    "song": lambda: linked_track().song,
}


@pytest.mark.parametrize("row", list(UPSTREAM_ROWS.values()), ids=list(UPSTREAM_ROWS))
def test_upstream_rows_cannot_be_added_or_deleted_in_the_admin(admin_client, row):
    obj = row()
    opts = obj._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")

    assert add not in admin_client.get(changelist).content.decode()
    assert admin_client.get(add).status_code == 403
    assert admin_client.post(admin_url(obj, "delete"), {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()
    listing = admin_client.get(changelist).content.decode()
    assert 'value="delete_selected"' not in listing


@pytest.mark.parametrize(
    ("row", "field", "value"),
    [
        pytest.param(UPSTREAM_ROWS["album"], "name", "Renamed", id="album"),
        pytest.param(UPSTREAM_ROWS["track"], "name", "Renamed", id="track"),
        pytest.param(UPSTREAM_ROWS["song"], "title", "Renamed", id="song"),
    ],
)
def test_albums_tracks_and_songs_are_read_only(admin_client, row, field, value):
    obj = row()
    page = admin_client.get(admin_url(obj, "change"))
    assert page.status_code == 200
    assert f'name="{field}"' not in page.content.decode()
    assert admin_client.post(admin_url(obj, "change"), {field: value}).status_code == 403
    assert getattr(type(obj).objects.get(pk=obj.pk), field) != value


def test_an_artist_page_edits_only_the_curator_overrides(admin_client, admin_user):
    """Name, slug, ids and genres are the upstreams': no input for them, a post leaves
    them as they are; the overrides inline still saves."""
    artist = public_artist(name="The Testers", slug="the-testers", genres=["rock", "indie pop"])
    page = admin_client.get(admin_url(artist, "change")).content.decode()
    for field in ["name", "slug", "tm_attraction_id", "spotify_id", "genres", "image_url"]:
        assert f'name="{field}"' not in page, field
    assert 'name="track_overrides-TOTAL_FORMS"' in page  # the overrides inlines
    assert 'name="song_overrides-TOTAL_FORMS"' in page
    # Genres as a list people read, not JSON.
    assert '<div class="readonly">rock, indie pop</div>' in page
    assert "[&quot;rock&quot;" not in page and '["rock"' not in page

    prefix = "track_overrides"
    response = admin_client.post(
        admin_url(artist, "change"),
        {
            "name": "Hacked",
            "slug": "hacked",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
            f"{prefix}-0-track_name": "Interview",
            f"{prefix}-0-spotify_id": "3" * 22,
            f"{prefix}-0-isrc": "",
            f"{prefix}-0-decision": "always_drop",
            f"{prefix}-0-note": "spoken word",
            "song_overrides-TOTAL_FORMS": "0",
            "song_overrides-INITIAL_FORMS": "0",
            "song_overrides-MIN_NUM_FORMS": "0",
            "song_overrides-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    artist.refresh_from_db()
    assert (artist.name, artist.slug) == ("The Testers", "the-testers")
    override = TrackOverride.objects.get(artist=artist)
    assert (override.spotify_id, override.created_by) == ("3" * 22, admin_user)


def test_view_on_site_only_for_artists_fans_may_see(admin_client):
    public = public_artist(name="The Testers", slug="the-testers")
    page = admin_client.get(admin_url(public, "change")).content.decode()
    assert f'href="{public.get_absolute_url()}" class="viewsitelink"' in page
    assert admin_client.get(public.get_absolute_url()).status_code == 200

    # Identity has not named it (or it is only on other acts' bills): no public page.
    for hidden in [make_artist(name=""), make_artist(name="Support Act")]:
        assert not hidden.is_public
        page = admin_client.get(admin_url(hidden, "change")).content.decode()
        assert "viewsitelink" not in page


def test_the_artist_list_shows_an_unnamed_artist_by_its_id_not_a_dash(admin_client):
    make_artist(name="", tm_attraction_id="K8vZ917Nnnn")
    listing = admin_client.get(reverse("admin:catalog_artist_changelist")).content.decode()
    assert '<code>K8vZ917Nnnn</code> <em class="unnamed-artist">(not named yet)</em>' in listing


def test_catalog_admin_times_name_their_zone(admin_client):
    synced = timezone.now()
    artist = public_artist(shows_synced_at=synced, catalog_synced_at=synced)
    track = make_track()
    expected = admin_time(synced)
    assert expected.endswith(" UTC")
    listing = admin_client.get(reverse("admin:catalog_artist_changelist")).content.decode()
    assert f'<td class="field-shows_synced_time">{expected}</td>' in listing
    page = admin_client.get(admin_url(artist, "change")).content.decode()
    assert f'<div class="readonly">{admin_time(artist.identity_synced_at)}</div>' in page
    album_page = admin_client.get(admin_url(track.album, "change")).content.decode()
    assert f'<div class="readonly">{admin_time(track.album.created_at)}</div>' in album_page


def test_curator_actions_still_run_on_the_read_only_track_list(admin_client):
    link = linked_track()
    response = admin_client.post(
        reverse("admin:catalog_track_changelist"),
        {"action": "always_drop", "_selected_action": [link.track_id]},
    )
    assert response.status_code == 302
    assert TrackOverride.objects.filter(artist=link.artist, isrc=link.track.isrc).exists()
    assert Album.objects.count() == Track.objects.count() == 1


def test_spotify_is_written_as_a_name_in_the_artist_admin(admin_client):
    """Not "spotify match" or a lower-cased choice label."""
    artist = public_artist(spotify_id="1" * 22, spotify_match="name_search")
    listing = admin_client.get(reverse("admin:catalog_artist_changelist")).content.decode()
    assert 'data-filter-title="Spotify match"' in listing
    assert "Spotify search, exact name" in listing
    page = admin_client.get(admin_url(artist, "change")).content.decode()
    assert '<div class="readonly">Spotify search, exact name</div>' in page
    assert "spotify search" not in page
