"""Reading the review queue: which comments wait for a moderator, and in which order.

Priority (see docs/review.md): ``max_score + UNCERTAINTY_WEIGHT * closeness``, where
``closeness`` is 1 when some label's score sits exactly on the platform's flag threshold for it,
falling linearly to 0 when every label is at least UNCERTAINTY_WINDOW away from its threshold.
Clear, severe comments come first; borderline ones, where the model is least sure and a human
decision teaches it most, are lifted above comments that are confidently but mildly toxic.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Abs, Cast, Coalesce, Greatest, Least

from classifier.labels import LABELS
from moderation.models import Comment, CommentStatus, Decision, Review

#: How much a borderline comment is lifted, at most, in units of max_score.
UNCERTAINTY_WEIGHT = 0.25
#: A label this far from its threshold (or farther) counts as not borderline at all.
UNCERTAINTY_WINDOW = 0.10
#: How much each user report lifts a comment, in units of max_score, up to REPORTS_COUNTED.
REPORT_WEIGHT = 0.10
REPORTS_COUNTED = 5

REVIEWABLE_STATUSES = (CommentStatus.FLAGGED, CommentStatus.AUTO_REMOVED)


class QueueState:
    """The queue's status filter values."""

    AWAITING = "awaiting"  # flagged, nobody decided yet (the default)
    ESCALATED = "escalated"
    AUTO_REMOVED = "auto_removed"  # removed by the model, a moderator may still reverse it
    OPEN = "open"  # any of the above
    DECIDED = "decided"

    choices = [
        (AWAITING, "Flagged, awaiting review"),
        (ESCALATED, "Escalated"),
        (AUTO_REMOVED, "Auto-removed, unreviewed"),
        (OPEN, "Everything open"),
        (DECIDED, "Decided"),
    ]


def _threshold(label: str) -> Coalesce:
    default = float(settings.MODERATION_DEFAULT_FLAG_THRESHOLD)
    return Coalesce(
        Cast(KeyTextTransform(label, "platform__flag_thresholds"), FloatField()),
        Value(default),
        output_field=FloatField(),
    )


def _closeness() -> Greatest:
    nearest = Least(
        *[Abs(F(f"score_{label}") - _threshold(label)) for label in LABELS],
        output_field=FloatField(),
    )
    return Greatest(
        Value(0.0), Value(1.0) - nearest / Value(UNCERTAINTY_WINDOW), output_field=FloatField()
    )


def _author_flagged_count() -> Case:
    others = (
        Comment.objects.filter(
            platform_id=OuterRef("platform_id"),
            author_id=OuterRef("author_id"),
            status__in=REVIEWABLE_STATUSES,
        )
        .exclude(pk=OuterRef("pk"))
        .order_by()
        .values("platform_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Case(
        When(author_id="", then=Value(0)),
        default=Coalesce(Subquery(others, output_field=IntegerField()), Value(0)),
        output_field=IntegerField(),
    )


def comment_priority_annotate(queryset: QuerySet[Comment]) -> QuerySet[Comment]:
    """The queryset with `priority` (higher first) and `closeness` (0..1) annotated."""
    closeness = _closeness()
    return queryset.annotate(
        closeness=closeness,
        priority=Coalesce(F("max_score"), Value(0.0))
        + Value(UNCERTAINTY_WEIGHT) * closeness
        + Value(REPORT_WEIGHT) * Least(F("report_count"), Value(REPORTS_COUNTED)),
    )


def comment_review_queue() -> QuerySet[Comment]:
    """Comments a moderator may decide on (flagged or auto-removed), in any review state,
    annotated with `priority`, `closeness` and `author_flagged_count` (the author's other
    flagged comments on the same platform), with what a queue row shows, highest priority first.
    Narrow it with `review_queue_filter_state`."""
    queryset = (
        Comment.objects.filter(status__in=REVIEWABLE_STATUSES, erased_at__isnull=True)
        .select_related("platform", "model_version", "review_claim__moderator")
        .defer("metadata")
        .annotate(author_flagged_count=_author_flagged_count())
    )
    return comment_priority_annotate(queryset).order_by("-priority", "-pk")


def review_queue_filter_state(queryset: QuerySet[Comment], state: str) -> QuerySet[Comment]:
    """Narrow a queue queryset to one QueueState (unknown values mean AWAITING)."""
    awaiting = Q(decision="")
    if state == QueueState.ESCALATED:
        return queryset.filter(decision=Decision.ESCALATED)
    if state == QueueState.AUTO_REMOVED:
        return queryset.filter(awaiting, status=CommentStatus.AUTO_REMOVED)
    if state == QueueState.OPEN:
        return queryset.filter(awaiting | Q(decision=Decision.ESCALATED))
    if state == QueueState.DECIDED:
        return queryset.exclude(awaiting | Q(decision=Decision.ESCALATED))
    return queryset.filter(awaiting, status=CommentStatus.FLAGGED)


def review_queue_open_count() -> int:
    return review_queue_filter_state(
        Comment.objects.filter(status__in=REVIEWABLE_STATUSES, erased_at__isnull=True),
        QueueState.OPEN,
    ).count()


def comment_priority(*, comment_id: int) -> float | None:
    """The queue priority of one comment, computed exactly as the queue orders by it."""
    comment = comment_priority_annotate(Comment.objects.filter(pk=comment_id)).first()
    return float(comment.priority) if comment is not None else None  # type: ignore[attr-defined]


def review_queue_neighbours(
    queue: QuerySet[Comment], *, comment_id: int, priority: float, user_id: int, now: datetime
) -> tuple[int | None, int | None]:
    """The ids (previous, next) around a comment in a queue ordered by (-priority, -pk), skipping
    comments another moderator has claimed."""
    free = queue.filter(
        Q(review_claim__isnull=True)
        | Q(review_claim__expires_at__lte=now)
        | Q(review_claim__moderator_id=user_id)
    ).exclude(pk=comment_id)
    after = Q(priority__lt=priority) | Q(priority=priority, pk__lt=comment_id)
    before = Q(priority__gt=priority) | Q(priority=priority, pk__gt=comment_id)
    following = free.filter(after).order_by("-priority", "-pk").values_list("pk", flat=True)
    previous = free.filter(before).order_by("priority", "pk").values_list("pk", flat=True)
    return previous.first(), following.first()


def comment_reviews(*, comment_id: int) -> QuerySet[Review]:
    """A comment's audit records, newest first."""
    return Review.objects.filter(comment_id=comment_id).order_by("-created_at", "-id")
