"""POST /api/v1/comments/<id>/reports: a user's report, forwarded by the platform, puts the
comment in the review queue and lifts it there, once per reporter.

Bad inputs tried (400 validation_error naming the field, nothing stored): no reporter_id, no
reason, an empty reason, a reason over 2,000 characters, a number as reporter_id, a NUL in the
reason, an unknown field; and (404, nothing stored) another platform's comment id, an erased
comment, an id that does not exist, an id that is not a UUID.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from classifier.labels import LABELS
from moderation.models import CommentReport, CommentStatus
from moderation.review_priority import review_priority_stored
from moderation.selectors.review_queue import comment_review_queue, review_queue_filter_state
from moderation.services.comments import comment_erase
from moderation.services.scoring import comment_batch_score
from tests.api_calls import URL, assert_error, post


def reports_url(comment: Any) -> str:
    return f"{URL}/{comment.public_id}/reports"


def scored(comment_factory: Any, platform: Any, status: str, top: float, **fields: Any) -> Any:
    """A comment as scoring leaves it: scores, status and its stored review priority."""
    scores = {label: 0.05 for label in LABELS}
    comment = comment_factory(
        platform=platform,
        status=status,
        scored_at="2026-12-01T00:00:00Z",
        max_score=top,
        **{f"score_{label}": value for label, value in scores.items()},
        **fields,
    )
    comment.review_priority = review_priority_stored(scores=scores, created_at=comment.created_at)
    comment.save(update_fields=["review_priority"])
    return comment


@pytest.mark.django_db
def test_a_report_puts_an_allowed_comment_in_the_queue_once_per_reporter(
    api_client: APIClient, platform: Any, comment_factory: Any
) -> None:
    comment = scored(comment_factory, platform, CommentStatus.ALLOWED, 0.05)
    body = {"reporter_id": "u-1", "reason": "they keep insulting me"}

    first = post(api_client, body, reports_url(comment))
    again = post(api_client, {**body, "reason": "again"}, reports_url(comment))
    other = post(api_client, {"reporter_id": "u-2", "reason": "spam"}, reports_url(comment))

    assert first.status_code == 201, first.content
    assert first.json()["status"] == "flagged"
    assert first.json()["report_count"] == 1
    assert again.status_code == 200
    assert again.json()["reason"] == "they keep insulting me"
    assert other.json()["report_count"] == 2
    awaiting = review_queue_filter_state(comment_review_queue(), "awaiting")
    assert list(awaiting.values_list("pk", flat=True)) == [comment.pk]
    assert CommentReport.objects.filter(comment=comment).count() == 2


@pytest.mark.django_db
def test_reported_comments_come_first_among_equals(
    api_client: APIClient, platform: Any, comment_factory: Any
) -> None:
    quiet = scored(comment_factory, platform, CommentStatus.FLAGGED, 0.8)
    reported = scored(comment_factory, platform, CommentStatus.FLAGGED, 0.8)

    post(api_client, {"reporter_id": "u-1", "reason": "abuse"}, reports_url(reported))

    order = list(comment_review_queue().values_list("pk", flat=True))
    assert order == [reported.pk, quiet.pk]


@pytest.mark.django_db
def test_a_reported_pending_comment_is_flagged_when_scored_whatever_the_model_says(
    api_client: APIClient, platform: Any, comment_factory: Any, tiny_model: Any
) -> None:
    comment = comment_factory(platform=platform, text="thanks for the helpful answer")
    post(api_client, {"reporter_id": "u-1", "reason": "hidden slur"}, reports_url(comment))

    comment_batch_score(comment_ids=[comment.pk])

    comment.refresh_from_db()
    assert comment.score_toxic is not None
    assert comment.score_toxic < 0.5
    assert comment.status == CommentStatus.FLAGGED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"reason": "x"}, "reporter_id", "required"),
        ({"reporter_id": "u-1"}, "reason", "required"),
        ({"reporter_id": "u-1", "reason": ""}, "reason", "blank"),
        ({"reporter_id": "u-1", "reason": "x" * 2001}, "reason", "max_length"),
        ({"reporter_id": 7, "reason": "x"}, "reporter_id", "invalid_type"),
        ({"reporter_id": "u-1", "reason": "a\x00b"}, "reason", "null_characters_not_allowed"),
        ({"reporter_id": "u-1", "reason": "x", "severity": 3}, "severity", "unknown_field"),
    ],
)
def test_bad_reports_are_400s_and_store_nothing(
    api_client: APIClient,
    platform: Any,
    comment_factory: Any,
    body: dict[str, Any],
    field: str,
    code: str,
) -> None:
    comment = comment_factory(platform=platform)

    error = assert_error(post(api_client, body, reports_url(comment)), 400, "validation_error")

    assert error["fields"][field][0]["code"] == code
    assert not CommentReport.objects.exists()


@pytest.mark.django_db
def test_comments_the_platform_cannot_see_are_404(
    api_client: APIClient, platform: Any, platform_factory: Any, comment_factory: Any
) -> None:
    body = {"reporter_id": "u-1", "reason": "x"}
    theirs = comment_factory(platform=platform_factory())
    erased = comment_erase(comment=comment_factory(platform=platform))

    for url in (
        reports_url(theirs),
        reports_url(erased),
        f"{URL}/{uuid.uuid4()}/reports",
        f"{URL}/not-a-uuid/reports",
    ):
        assert_error(post(api_client, body, url), 404, "not_found")
    assert not CommentReport.objects.exists()
