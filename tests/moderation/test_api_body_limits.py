"""Body limits as documented: a full batch of 12 MB is accepted, anything over
MODERATION_MAX_REQUEST_BYTES is 413 `payload_too_large` (Django's own limit included, without
an error traceback), and a text that normalises to nothing is a clear 400."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from rest_framework.test import APIClient

from moderation.models import Comment

pytestmark = pytest.mark.django_db

BATCH_URL = "/api/v1/comments/batch"
URL = "/api/v1/comments"
#: Zero-width spaces and joiners, bidi overrides and isolates, a word joiner, a BOM, controls.
INVISIBLE = "\u200b\u200c\u200d\u202e\u2066\u2069\u2060\ufeff\x07\x1b"


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    error = response.json()["error"]
    assert error["code"] == code, error
    return dict(error)


def _batch_body(items: int, text: str) -> bytes:
    comments = [{"external_id": f"big-{n}", "text": text} for n in range(items)]
    return json.dumps({"comments": comments}, ensure_ascii=False).encode()


def test_a_full_batch_of_twelve_megabytes_is_accepted(api_client: APIClient, settings: Any) -> None:
    # 500 texts of 20,000 characters, 4,400 of them two bytes in UTF-8: 12.2 MB, just under
    # the 12 MiB limit.
    text = "é" * 4400 + "a" * 15600
    body = _batch_body(500, text)
    assert 12_000_000 < len(body) <= settings.MODERATION_MAX_REQUEST_BYTES

    response = api_client.generic("POST", BATCH_URL, body.decode(), content_type="application/json")

    assert response.status_code == 202, response.content[:500]
    assert len(response.json()["comments"]) == 500
    assert Comment.objects.count() == 500
    assert Comment.objects.first().text == text  # type: ignore[union-attr]


def test_a_body_over_the_limit_is_413_without_an_error_log(
    api_client: APIClient, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    body = _batch_body(500, "a" * 20_000) + b" " * 2_600_000
    assert len(body) > settings.MODERATION_MAX_REQUEST_BYTES

    with caplog.at_level(logging.WARNING):
        response = api_client.generic(
            "POST", BATCH_URL, body.decode(), content_type="application/json"
        )

    _error(response, 413, "payload_too_large")
    assert not Comment.objects.exists()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_django_refusing_a_body_is_payload_too_large(api_client: APIClient, settings: Any) -> None:
    # Django's own limit below the API's: its refusal is still the documented 413.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"external_id": "x", "text": "a" * 2000}).encode()

    response = api_client.generic("POST", URL, body.decode(), content_type="application/json")

    _error(response, 413, "payload_too_large")
    assert not Comment.objects.exists()


@pytest.mark.parametrize("text", [INVISIBLE, "\u200b" * 50, "\u202e\u202c"])
def test_a_text_of_only_invisible_characters_is_refused(api_client: APIClient, text: str) -> None:
    single = api_client.post(URL, {"external_id": "inv", "text": text}, format="json")
    batch = api_client.post(
        BATCH_URL,
        {
            "comments": [
                {"external_id": "ok", "text": "hello"},
                {"external_id": "inv", "text": text},
            ]
        },
        format="json",
    )

    error = _error(single, 400, "validation_error")
    assert error["fields"]["text"][0]["code"] == "no_visible_text"
    items = _error(batch, 400, "batch_rejected")["items"]
    assert [item["index"] for item in items] == [1]
    assert items[0]["errors"]["text"][0]["code"] == "no_visible_text"
    assert not Comment.objects.exists()


def test_a_text_with_visible_characters_among_invisible_ones_is_accepted(
    api_client: APIClient,
) -> None:
    response = api_client.post(
        URL, {"external_id": "vis", "text": f"{INVISIBLE}hi{INVISIBLE}"}, format="json"
    )

    assert response.status_code == 202, response.content
