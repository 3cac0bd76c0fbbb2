"""The sandbox upstream: an offline, faithful Ticketmaster + Spotify (see shared/SANDBOX.md)."""
