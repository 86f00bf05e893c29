"""Moderator decisions: claims, one decision at a time, the append-only audit, the webhook.

A moderator who opens a comment claims it for REVIEW_CLAIM_SECONDS; a second moderator sees who
holds it and cannot decide it meanwhile. A decision also carries the id of the last review the
moderator saw (optimistic concurrency), so a decision made on a stale page is refused even when
a claim has run out. Approve, remove and relabel are final; an escalation is not, and a later
final decision settles the comment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from django.utils.timesince import timesince

from classifier.labels import LABELS
from moderation.errors import ModerationError
from moderation.models import (
    FINAL_DECISIONS,
    Comment,
    CommentStatus,
    Decision,
    Platform,
    Review,
    ReviewClaim,
)
from moderation.review_priority import review_priority_stored
from moderation.services.scoring import PolicyOutcome, policy_apply
from moderation.services.webhooks import WebhookEvent, comment_event_data, webhook_events_emit

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: How long an opened comment stays claimed by its moderator without activity.
REVIEW_CLAIM_SECONDS = 600
#: Longest note a moderator may attach to a decision, in characters.
REVIEW_NOTE_MAX_CHARS = 2000
#: Statuses a moderator can decide on: what the model flagged or removed on its own.
REVIEWABLE_STATUSES = (CommentStatus.FLAGGED, CommentStatus.AUTO_REMOVED)

MODERATORS_GROUP = "moderators"
#: What the `moderators` group may do (the data migration 0005 grants the same list).
MODERATOR_PERMISSIONS = (
    "view_reviewqueueitem",
    "review_comment",
    "export_corrections",
    "view_review",
    "view_comment",
    "view_moderationdashboard",
    "view_texttrial",
    "view_authoraction",
)


class ReviewError(ModerationError):
    """A decision was refused; `message` says why in words a moderator understands."""

    code = "review_refused"


class CommentNotReviewable(ReviewError):
    code = "not_reviewable"


class AlreadyDecided(ReviewError):
    code = "already_decided"


class ClaimedByOther(ReviewError):
    code = "claimed_by_other"

    def __init__(self, message: str, claim: ReviewClaim) -> None:
        super().__init__(message)
        self.claim = claim


class StaleReview(ReviewError):
    code = "stale_review"


class InvalidReview(ReviewError):
    code = "invalid_review"


@dataclass(frozen=True)
class BulkReviewResult:
    reviewed: list[Review] = field(default_factory=list)
    #: (comment, why it was left alone), one per comment not decided.
    skipped: list[tuple[Comment, str]] = field(default_factory=list)


def _ago(moment: datetime, now: datetime) -> str:
    return f"{timesince(moment, now).split(',')[0]} ago"


def _claim_message(claim: ReviewClaim, now: datetime) -> str:
    return (
        f"{claim.moderator.get_username()} opened this comment {_ago(claim.claimed_at, now)} "
        f"and is deciding it (their claim runs until {claim.expires_at:%H:%M:%S} UTC)."
    )


def _live_claim(comment: Comment, now: datetime) -> ReviewClaim | None:
    claim = (
        ReviewClaim.objects.select_related("moderator")
        .filter(comment=comment, expires_at__gt=now)
        .first()
    )
    return claim


@transaction.atomic
def review_claim_acquire(*, comment: Comment, moderator: User) -> ReviewClaim:
    """Claim `comment` for `moderator` (or renew their claim) for REVIEW_CLAIM_SECONDS.

    Raises ClaimedByOther while another moderator's claim is live.
    """
    now = timezone.now()
    # Lock the comment row so two moderators opening it at once are served one after the other.
    Comment.objects.select_for_update().filter(pk=comment.pk).first()
    claim = _live_claim(comment, now)
    if claim is not None and claim.moderator_id != moderator.pk:
        raise ClaimedByOther(_claim_message(claim, now), claim)
    claim, _ = ReviewClaim.objects.update_or_create(
        comment=comment,
        defaults={
            "moderator": moderator,
            "claimed_at": claim.claimed_at if claim is not None else now,
            "expires_at": now + timedelta(seconds=REVIEW_CLAIM_SECONDS),
        },
    )
    return claim


@transaction.atomic
def review_claim_release(*, comment: Comment, moderator: User) -> None:
    """Give up `moderator`'s claim on `comment`, if they hold one."""
    ReviewClaim.objects.filter(comment=comment, moderator=moderator).delete()


