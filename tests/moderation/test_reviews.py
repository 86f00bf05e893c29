"""Decisions: the audit record, the label rules, claims, stale pages, the webhook, the role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from classifier.labels import LABELS
from moderation.models import (
    Comment,
    Decision,
    Review,
    ReviewClaim,
    WebhookDelivery,
)
from moderation.services.reviews import (
    MODERATOR_PERMISSIONS,
    AlreadyDecided,
    ClaimedByOther,
    CommentNotReviewable,
    InvalidReview,
    StaleReview,
    comment_review,
    comments_review_bulk,
    review_claim_acquire,
)
from moderation.services.webhooks import webhook_endpoint_create
from tests.factories import make_flagged, make_moderator


@pytest.fixture
def alice(db: None) -> User:
    return make_moderator("alice")


@pytest.fixture
def bob(db: None) -> User:
    return make_moderator("bob")


# --- decisions ---------------------------------------------------------------------------------


def test_relabel_records_the_model_labels_before_and_the_moderators_after(
    platform: Any, alice: User
) -> None:
    comment = make_flagged(platform, external_id="c1", scores={"toxic": 0.8, "threat": 0.55})
    labels = dict.fromkeys(LABELS, 0) | {"toxic": 1, "insult": 1}

    review = comment_review(
        comment=comment, moderator=alice, action="relabeled", labels=labels, note=" rude "
    )

    comment.refresh_from_db()
    assert comment.decision == Decision.RELABELED
    assert comment.decided_at == review.created_at
    assert review.moderator_username == "alice"
    assert review.labels_before["toxic"] == pytest.approx(0.8)
    assert review.labels_before["threat"] == pytest.approx(0.55)
    assert review.labels_after == labels
    assert review.note == "rude"
    assert comment.model_version is not None
    assert review.model_version == comment.model_version.version


def test_approve_and_remove_turn_into_labels_as_the_format_documents(
    platform: Any, alice: User
) -> None:
    kept = make_flagged(platform, external_id="kept")
    removed = make_flagged(platform, external_id="gone", scores={"threat": 0.9})

    approve = comment_review(comment=kept, moderator=alice, action="approved")
    remove = comment_review(comment=removed, moderator=alice, action="removed")

    assert approve.labels_after == dict.fromkeys(LABELS, 0)
    expected = dict.fromkeys(LABELS) | {"toxic": 1, "threat": 1}
    assert remove.labels_after == expected


def test_a_decision_fires_comment_reviewed_with_the_review(platform: Any, alice: User) -> None:
    webhook_endpoint_create(platform=platform, url="https://hooks.example.com/t")
    comment = make_flagged(platform, external_id="hooked")

    comment_review(comment=comment, moderator=alice, action="removed", note="spam wave")

    delivery = WebhookDelivery.objects.get(event_type="comment.reviewed")
    data = delivery.payload["data"]
    assert data["comment"]["external_id"] == "hooked"
    assert data["comment"]["decision"] == "removed"
    assert data["review"]["action"] == "removed"
    assert data["review"]["moderator"] == "alice"
    assert data["review"]["note"] == "spam wave"
    assert data["review"]["labels_after"]["toxic"] == 1
    assert data["review"]["labels_before"]["toxic"] == pytest.approx(0.91)


def test_a_decided_comment_cannot_be_decided_again(platform: Any, alice: User, bob: User) -> None:
    comment = make_flagged(platform, external_id="twice")
    comment_review(comment=comment, moderator=alice, action="removed")

    with pytest.raises(AlreadyDecided, match="already removed by alice"):
        comment_review(comment=comment, moderator=bob, action="approved")

    assert Review.objects.filter(comment=comment).count() == 1
    assert Comment.objects.get(pk=comment.pk).decision == Decision.REMOVED


def test_an_escalation_is_not_final(platform: Any, alice: User, bob: User) -> None:
    comment = make_flagged(platform, external_id="esc")
    escalation = comment_review(comment=comment, moderator=alice, action="escalated")

    comment_review(
        comment=comment, moderator=bob, action="approved", expected_last_review_id=escalation.pk
    )

    assert list(Review.objects.filter(comment=comment).values_list("action", flat=True)) == [
        "approved",
        "escalated",
    ]


def test_a_claimed_comment_cannot_be_opened_or_decided_by_another(
    platform: Any, alice: User, bob: User
) -> None:
    comment = make_flagged(platform, external_id="claimed")
    review_claim_acquire(comment=comment, moderator=alice)

    with pytest.raises(ClaimedByOther, match="alice opened this comment"):
        review_claim_acquire(comment=comment, moderator=bob)
    with pytest.raises(ClaimedByOther, match="not recorded"):
        comment_review(comment=comment, moderator=bob, action="removed")

    assert not Review.objects.exists()
    comment_review(comment=comment, moderator=alice, action="removed")
    assert not ReviewClaim.objects.exists()  # a decision releases the claim


def test_an_expired_claim_no_longer_blocks(platform: Any, alice: User, bob: User) -> None:
    comment = make_flagged(platform, external_id="expired")
    review_claim_acquire(comment=comment, moderator=alice)
    ReviewClaim.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    claim = review_claim_acquire(comment=comment, moderator=bob)

    assert claim.moderator == bob


def test_a_decision_made_on_a_stale_page_is_refused(platform: Any, alice: User, bob: User) -> None:
    comment = make_flagged(platform, external_id="stale")
    # Both opened it when it had no review; bob escalated first (alice's claim had run out).
    comment_review(comment=comment, moderator=bob, action="escalated", expected_last_review_id=0)

    with pytest.raises(StaleReview, match="bob escalated this comment"):
        comment_review(
            comment=comment, moderator=alice, action="approved", expected_last_review_id=0
        )


@pytest.mark.parametrize(
    ("action", "labels", "message"),
    [
        ("relabeled", None, "none were given"),
        ("relabeled", {"toxic": 1}, "missing: severe_toxic"),
        ("relabeled", dict.fromkeys(LABELS, 2), "must be 1 \\(yes\\) or 0 \\(no\\)"),
        ("relabeled", dict.fromkeys(LABELS, 1) | {"spam": 1}, "Unknown label"),
        ("relabeled", dict.fromkeys(LABELS, 0) | {"threat": 1}, "set toxic to yes as well"),
        ("deleted", None, "Unknown action"),
    ],
)
def test_bad_decisions_are_refused_with_a_reason_and_write_nothing(
    platform: Any, alice: User, action: str, labels: Any, message: str
) -> None:
    comment = make_flagged(platform, external_id="bad")

    with pytest.raises(InvalidReview, match=message):
        comment_review(comment=comment, moderator=alice, action=action, labels=labels)

    assert not Review.objects.exists()
    assert Comment.objects.get(pk=comment.pk).decision == ""


@pytest.mark.parametrize(
    ("action", "reason", "message"),
    [("approved", "spam", "not with approved"), ("removed", "rude", "Unknown removal reason")],
)
def test_a_removal_reason_goes_only_with_remove_and_must_be_configured(
    platform: Any, alice: User, action: str, reason: str, message: str
) -> None:
    comment = make_flagged(platform, external_id="reasoned")

    with pytest.raises(InvalidReview, match=message):
        comment_review(comment=comment, moderator=alice, action=action, reason=reason)

    assert not Review.objects.exists()


def test_a_removal_reason_is_recorded_and_sent_with_the_webhook(platform: Any, alice: User) -> None:
    webhook_endpoint_create(platform=platform, url="https://hooks.example.com/t")
    comment = make_flagged(platform, external_id="spam-1")

    review = comment_review(comment=comment, moderator=alice, action="removed", reason="spam")

    assert Review.objects.get(pk=review.pk).reason == "spam"
    sent = WebhookDelivery.objects.filter(event_type="comment.reviewed")
    assert [d.payload["data"]["review"]["reason"] for d in sent] == ["spam"]


def test_the_moderators_labels_go_with_approve_and_escalate_too(platform: Any, alice: User) -> None:
    labels = dict.fromkeys(LABELS, 0) | {"toxic": 1, "obscene": 1}
    kept = make_flagged(platform, external_id="kept")
    asked = make_flagged(platform, external_id="asked")

    approve = comment_review(comment=kept, moderator=alice, action="approved", labels=labels)
    escalate = comment_review(comment=asked, moderator=alice, action="escalated", labels=labels)

    assert approve.labels_after == labels
    assert escalate.labels_after == labels


def test_only_flagged_comments_are_reviewed(
    platform: Any, alice: User, comment_factory: Any
) -> None:
    pending = comment_factory(platform=platform)

    with pytest.raises(CommentNotReviewable, match="pending"):
        comment_review(comment=pending, moderator=alice, action="approved")


def test_bulk_decides_what_it_can_and_says_why_it_skipped_the_rest(
    platform: Any, alice: User, bob: User
) -> None:
    free = make_flagged(platform, external_id="free")
    done = make_flagged(platform, external_id="done")
    held = make_flagged(platform, external_id="held")
    comment_review(comment=done, moderator=bob, action="removed")
    review_claim_acquire(comment=held, moderator=bob)

    result = comments_review_bulk(comments=[free, done, held], moderator=alice, action="approved")

    assert [review.comment_id for review in result.reviewed] == [free.pk]
    reasons = {comment.external_id: reason for comment, reason in result.skipped}
    assert "already removed by bob" in reasons["done"]
    assert "bob opened this comment" in reasons["held"]
    with pytest.raises(InvalidReview):
        comments_review_bulk(comments=[free], moderator=alice, action="escalated")


def test_the_migration_creates_the_moderators_group_without_key_or_model_rights(
    db: None,
) -> None:
    group = Group.objects.get(name="moderators")  # from migration 0005
    granted = set(group.permissions.values_list("codename", flat=True))

    assert granted == set(MODERATOR_PERMISSIONS)
    assert not {p for p in granted if "apikey" in p or "modelversion" in p or "webhook" in p}
    assert not {p for p in granted if p.startswith(("add_", "change_", "delete_"))}
