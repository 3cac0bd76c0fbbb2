from django.contrib import admin

from catalog.models import Album, Artist, ArtistTrack, Track


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "tm_attraction_id",
        "spotify_id",
        "spotify_match",
        "shows_synced_at",
        "catalog_synced_at",
    )
    list_filter = ("spotify_match", "shows_synced_at", "catalog_synced_at")
    search_fields = ("name", "slug", "tm_attraction_id", "spotify_id")
    readonly_fields = ("created_at", "updated_at")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    list_display = ("name", "album_type", "release_date", "total_tracks", "spotify_id")
    list_filter = ("album_type",)
    search_fields = ("name", "spotify_id")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ("name", "album", "isrc", "duration_ms", "popularity", "is_remix")
    list_filter = ("is_remix", "album__album_type")
    search_fields = ("name", "isrc", "spotify_id", "album__name")
    list_select_related = ("album",)
    raw_id_fields = ("album",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(ArtistTrack)
class ArtistTrackAdmin(admin.ModelAdmin):
    list_display = ("artist", "track", "created_at")
    search_fields = ("artist__name", "track__name", "track__isrc")
    list_select_related = ("artist", "track")
    raw_id_fields = ("artist", "track")