def review_labels_after(
    *, comment: Comment, action: str, labels: Mapping[str, int] | None
) -> dict[str, int | None]:
    """The moderator's ground truth per label, as docs/corrections-format.md defines it."""
    if labels is not None:
        return {label: int(labels[label]) for label in LABELS}
    if action == Decision.APPROVED:
        return dict.fromkeys(LABELS, 0)
    if action == Decision.REMOVED:
        # Removal says the comment is toxic, not which kind: the model's flags, the rest unknown.
        flagged = set(comment.flagged_labels) | {"toxic"}
        return {label: 1 if label in flagged else None for label in LABELS}
    return dict.fromkeys(LABELS, None)


def _validated_labels(labels: Mapping[str, Any]) -> dict[str, int]:
    missing = [label for label in LABELS if label not in labels or labels[label] in (None, "")]
    if missing:
        raise InvalidReview(
            "A relabel sets every label; missing: " + ", ".join(missing) + ". Choose yes or no."
        )
    unknown = sorted(set(labels) - set(LABELS))
    if unknown:
        raise InvalidReview(f"Unknown label(s): {', '.join(unknown)}.")
    values: dict[str, int] = {}
    for label in LABELS:
        value = labels[label]
        if value in (0, 1, "0", "1", True, False) and not isinstance(value, float):
            values[label] = int(value)
        else:
            raise InvalidReview(f"Label {label} must be 1 (yes) or 0 (no), not {value!r}.")
    others = [label for label in LABELS if label != "toxic" and values[label]]
    if others and not values["toxic"]:
        # Every label is a kind of toxicity; training reads toxic = 0 as "none of them".
        raise InvalidReview(
            f"{', '.join(others)} {'is a kind' if len(others) == 1 else 'are kinds'} of "
            "toxicity: set toxic to yes as well, or clear them."
        )
    return values


def _priority(comment: Comment) -> float | None:
    if comment.scored_at is None:
        return None
    return review_priority_stored(
        scores=comment.scores or {},
        created_at=comment.created_at,
        report_count=comment.report_count,
        escalated=comment.decision == Decision.ESCALATED,
    )


@transaction.atomic
def comment_priority_refresh(*, comment: Comment) -> float | None:
    """Recompute and store `comment`'s review priority from its current scores, report count and
    review state (call it after changing any of them, e.g. when a user report is counted).
    Returns the stored value; None for a comment not scored yet."""
    locked = Comment.objects.select_for_update(of=("self",)).filter(pk=comment.pk).first()
    if locked is None:
        return None
    locked.review_priority = _priority(locked)
    locked.save(update_fields=["review_priority"])
    comment.review_priority = locked.review_priority
    return locked.review_priority


def removal_reasons() -> dict[str, str]:
    """The configured removal reasons, {code: words}, in the order a moderator sees them."""
    reasons: dict[str, str] = {}
    for entry in settings.MODERATION_REMOVAL_REASONS:
        code, _, words = str(entry).partition(":")
        if code.strip():
            reasons[code.strip()] = words.strip() or code.strip()
    return reasons


def _review_event(comment: Comment, review: Review) -> WebhookEvent:
    return WebhookEvent(
        platform_id=comment.platform_id,
        event_type="comment.reviewed",
        data={
            **comment_event_data(comment),
            "review": {
                "action": review.action,
                "labels_before": review.labels_before,
                "labels_after": review.labels_after,
                "moderator": review.moderator_username,
                "note": review.note,
                "reason": review.reason,
                "decided_at": review.created_at.isoformat(),
            },
        },
        comment_id=comment.pk,
    )


