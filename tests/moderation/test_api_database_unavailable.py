"""The database unreachable: 503 `database_unavailable` with Retry-After, never a 500 page.

The connection is pointed at a port where nothing listens, so every query really fails to
connect (tests/faults/ does the same through gunicorn and a proxy that is cut and restored).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connections

from tests.processes import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def database_unreachable() -> Iterator[None]:
    closed_port = free_port()
    connection = connections["default"]
    original = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = closed_port
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original


@pytest.fixture
def database_down() -> Iterator[None]:
    with database_unreachable():
        yield


def test_posting_while_the_database_is_down_answers_503_with_retry_after(
    api_client: Any, database_down: None, settings: Any
) -> None:
    settings.DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS = 7

    response = api_client.post(
        "/api/v1/comments", {"external_id": "c-1", "text": "hello"}, format="json"
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    error = response.json()["error"]
    assert error["code"] == "database_unavailable"
    assert error["retry_after_seconds"] == 7


def test_the_admin_answers_503_too_rather_than_a_500_page(
    admin_client: Any, database_down: None
) -> None:
    response = admin_client.get("/admin/moderation/comment/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "database_unavailable"


def test_nothing_is_stored_and_the_api_recovers_when_the_database_is_back(
    api_client: Any, platform: Any
) -> None:
    from moderation.models import Comment

    with database_unreachable():
        refused = api_client.post(
            "/api/v1/comments", {"external_id": "c-1", "text": "hello"}, format="json"
        )
    accepted = api_client.post(
        "/api/v1/comments", {"external_id": "c-1", "text": "hello"}, format="json"
    )

    assert refused.status_code == 503
    assert accepted.status_code == 202  # a fresh insert: the refused one stored nothing
    assert Comment.objects.filter(platform=platform).count() == 1
