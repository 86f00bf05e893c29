"""Every answer under /api/, /v1/ and /v1alpha1/ is JSON, errors included, with DEBUG on too
(Django's debug 404 page is HTML, and it does not use handler404 then)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def debug_on(settings: Any) -> None:
    settings.DEBUG = True


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here",
        "/api/v1/comments/not-a-uuid",
        "/api/v2/comments",
        "/v1/nothing-here",
        "/v1alpha1/comments:nothing",
    ],
)
@pytest.mark.django_db
def test_an_unknown_api_path_is_a_json_404_with_debug_on(debug_on: None, path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_other_paths_keep_djangos_debug_page(debug_on: None) -> None:
    response = Client().get("/nothing-here")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_method_an_api_view_does_not_take_is_a_json_405(debug_on: None, issued_key: Any) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued_key.secret}")

    ours = client.get("/api/v1/analyze")
    openai_style = client.get("/v1/moderations")

    assert ours.status_code == 405
    assert ours.json()["error"]["code"] == "method_not_allowed"
    assert openai_style.status_code == 405
    assert openai_style.json()["error"]["type"] == "invalid_request_error"
