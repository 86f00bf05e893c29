"""Poison comments: set aside from their batch, failed after SCORING_MAX_ATTEMPTS, retried on
request; shown as `failed` in the API and the admin."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from moderation.models import Comment, CommentScore, CommentStatus
from moderation.services.scoring import comment_batch_score
from moderation.services.scoring_failures import comments_retry_failed
from moderation.services.scoring_queue import comments_sweep_pending
from tests.conftest import build_tiny_model
from tests.faults.fault_model import register, write_fault_model

pytestmark = pytest.mark.django_db

POISON = "xpoisonx"
TEXTS = [
    "you are a stupid worthless idiot",
    "thanks for the helpful answer",
    "what a lovely photo of the lake",
    "shut up you pathetic moron",
    "the meeting moved to tuesday",
    "i am going to kill you",
]


@pytest.fixture
def fault_model(tmp_path: Path) -> Any:
    """Activate a version of the tiny model that raises on texts containing `poison_token`."""
    from moderation.services.model_versions import model_version_register

    register()
    inner = build_tiny_model(tmp_path / "inner", version="inner")

    def activate(poison_token: str) -> Any:
        version = f"poison-{tmp_path.name}-{poison_token}"
        artifact = write_fault_model(
            tmp_path / version, inner_dir=inner, version=version, poison_token=poison_token
        )
        return model_version_register(artifact_dir=artifact, activate=True)

    return activate


def test_a_poison_comment_is_set_aside_and_the_rest_of_its_batch_is_scored(
    fault_model: Any, platform: Any, comment_factory: Any, settings: Any
) -> None:
    settings.SCORING_MAX_ATTEMPTS = 3
    fault_model(POISON)
    good = [comment_factory(platform=platform, text=text) for text in TEXTS]
    poison = comment_factory(platform=platform, text=f"an ordinary sentence {POISON}")
    ids = [c.pk for c in good[:3]] + [poison.pk] + [c.pk for c in good[3:]]

    result = comment_batch_score(comment_ids=ids)

    assert result.scored == len(good)
    assert not Comment.objects.filter(pk__in=[c.pk for c in good], status="pending").exists()
    assert CommentScore.objects.filter(comment__in=good).count() == len(good)
    poison.refresh_from_db()
    assert poison.status == CommentStatus.PENDING  # one attempt of three
    assert poison.scoring_attempts == 1
    assert poison.scoring_error.startswith("ValueError:")
    assert POISON in poison.scoring_error


def test_after_the_last_attempt_the_comment_is_failed_and_the_sweeper_leaves_it(
    fault_model: Any, platform: Any, comment_factory: Any, settings: Any
) -> None:
    settings.SCORING_MAX_ATTEMPTS = 3
    settings.SCORING_ERROR_MAX_CHARS = 40
    fault_model(POISON)
    poison = comment_factory(platform=platform, text=f"{POISON} again")

    for _ in range(3):
        comment_batch_score(comment_ids=[poison.pk])
    later = comment_factory(platform=platform, text=TEXTS[1])
    result = comment_batch_score(comment_ids=[later.pk])

    poison.refresh_from_db()
    assert poison.status == CommentStatus.FAILED
    assert poison.scoring_attempts == 3
    assert len(poison.scoring_error) == 40  # truncated
    assert result.scored == 1  # the failed one is not picked up again
    Comment.objects.filter(pk=poison.pk).update(enqueued_at=timezone.now() - timedelta(hours=1))
    assert comments_sweep_pending(older_than=timedelta(minutes=2)) == 0


@pytest.mark.parametrize("batch", [4, 1])
def test_a_model_that_raises_on_everything_fails_no_comment(
    fault_model: Any, platform: Any, comment_factory: Any, batch: int
) -> None:
    fault_model("")  # a broken model: it raises on every text, harmless ones included
    comments = [comment_factory(platform=platform, text=TEXTS[n]) for n in range(batch)]

    for _ in range(3):
        with pytest.raises(ValueError, match="poison"):
            comment_batch_score(comment_ids=[c.pk for c in comments])

    assert (
        list(
            Comment.objects.filter(pk__in=[c.pk for c in comments]).values_list(
                "status", "scoring_attempts"
            )
        )
        == [("pending", 0)] * batch
    )


def test_comments_that_all_raise_while_the_model_works_are_each_blamed(
    fault_model: Any, platform: Any, comment_factory: Any
) -> None:
    fault_model(POISON)
    comments = [comment_factory(platform=platform, text=f"{POISON} {n}") for n in range(2)]

    result = comment_batch_score(comment_ids=[c.pk for c in comments])

    assert result.scored == 0
    assert list(
        Comment.objects.filter(pk__in=[c.pk for c in comments]).values_list(
            "scoring_attempts", flat=True
        )
    ) == [1, 1]


def test_retrying_failed_comments_puts_them_back_in_the_queue(
    platform: Any, comment_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    failed = comment_factory(
        platform=platform, status="failed", scoring_attempts=3, scoring_error="ValueError: x"
    )
    flagged = comment_factory(platform=platform, status="flagged")

    with django_capture_on_commit_callbacks() as callbacks:
        retried = comments_retry_failed(comment_ids=[failed.pk, flagged.pk])

    assert retried == 1
    assert len(callbacks) == 1  # the enqueue, after commit
    failed.refresh_from_db()
    flagged.refresh_from_db()
    assert (failed.status, failed.scoring_attempts, failed.scoring_error) == ("pending", 0, "")
    assert failed.enqueue_count == 1
    assert flagged.status == "flagged"


def test_the_api_shows_a_failed_comment_with_its_error(
    api_client: Any, platform: Any, comment_factory: Any
) -> None:
    failed = comment_factory(
        platform=platform, status="failed", scoring_attempts=3, scoring_error="ValueError: boom"
    )
    comment_factory(platform=platform, status="allowed")

    body = api_client.get(f"/api/v1/comments/{failed.public_id}").json()
    listed = api_client.get("/api/v1/comments", {"status": "failed"}).json()["results"]
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert (body["status"], body["scoring_error"], body["scores"]) == (
        "failed",
        "ValueError: boom",
        None,
    )
    assert [item["id"] for item in listed] == [str(failed.public_id)]
    assert "failed" in schema["components"]["schemas"]["CommentStatusEnum"]["enum"]


def test_the_admin_filters_failed_comments_and_retries_them(
    admin_client: Any, platform: Any, comment_factory: Any
) -> None:
    failed = comment_factory(
        platform=platform, external_id="stuck-1", status="failed", scoring_error="ValueError: x"
    )
    comment_factory(platform=platform, external_id="fine-1", status="allowed")
    changelist = "/admin/moderation/comment/"

    page = admin_client.get(changelist, {"status__exact": "failed"}).content.decode()
    response = admin_client.post(
        changelist, {"action": "retry_failed", "_selected_action": [failed.pk]}, follow=True
    )

    assert "stuck-1" in page
    assert "fine-1" not in page
    assert "Re-queued 1 failed comment(s)" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == CommentStatus.PENDING
