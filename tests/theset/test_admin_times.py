"""The project's admin: API keys' timestamps name their zone, like every app's admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from theset.admin import admin_time
from theset.services import api_key_create

pytestmark = pytest.mark.django_db


def test_api_key_times_name_their_zone(admin_client):
    issued = api_key_create(name="ci")
    shown = admin_time(issued.api_key.created_at)
    assert shown.endswith(" UTC")

    listing = admin_client.get(reverse("admin:theset_apikey_changelist")).content.decode()
    page = admin_client.get(
        reverse("admin:theset_apikey_change", args=[issued.api_key.pk])
    ).content.decode()

    assert shown in listing and shown in page
    assert issued.plaintext not in listing and issued.plaintext not in page
