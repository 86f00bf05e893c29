"""POST /api/v1/comments/batch: all or nothing, with per-item errors when refused."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from moderation.models import Comment
from tests.api_calls import BATCH_URL, assert_error, post


def items(count: int, prefix: str = "b") -> list[dict[str, str]]:
    return [{"external_id": f"{prefix}-{i}", "text": f"comment number {i}"} for i in range(count)]


@pytest.mark.django_db
def test_batch_stores_all_and_enqueues_in_chunks(
    api_client: APIClient, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SCORING_BATCH_SIZE = 64
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(api_client, {"comments": items(500)}, BATCH_URL)

    assert response.status_code == 202, response.content
    body = response.json()["comments"]
    assert len(body) == 500
    assert [c["external_id"] for c in body] == [f"b-{i}" for i in range(500)]
    assert all(c["status"] == "pending" and c["created"] for c in body)
    assert Comment.objects.count() == 500
    assert len(callbacks) == 1  # one on-commit hand-off, which sends ceil(500/64) tasks


@pytest.mark.django_db
def test_batch_over_the_limit_is_refused(api_client: APIClient) -> None:
    error = assert_error(
        post(api_client, {"comments": items(501)}, BATCH_URL), 400, "validation_error"
    )
    assert error["fields"]["comments"][0]["code"] == "max_length"
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_batch_with_one_bad_item_writes_nothing_and_names_it(api_client: APIClient) -> None:
    batch = items(5)
    batch[3] = {"external_id": "b-3", "text": ""}
    batch[4] = {"external_id": "b-4", "text": "ok", "extra": "yes"}

    error = assert_error(post(api_client, {"comments": batch}, BATCH_URL), 400, "batch_rejected")

    assert [(i["index"], i["external_id"]) for i in error["items"]] == [(3, "b-3"), (4, "b-4")]
    assert error["items"][0]["errors"]["text"][0]["code"] == "blank"
    assert error["items"][1]["errors"]["extra"][0]["code"] == "unknown_field"
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_batch_repeating_an_external_id_is_refused(api_client: APIClient) -> None:
    batch = [*items(2), {"external_id": "b-0", "text": "again"}]

    error = assert_error(post(api_client, {"comments": batch}, BATCH_URL), 400, "batch_rejected")

    assert error["items"][0]["index"] == 2
    assert error["items"][0]["errors"]["external_id"][0]["code"] == "duplicate_in_batch"
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_batch_conflicting_with_a_stored_comment_is_409_and_writes_nothing(
    api_client: APIClient,
) -> None:
    post(api_client, {"external_id": "b-1", "text": "original"})

    response = post(api_client, {"comments": items(3)}, BATCH_URL)

    error = assert_error(response, 409, "batch_rejected")
    assert error["items"][0]["errors"]["external_id"][0]["code"] == "external_id_conflict"
    assert Comment.objects.count() == 1


@pytest.mark.django_db
def test_retried_batch_is_idempotent(api_client: APIClient) -> None:
    first = post(api_client, {"comments": items(3)}, BATCH_URL)
    again = post(api_client, {"comments": items(3)}, BATCH_URL)

    assert (first.status_code, again.status_code) == (202, 200)
    assert [c["id"] for c in again.json()["comments"]] == [
        c["id"] for c in first.json()["comments"]
    ]
    assert not any(c["created"] for c in again.json()["comments"])
    assert Comment.objects.count() == 3


@pytest.mark.parametrize(
    "body",
    [{"comments": []}, {"comments": "nope"}, {}, {"comments": items(1), "more": 1}, [items(1)]],
)
@pytest.mark.django_db
def test_malformed_batch_envelope_is_400(api_client: APIClient, body: Any) -> None:
    assert_error(post(api_client, body, BATCH_URL), 400, "validation_error")
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_non_object_item_is_named(api_client: APIClient) -> None:
    error = assert_error(
        post(api_client, {"comments": [items(1)[0], "text"]}, BATCH_URL), 400, "batch_rejected"
    )
    assert error["items"][0]["index"] == 1
    assert Comment.objects.count() == 0
