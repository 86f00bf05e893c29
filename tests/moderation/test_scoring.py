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
        flag_thresholds={**dict.fromkeys(LABELS, 0.5), "threat": 0.3},
        auto_remove_thresholds={"toxic": 0.9, "threat": 0.8},
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
    # Labels without an auto-remove threshold never remove, however high they score.
    insult_only = policy_apply(platform=platform, scores=scores(insult=0.999, obscene=0.999))
    assert insult_only.status == CommentStatus.FLAGGED
    threat = policy_apply(platform=platform, scores=scores(threat=0.85))
    assert threat.status == CommentStatus.AUTO_REMOVED


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


@pytest.mark.django_db
def test_flagged_comments_store_the_spans_behind_their_flagged_labels(
    platform: Any, comment_factory: Any, tiny_model: ModelVersion
) -> None:
    abusive = comment_factory(platform=platform, text="Honestly, you are a stupid idiot.")
    kind = comment_factory(platform=platform, text=KIND)

    comment_batch_score(comment_ids=[abusive.pk, kind.pk])

    abusive.refresh_from_db()
    kind.refresh_from_db()
    assert kind.explanation == {}
    assert set(abusive.explanation) <= set(abusive.flagged_labels)
    spans = abusive.explanation["toxic"]
    assert spans
    for span in spans:
        assert abusive.text[span["start"] : span["end"]] == span["text"]
    assert {"stupid", "idiot"} & {span["text"].lower() for span in spans}


@pytest.mark.django_db
def test_explanations_can_be_turned_off(
    platform: Any, comment_factory: Any, tiny_model: ModelVersion, settings: Any
) -> None:
    settings.SCORING_EXPLAIN = False
    abusive = comment_factory(platform=platform, text=ABUSIVE)

    comment_batch_score(comment_ids=[abusive.pk])

    abusive.refresh_from_db()
    assert abusive.flagged_labels
    assert abusive.explanation == {}


@pytest.mark.django_db
def test_rescore_moves_flagged_unreviewed_comments_to_the_active_model(
    platform: Any, comment_factory: Any, tiny_model: ModelVersion
) -> None:
    from moderation.services.model_versions import model_version_activate
    from moderation.services.scoring import comments_rescore

    flagged = [comment_factory(platform=platform, text=ABUSIVE) for _ in range(3)]
    comment_batch_score(comment_ids=[c.pk for c in flagged])
    reviewed = flagged[0]
    Comment.objects.filter(pk=reviewed.pk).update(decision="approved")
    shipped = ModelVersion.objects.exclude(pk=tiny_model.pk).get()
    model_version_activate(model_version=shipped)

    result = comments_rescore(batch_size=1)
    again = comments_rescore()

    assert result.rescored == 2
    assert again.rescored == 0
    for comment in flagged[1:]:
        comment.refresh_from_db()
        assert comment.model_version == shipped
        history = set(comment.score_history.values_list("model_version__version", flat=True))
        assert history == {"tiny-v1", shipped.version}
    reviewed.refresh_from_db()
    assert reviewed.model_version == tiny_model  # decided comments keep the scores they had


@pytest.mark.django_db
def test_rescore_command_reports_what_it_did(
    platform: Any, comment_factory: Any, tiny_model: ModelVersion
) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    comment = comment_factory(platform=platform, text=ABUSIVE)
    comment_batch_score(comment_ids=[comment.pk])
    shipped = ModelVersion.objects.exclude(pk=tiny_model.pk).get()
    ModelVersion.objects.update(is_active=False)
    ModelVersion.objects.filter(pk=shipped.pk).update(is_active=True)
    out = StringIO()

    call_command("rescore", "--platform", platform.name, stdout=out, stderr=StringIO())

    assert f"Rescored 1 comment(s) with {shipped.version}" in out.getvalue()
    with pytest.raises(CommandError, match="No platform"):
        call_command("rescore", "--platform", "nope", stdout=StringIO())


@pytest.mark.django_db
def test_stored_explanations_keep_only_salient_spans(
    platform: Any, comment_factory: Any, settings: Any
) -> None:
    # The shipped model (active after migrate): real weights, where filler words weigh little.
    settings.EXPLANATION_MIN_SHARE = 0.25
    comment = comment_factory(platform=platform, text="You are a pathetic idiot and it shows.")

    comment_batch_score(comment_ids=[comment.pk])

    comment.refresh_from_db()
    assert comment.explanation, "the shipped model flags this comment"
    for spans in comment.explanation.values():
        strongest = spans[0]["weight"]
        assert all(span["weight"] >= 0.25 * strongest for span in spans)
        words = {span["text"].lower() for span in spans}
        assert "idiot" in words
        assert not {"a", "it", "and"} & words


def _synchronous_commit() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db
def test_a_batch_that_sends_nothing_does_not_wait_for_the_disk(
    platform: Any, comment_factory: Any, tiny_model: ModelVersion
) -> None:
    comment = comment_factory(platform=platform, text=ABUSIVE)

    comment_batch_score(comment_ids=[comment.pk])

    # The test runs inside one transaction, so the batch's SET LOCAL is still visible.
    assert _synchronous_commit() == "off"


@pytest.mark.django_db
def test_a_batch_that_writes_webhook_deliveries_commits_durably(
    platform: Any, comment_factory: Any, tiny_model: ModelVersion
) -> None:
    from moderation.models import WebhookDelivery
    from moderation.services.webhooks import webhook_endpoint_create

    webhook_endpoint_create(platform=platform, url="http://127.0.0.1:9/hooks")
    comment = comment_factory(platform=platform, text=ABUSIVE)

    comment_batch_score(comment_ids=[comment.pk])

    assert WebhookDelivery.objects.filter(comment=comment).exists()
    assert _synchronous_commit() == "on"
