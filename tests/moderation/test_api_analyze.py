"""POST /api/v1/analyze: a real worker scores while the request waits; nothing is stored
unless asked; no worker means 503 with Retry-After, never a hang.

Bad inputs tried (each a 400 validation_error naming the field, and no task sent): no text,
both `text` and `texts`, an empty string, only whitespace, only invisible characters, a NUL
byte, a number instead of a string, a list with a number in it, an empty list, 101 texts, a
text over the length limit, an unknown field, `spans: "yes"`, `store: true` without ids, ids
without `store`, ids that do not match the texts in number, repeated ids, `external_ids` with
`text`; and a body that is a list, not an object.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from rest_framework.test import APIClient

from moderation.models import Comment, CommentStatus
from tests.api_calls import assert_error, post
from tests.conftest import wait_for

ANALYZE = "/api/v1/analyze"
ABUSIVE = "you are a stupid worthless idiot"
KIND = "thanks for the helpful answer"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_one_text_is_scored_by_a_worker_and_nothing_is_stored(
    celery_worker_process: Any, tiny_model: Any, api_client: APIClient
) -> None:
    from django_celery_results.models import TaskResult

    response = post(api_client, {"text": ABUSIVE}, ANALYZE)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["model_version"] == "tiny-v1"
    [result] = body["results"]
    assert set(result["scores"]) == {
        "toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"
    }  # fmt: skip
    assert result["scores"]["insult"] > 0.5
    assert result["status"] == "flagged"
    assert result["flagged"] is True
    assert "insult" in result["flagged_labels"]
    assert "spans" not in result
    assert not Comment.objects.exists()
    assert not TaskResult.objects.exists()  # the answer came through Redis, not the database


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_list_is_answered_in_order_with_spans_under_the_platforms_thresholds(
    celery_worker_process: Any, tiny_model: Any, api_client: APIClient, platform: Any
) -> None:
    response = post(api_client, {"texts": [KIND, ABUSIVE], "spans": True}, ANALYZE)

    assert response.status_code == 200, response.content
    kind, abusive = response.json()["results"]
    assert kind["status"] == "allowed"
    assert kind["flagged_labels"] == []
    assert kind["spans"] == {}
    assert abusive["status"] == "flagged"
    spans = abusive["spans"]["insult"]
    assert spans
    assert all(ABUSIVE[span["start"] : span["end"]] == span["text"] for span in spans)

    # The same texts under stricter thresholds: nothing is flagged any more.
    platform.flag_thresholds = dict.fromkeys(platform.flag_thresholds, 0.999)
    platform.save()
    relaxed = post(api_client, {"texts": [KIND, ABUSIVE]}, ANALYZE).json()["results"]
    assert [item["status"] for item in relaxed] == ["allowed", "allowed"]
    assert relaxed[1]["scores"] == abusive["scores"]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_store_true_creates_the_comments_as_the_async_endpoint_does(
    celery_worker_process: Any, tiny_model: Any, api_client: APIClient
) -> None:
    response = post(
        api_client,
        {"texts": [ABUSIVE, KIND], "store": True, "external_ids": ["s-1", "s-2"]},
        ANALYZE,
    )

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    stored = {str(c.public_id): c for c in Comment.objects.all()}
    assert [result["comment_id"] for result in results] == [
        str(Comment.objects.get(external_id=eid).public_id) for eid in ("s-1", "s-2")
    ]
    assert set(stored) == {result["comment_id"] for result in results}
    abusive = Comment.objects.get(external_id="s-1")
    wait_for(lambda: Comment.objects.get(pk=abusive.pk).status != CommentStatus.PENDING)
    abusive.refresh_from_db()
    assert abusive.status == CommentStatus.FLAGGED
    assert abusive.score_insult == pytest.approx(results[0]["scores"]["insult"], abs=1e-6)


@pytest.mark.django_db
def test_without_a_worker_the_answer_is_503_with_retry_after_and_no_hang(
    api_client: APIClient, settings: Any
) -> None:
    settings.ANALYZE_QUEUE = "nobody-listens-here"
    settings.ANALYZE_TIMEOUT_SECONDS = 0.3
    settings.ANALYZE_RETRY_AFTER_SECONDS = 3

    started = time.monotonic()
    response = post(
        api_client, {"text": ABUSIVE, "store": True, "external_id": "kept-out"}, ANALYZE
    )

    assert time.monotonic() - started < 3
    error = assert_error(response, 503, "scoring_unavailable")
    assert response["Retry-After"] == "3"
    assert error["retry_after_seconds"] == 3
    assert not Comment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "text", "required"),
        ({"text": "a", "texts": ["b"]}, "text", "required"),
        ({"text": ""}, "text", "blank"),
        ({"text": "   "}, "text", "blank"),
        ({"text": "\u200b\u200d"}, "text", "no_visible_text"),
        ({"text": "a\x00b"}, "text", "null_characters_not_allowed"),
        ({"text": 42}, "text", "invalid_type"),
        ({"texts": ["fine", 7]}, "texts", "invalid_type"),
        ({"texts": []}, "texts", "empty"),
        ({"texts": ["x"] * 101}, "texts", "max_length"),
        ({"text": "x" * 20_001}, "text", "max_length"),
        ({"text": "hi", "model": "any"}, "model", "unknown_field"),
        ({"text": "hi", "spans": "yes"}, "spans", "invalid_type"),
        ({"text": "hi", "store": True}, "external_id", "required"),
        ({"text": "hi", "external_id": "e-1"}, "external_id", "invalid"),
        ({"texts": ["a", "b"], "store": True, "external_ids": ["e-1"]}, "external_ids", "invalid"),
        (
            {"texts": ["a", "b"], "store": True, "external_ids": ["e-1", "e-1"]},
            "external_ids",
            "duplicate_in_batch",
        ),
        ({"text": "hi", "store": True, "external_ids": ["e-1"]}, "external_ids", "invalid"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    api_client: APIClient, body: dict[str, Any], field: str, code: str
) -> None:
    error = assert_error(post(api_client, body, ANALYZE), 400, "validation_error")
    codes = error["fields"][field]
    if isinstance(codes, dict):  # a list's item: {index: [errors]}
        codes = next(iter(codes.values()))
    assert codes[0]["code"] == code, error


@pytest.mark.django_db
def test_a_body_that_is_not_an_object_is_a_400(api_client: APIClient) -> None:
    assert_error(post(api_client, ["a text"], ANALYZE), 400, "validation_error")


def test_without_a_key_it_is_a_401(db: None) -> None:
    assert_error(post(APIClient(), {"text": "hi"}, ANALYZE), 401, "not_authenticated")
