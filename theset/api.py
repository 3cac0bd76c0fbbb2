"""The root of the HTTP API; each app adds its router here."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="TheSet importer",
    version="1.0.0",
    description="Import an artist's shows and studio catalog from Ticketmaster and Spotify.",
    docs_url="/docs",
)