def comment_review(
    *,
    comment: Comment,
    moderator: User,
    action: str,
    labels: Mapping[str, Any] | None = None,
    note: str = "",
    reason: str = "",
    expected_last_review_id: int | None = None,
) -> Review:
    """Record `moderator`'s decision on `comment` and fire `comment.reviewed`.

    `action` is a Decision value. `labels` ({label: 0/1} for all six labels), the moderator's
    own labels, is required for relabeled and optional with any other action (without it,
    approve means no label applies and remove keeps the model's flags). `reason` is a removal
    reason code (removal_reasons()), only with removed. `expected_last_review_id` is the id of
    the comment's latest review when the moderator opened it (0 for none); a different one now
    means someone else acted meanwhile. Raises a ReviewError subclass with a message meant for
    the moderator: InvalidReview, CommentNotReviewable, AlreadyDecided, ClaimedByOther,
    StaleReview. Nothing is written when it raises.
    """
    if action not in Decision.values:
        raise InvalidReview(f"Unknown action {action!r}; choose one of {Decision.values}.")
    if action == Decision.RELABELED and labels is None:
        raise InvalidReview("A relabel sets every label; none were given.")
    if reason and action != Decision.REMOVED:
        raise InvalidReview(f"A removal reason goes with remove, not with {action}.")
    if reason and reason not in removal_reasons():
        raise InvalidReview(
            f"Unknown removal reason {reason!r}; choose one of {', '.join(removal_reasons())}."
        )
    checked_labels = _validated_labels(labels) if labels is not None else None
    note = note.strip()
    if len(note) > REVIEW_NOTE_MAX_CHARS:
        raise InvalidReview(f"The note is {len(note)} characters; at most {REVIEW_NOTE_MAX_CHARS}.")

    with transaction.atomic():
        now = timezone.now()
        locked = (
            Comment.objects.select_for_update(of=("self",))
            .select_related("platform", "model_version")
            .filter(pk=comment.pk)
            .first()
        )
        if locked is None:
            raise CommentNotReviewable("This comment no longer exists.")
        if locked.status not in REVIEWABLE_STATUSES:
            raise CommentNotReviewable(
                f"This comment is {locked.get_status_display().lower()}; only flagged or "
                "auto-removed comments are reviewed."
            )
        last = Review.objects.filter(comment=locked).order_by("-created_at", "-id").first()
        if locked.decision in FINAL_DECISIONS:
            who = f" by {last.moderator_username}" if last is not None else ""
            when = f" {_ago(locked.decided_at, now)}" if locked.decided_at else ""
            raise AlreadyDecided(
                f"This comment was already {locked.get_decision_display().lower()}{who}{when}; "
                "your decision was not recorded."
            )
        claim = _live_claim(locked, now)
        if claim is not None and claim.moderator_id != moderator.pk:
            raise ClaimedByOther(
                _claim_message(claim, now) + " Your decision was not recorded.", claim
            )
        last_id = last.pk if last is not None else 0
        if expected_last_review_id is not None and expected_last_review_id != last_id:
            assert last is not None  # an id changed, so there is a review now
            raise StaleReview(
                f"{last.moderator_username} {last.get_action_display().lower()} this comment "
                f"{_ago(last.created_at, now)}, after you opened it; your decision was not "
                "recorded. Look again and decide."
            )

        scores = locked.scores or {}
        review = Review.objects.create(
            comment=locked,
            moderator=moderator,
            moderator_username=moderator.get_username(),
            action=action,
            labels_before=dict(scores),
            model_version=locked.model_version.version if locked.model_version else "",
            labels_after=review_labels_after(comment=locked, action=action, labels=checked_labels),
            note=note,
            reason=reason,
            created_at=now,
        )
        locked.decision = action
        locked.decided_at = now
        locked.review_priority = _priority(locked)
        locked.save(update_fields=["decision", "decided_at", "review_priority"])
        ReviewClaim.objects.filter(comment=locked).delete()
        webhook_events_emit([_review_event(locked, review)])
    comment.decision, comment.decided_at = locked.decision, locked.decided_at
    return review


