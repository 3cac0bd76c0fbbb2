"""Settings for DJANGO_ENV=production, applied over theset.settings (placeholder)."""
