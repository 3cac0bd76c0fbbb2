"""Venues and upcoming shows from Ticketmaster."""

from django.db import models
from django.urls import reverse

from catalog.models import Artist
from integrations.ticketmaster.records import TM_ID_MAX_LENGTH
from theset.models import TimestampedModel


class Venue(TimestampedModel):
    tm_venue_id = models.CharField("Ticketmaster venue id", max_length=TM_ID_MAX_LENGTH)
    name = models.CharField(max_length=300, blank=True)
    address = models.CharField(max_length=500, blank=True)
    city = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=200, blank=True)
    state_code = models.CharField(max_length=16, blank=True)
    country = models.CharField(max_length=200, blank=True)
    country_code = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=32, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    # Ticketmaster sends coordinates as strings such as "-97.74310000".
    latitude = models.DecimalField(max_digits=11, decimal_places=8, null=True, blank=True)
    longitude = models.DecimalField(max_digits=11, decimal_places=8, null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tm_venue_id"], name="venue_unique_tm_venue_id"),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.city}" if self.city else self.name

    def get_absolute_url(self) -> str:
        return reverse("venue-page", kwargs={"tm_venue_id": self.tm_venue_id})


class ShowStatus(models.TextChoices):
    """Ticketmaster's event status codes, kept as Ticketmaster says them."""

    ONSALE = "onsale", "On sale"
    OFFSALE = "offsale", "Off sale"
    CANCELLED = "cancelled", "Cancelled"
    POSTPONED = "postponed", "Postponed"
    RESCHEDULED = "rescheduled", "Rescheduled"


class Show(TimestampedModel):
    """An event. Its acts are its bill (`Billing`): a show belongs to every artist on it."""

    tm_event_id = models.CharField("Ticketmaster event id", max_length=TM_ID_MAX_LENGTH)
    # Some events have no venue yet: they are kept and counted.
    venue = models.ForeignKey(
        Venue, on_delete=models.PROTECT, related_name="shows", null=True, blank=True
    )
    name = models.CharField(max_length=500, blank=True)
    # The venue's local date and time exactly as Ticketmaster sends them.
    local_date = models.DateField(null=True, blank=True)
    local_time = models.TimeField(null=True, blank=True)
    starts_at = models.DateTimeField("start (UTC)", null=True, blank=True)
    date_tba = models.BooleanField(default=False)
    time_tba = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=ShowStatus.choices, default=ShowStatus.ONSALE)
    url = models.URLField(max_length=1000, blank=True)
    image_url = models.URLField(max_length=1000, blank=True)
    # Set when no artist on the bill lists the event any more; never deleted silently.
    removed_upstream_at = models.DateTimeField(null=True, blank=True)
    artists = models.ManyToManyField(Artist, through="Billing", related_name="shows")

    class Meta:
        ordering = ["local_date", "local_time"]
        constraints = [
            models.UniqueConstraint(fields=["tm_event_id"], name="show_unique_tm_event_id"),
        ]
        indexes = [
            models.Index(fields=["local_date"], name="show_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.local_date})"


class Billing(TimestampedModel):
    """One act's place on a show's bill, in Ticketmaster's order.

    Written from every listing of the event (any act's import writes the whole bill);
    `listed_at` is set only by the act's own import, when its events search lists the
    show. An act that no longer lists the show has its place marked removed; the show
    is marked gone when no act's own listing has it any more.
    """

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="bill")
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="billings")
    position = models.PositiveSmallIntegerField(help_text="0 = first in Ticketmaster's order")
    headliner = models.BooleanField(default=False)
    # When this artist's own events search last listed the show; None for an act only
    # seen on other artists' listings (e.g. never imported).
    listed_at = models.DateTimeField(null=True, blank=True)
    removed_upstream_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["show", "position"]
        constraints = [
            models.UniqueConstraint(fields=["show", "artist"], name="billing_unique_show_artist"),
        ]

    def __str__(self) -> str:
        return f"{self.artist} at {self.show} (#{self.position + 1})"
