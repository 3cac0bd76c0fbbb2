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
