"""Static files are served by the app itself (uvicorn serves none): the admin's CSS."""

import pytest


@pytest.mark.django_db
def test_the_admin_stylesheet_is_served(client):
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"body" in b"".join(response.streaming_content)


@pytest.mark.django_db
def test_a_missing_static_file_is_a_404(client):
    assert client.get("/static/admin/css/no-such-file.css").status_code == 404


@pytest.mark.anyio
@pytest.mark.django_db
async def test_served_on_the_async_path_too(async_client):
    response = await async_client.get("/static/admin/css/base.css")
    assert response.status_code == 200


def test_no_middleware_forces_async_views_onto_a_thread():
    """Every middleware is async-capable, so the async SSE view runs on the loop."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    for path in settings.MIDDLEWARE:
        middleware = import_string(path)
        assert getattr(middleware, "async_capable", False), path
