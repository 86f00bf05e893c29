"""The review queue's priority: label-weighted severity, age against a target, reports; stored
and recomputed when scores, reports or decisions change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from classifier.labels import LABELS
from moderation.models import Comment, ModelVersion
from moderation.review_priority import (
    TARGET_HOURS,
    review_priority_now,
    review_priority_stored,
)
from moderation.services.reviews import comment_priority_refresh, comment_review
from moderation.services.scoring import comment_batch_score
from tests.factories import make_flagged, make_moderator

QUEUE = "/admin/moderation/reviewqueueitem/"
THREAT = "I'm going to shoot up the school tomorrow."
IDENTITY = "As a gay man I think the new law is a step forward."


@pytest.fixture
def alice(db: None) -> User:
    return make_moderator("alice")


def test_a_threat_outranks_an_identity_mention_near_the_threshold(
    platform: Any, alice: User
) -> None:
    # What the shipped model gives these two: the mention sits just over the identity_hate
    # threshold, the threat well over threat's. The old priority lifted the borderline one.
    make_flagged(platform, external_id="mention", text=IDENTITY, scores={"identity_hate": 0.52})
    make_flagged(
        platform, external_id="threat", text=THREAT, scores={"threat": 0.61, "toxic": 0.55}
    )
    client = Client()
    client.force_login(alice)

    html = client.get(QUEUE).content.decode()

    assert html.index(">threat</a>") < html.index(">mention</a>")
    stored = dict(Comment.objects.values_list("external_id", "review_priority"))
    threat_priority, mention_priority = stored["threat"], stored["mention"]
    assert threat_priority is not None
    assert mention_priority is not None
    assert threat_priority > mention_priority


def test_waiting_raises_the_priority_and_time_alone_never_reorders_two_comments() -> None:
    created = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    scores = dict.fromkeys(LABELS, 0.0) | {"insult": 0.9}
    older = review_priority_stored(scores=scores, created_at=created)
    newer = review_priority_stored(scores=scores, created_at=created + timedelta(hours=6))

    at_creation = review_priority_now(older, now=created)
    a_target_later = review_priority_now(older, now=created + timedelta(hours=TARGET_HOURS))

    assert a_target_later > at_creation  # a comment waiting its target time rises
    assert older > newer  # same content: the one waiting longer comes first, now and later


def test_reports_and_an_escalation_raise_the_stored_priority(platform: Any, alice: User) -> None:
    comment = make_flagged(platform, external_id="reported", scores={"insult": 0.7})
    before = Comment.objects.get(pk=comment.pk).review_priority

    Comment.objects.filter(pk=comment.pk).update(report_count=3)
    reported = comment_priority_refresh(comment=comment)
    comment_review(comment=comment, moderator=alice, action="escalated")
    escalated = Comment.objects.get(pk=comment.pk).review_priority

    assert before is not None
    assert reported is not None
    assert escalated is not None
    assert before < reported < escalated


def test_scoring_stores_the_priority_the_queue_orders_by(
    platform: Any, comment_factory: Any, tiny_model: ModelVersion
) -> None:
    threat = comment_factory(platform=platform, text="i am going to kill you")
    insult = comment_factory(platform=platform, text="what a stupid moron")

    comment_batch_score(comment_ids=[threat.pk, insult.pk])

    threat.refresh_from_db()
    insult.refresh_from_db()
    assert threat.review_priority == pytest.approx(
        review_priority_stored(scores=threat.scores or {}, created_at=threat.created_at)
    )
    assert insult.review_priority is not None