def comments_review_bulk(
    *, comments: Iterable[Comment], moderator: User, action: str, note: str = ""
) -> BulkReviewResult:
    """Approve or remove several comments, each in its own transaction.

    A comment that cannot be decided (already decided, claimed by another moderator, not
    flagged) is left alone and listed in `skipped` with the reason; the others are decided.
    Raises InvalidReview for an action other than approved or removed.
    """
    if action not in (Decision.APPROVED, Decision.REMOVED):
        raise InvalidReview("Only approve and remove can be applied to a selection.")
    result = BulkReviewResult()
    for comment in comments:
        try:
            review = comment_review(comment=comment, moderator=moderator, action=action, note=note)
        except ReviewError as exc:
            result.skipped.append((comment, exc.message))
        else:
            result.reviewed.append(review)
    return result


@transaction.atomic
def moderators_group_ensure(*, users: Iterable[User] = ()) -> Group:
    """Create or repair the `moderators` group's permissions, and add `users` as staff to it."""
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    permissions = Permission.objects.filter(
        content_type__app_label="moderation", codename__in=MODERATOR_PERMISSIONS
    )
    group.permissions.set(permissions)
    for user in users:
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        user.groups.add(group)
    return group


class TextTrialFailed(ReviewError):
    """The text could not be scored: refused input, no worker answering, no broker."""

    code = "text_trial_failed"


@dataclass(frozen=True)
class TextTrialResult:
    model_version: str
    scores: dict[str, float]
    #: {label: [{"start", "end", "text", "weight"}]}; empty when the model cannot explain.
    explanation: dict[str, list[dict[str, Any]]]
    #: What the platform's thresholds would do; None when no platform was chosen.
    outcome: PolicyOutcome | None


def text_trial_score(
    *, text: str, platform: Platform | None, timeout_seconds: float
) -> TextTrialResult:
    """Score `text` with the active model on a scoring worker and apply `platform`'s policy.

    Nothing is stored: no comment, and the task's result row is deleted once read. Waits at most
    `timeout_seconds` for a worker. Raises TextTrialFailed with a message for the person asking.
    """
    from celery.exceptions import TimeoutError as CeleryTimeoutError
    from kombu.exceptions import OperationalError

    from moderation import enqueue

    limit = int(settings.MODERATION_MAX_TEXT_CHARS)
    if not text.strip():
        raise TextTrialFailed("Paste a text to score.")
    if len(text) > limit:
        raise TextTrialFailed(f"The text is {len(text)} characters; at most {limit}.")
    if "\x00" in text:
        raise TextTrialFailed("The text contains NUL characters, which comments may not.")
    try:
        pending = enqueue.task_send(
            enqueue.TEXT_SCORE,
            args=(text,),
            queue=getattr(settings, "MODERATION_TEXT_TRIAL_QUEUE", "scoring"),
            # A worker that picks it up after the page gave up drops it.
            expires=timeout_seconds + 5,
        )
    except OperationalError as exc:
        raise TextTrialFailed(
            f"The task broker cannot be reached ({exc}); scores come from a worker."
        ) from exc
    try:
        answer: dict[str, Any] = pending.get(timeout=timeout_seconds, interval=0.1)
    except CeleryTimeoutError as exc:
        raise TextTrialFailed(
            f"No scoring worker answered within {timeout_seconds:g} s. Scores come from a "
            "worker (the web process never loads a model): start one with "
            "`celery -A config worker --queues scoring,default` and try again."
        ) from exc
    except Exception as exc:  # the task failed on the worker: say so rather than a 500
        raise TextTrialFailed(f"The worker could not score the text: {exc}") from exc
    finally:
        pending.forget()
    if "error" in answer:
        raise TextTrialFailed(str(answer["error"]))
    scores = {label: float(answer["scores"][label]) for label in LABELS}
    return TextTrialResult(
        model_version=str(answer["model_version"]),
        scores=scores,
        explanation=dict(answer.get("explanation") or {}),
        outcome=policy_apply(platform=platform, scores=scores) if platform is not None else None,
    )
