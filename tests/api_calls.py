"""Calling the REST API in tests: its comment URLs, a raw JSON POST, and the check of an
error answer's status, content type and stable code."""

from __future__ import annotations

import json
from typing import Any

from rest_framework.test import APIClient

URL = "/api/v1/comments"
BATCH_URL = "/api/v1/comments/batch"


def post(client: APIClient, body: Any, url: str = URL, **kwargs: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **kwargs)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The `error` object of a JSON error answer with this status and code."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return dict(body["error"])
