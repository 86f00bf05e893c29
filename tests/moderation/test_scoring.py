"""Scoring: one model call per batch, idempotent write-back, the platform policy, the sweeper."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from classifier.labels import LABELS
from moderation.errors import NoActiveModel
from moderation.models import Comment, CommentScore, CommentStatus, ModelVersion
from moderation.services.scoring import comment_batch_score, policy_apply
from moderation.services.scoring_queue import comments_sweep_pending

ABUSIVE = "you are a stupid worthless idiot"
KIND = "thanks for the helpful answer"


def scores(**overrides: float) -> dict[str, float]:
    return {**dict.fromkeys(LABELS, 0.01), **overrides}


@pytest.mark.django_db
def test_policy_allows_flags_and_auto_removes(platform_factory: Any) -> None:
    platform = platform_factory(
        flag_thresholds={**dict.fromkeys(LABELS, 0.5), "threat": 0.3}, auto_remove_threshold=0.9
    )

    allowed = policy_apply(platform=platform, scores=scores(toxic=0.49))
    flagged = policy_apply(platform=platform, scores=scores(toxic=0.6, threat=0.31))
    removed = policy_apply(platform=platform, scores=scores(toxic=0.95, insult=0.7))

    assert (allowed.status, allowed.flagged_labels) == (CommentStatus.ALLOWED, [])
    assert (flagged.status, flagged.flagged_labels) == (CommentStatus.FLAGGED, ["toxic", "threat"])
    assert (removed.status, removed.flagged_labels) == (
        CommentStatus.AUTO_REMOVED,
        ["toxic", "insult"],
    )


@pytest.mark.django_db
def test_batch_scores_pending_comments_with_the_active_model(
    platform: Any, comment_factory: Any, tiny_model: ModelVersion
) -> None:
    abusive = comment_factory(platform=platform, text=ABUSIVE)
    kind = comment_factory(platform=platform, text=KIND)

    result = comment_batch_score(comment_ids=[abusive.pk, kind.pk])

    abusive.refresh_from_db()
    kind.refresh_from_db()
    assert result.scored == 2
    assert result.model_version == "tiny-v1"
    assert abusive.model_version == tiny_model
    assert kind.model_version == tiny_model
    assert abusive.score_toxic > kind.score_toxic
    assert abusive.status in {CommentStatus.FLAGGED, CommentStatus.AUTO_REMOVED}
    assert kind.status == CommentStatus.ALLOWED
    assert abusive.max_score == max(abusive.scores.values())
    assert CommentScore.objects.filter(model_version=tiny_model).count() == 2


@pytest.mark.django_db
def test_scoring_twice_changes_nothing(
    platform: Any, comment_factory: Any, tiny_model: ModelVersion
) -> None:
    comment = comment_factory(platform=platform, text=ABUSIVE)
    comment_batch_score(comment_ids=[comment.pk])
    comment.refresh_from_db()
    before = (comment.scores, comment.status, comment.scored_at)

    second = comment_batch_score(comment_ids=[comment.pk])

    comment.refresh_from_db()
    assert second.scored == 0
    assert (comment.scores, comment.status, comment.scored_at) == before
    assert CommentScore.objects.count() == 1


@pytest.mark.django_db
def test_batch_is_topped_up_with_other_waiting_comments(
    platform: Any, comment_factory: Any, tiny_model: ModelVersion
) -> None:
    asked = comment_factory(platform=platform)
    waiting = comment_factory.create_batch(4, platform=platform)

    result = comment_batch_score(comment_ids=[asked.pk], batch_size=3)

    assert result.scored == 3
    assert Comment.objects.filter(status=CommentStatus.PENDING).count() == 2
    asked.refresh_from_db()
    assert asked.status != CommentStatus.PENDING
    assert len(waiting) == 4


@pytest.mark.django_db
def test_without_an_active_model_comments_stay_pending(platform: Any, comment_factory: Any) -> None:
    ModelVersion.objects.update(is_active=False)
    comment = comment_factory(platform=platform)

    with pytest.raises(NoActiveModel):
        comment_batch_score(comment_ids=[comment.pk])

    comment.refresh_from_db()
    assert comment.status == CommentStatus.PENDING


@pytest.mark.django_db
def test_sweeper_reenqueues_only_stale_pending_comments(
    platform: Any, comment_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    stale = comment_factory(platform=platform, enqueued_at=now - timedelta(minutes=10))
    never = comment_factory(platform=platform, enqueued_at=None)
    fresh = comment_factory(platform=platform, enqueued_at=now)
    done = comment_factory(
        platform=platform, enqueued_at=now - timedelta(hours=1), status=CommentStatus.ALLOWED
    )

    with django_capture_on_commit_callbacks() as callbacks:
        count = comments_sweep_pending(older_than=timedelta(minutes=2))

    assert count == 2
    assert len(callbacks) == 1
    swept = set(Comment.objects.filter(enqueue_count=1).values_list("pk", flat=True))
    assert swept == {stale.pk, never.pk}
    assert fresh.pk not in swept
    assert done.pk not in swept
