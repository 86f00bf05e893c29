"""Reading the review queue: which comments wait for a moderator, and in which order.

The order is the stored, indexed `review_priority` column (moderation/review_priority.py and
docs/review.md): label-weighted severity, age against a target time, and user reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Coalesce

from moderation.models import Comment, CommentStatus, Decision, Review

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


def comment_review_queue() -> QuerySet[Comment]:
    """Comments a moderator may decide on (flagged or auto-removed), in any review state,
    annotated with `author_flagged_count` (the author's other flagged comments on the same
    platform) and `last_review_id` (0 for none), with what a queue row shows, highest priority
    first. Narrow it with `review_queue_filter_state`."""
    last_review = (
        Review.objects.filter(comment_id=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    queryset = (
        Comment.objects.filter(status__in=REVIEWABLE_STATUSES, erased_at__isnull=True)
        .select_related("platform", "model_version", "review_claim__moderator")
        .defer("metadata", "model_version__training_summary", "model_version__metrics")
        .annotate(
            model_constant_labels=KeyTransform(
                "constant_labels", "model_version__training_summary"
            ),
            author_flagged_count=_author_flagged_count(),
            last_review_id=Coalesce(Subquery(last_review), Value(0)),
        )
    )
    return queryset.order_by("-review_priority", "-pk")


def review_queue_state_q(state: str) -> Q:
    """The condition for one QueueState (unknown values mean AWAITING), on reviewable comments."""
    awaiting = Q(decision="")
    if state == QueueState.ESCALATED:
        return Q(decision=Decision.ESCALATED)
    if state == QueueState.AUTO_REMOVED:
        return awaiting & Q(status=CommentStatus.AUTO_REMOVED)
    if state == QueueState.OPEN:
        return awaiting | Q(decision=Decision.ESCALATED)
    if state == QueueState.DECIDED:
        return ~(awaiting | Q(decision=Decision.ESCALATED))
    return awaiting & Q(status=CommentStatus.FLAGGED)


def review_queue_filter_state(queryset: QuerySet[Comment], state: str) -> QuerySet[Comment]:
    """Narrow a queue queryset to one QueueState (unknown values mean AWAITING)."""
    return queryset.filter(review_queue_state_q(state))


def review_queue_open_count() -> int:
    return review_queue_filter_state(
        Comment.objects.filter(status__in=REVIEWABLE_STATUSES, erased_at__isnull=True),
        QueueState.OPEN,
    ).count()


def comment_priority(*, comment_id: int) -> float | None:
    """The stored queue priority of one comment (None when unscored or gone)."""
    value = Comment.objects.filter(pk=comment_id).values_list("review_priority", flat=True).first()
    return float(value) if value is not None else None


def review_queue_neighbours(
    queue: QuerySet[Comment], *, comment_id: int, priority: float, user_id: int, now: datetime
) -> tuple[int | None, int | None]:
    """The ids (previous, next) around a comment in a queue ordered by (-review_priority, -pk),
    skipping comments another moderator has claimed."""
    free = queue.filter(
        Q(review_claim__isnull=True)
        | Q(review_claim__expires_at__lte=now)
        | Q(review_claim__moderator_id=user_id)
    ).exclude(pk=comment_id)
    after = Q(review_priority__lt=priority) | Q(review_priority=priority, pk__lt=comment_id)
    before = Q(review_priority__gt=priority) | Q(review_priority=priority, pk__gt=comment_id)
    following = free.filter(after).order_by("-review_priority", "-pk")
    previous = free.filter(before).order_by("review_priority", "pk")
    return (
        previous.values_list("pk", flat=True).first(),
        following.values_list("pk", flat=True).first(),
    )


def comment_reviews(*, comment_id: int) -> QuerySet[Review]:
    """A comment's audit records, newest first."""
    return Review.objects.filter(comment_id=comment_id).order_by("-created_at", "-id")


#: Metadata keys platforms use to say what a comment answers, and which thread it is in.
PARENT_KEYS = ("parent_id", "parent", "in_reply_to", "reply_to")
THREAD_KEYS = ("thread_id", "thread", "conversation_id", "post_id")
#: Comments of the same thread shown around one under review.
THREAD_LIMIT = 10


@dataclass(frozen=True)
class CommentThread:
    """What a platform told us of a comment's context: the comment it answers and others of
    its thread (comments we have; the rest are only named)."""

    parent_ref: str = ""
    parent: Comment | None = None
    thread_ref: str = ""
    others: list[Comment] = field(default_factory=list)


def _metadata_ref(metadata: object, keys: tuple[str, ...]) -> tuple[str, str]:
    if not isinstance(metadata, dict):
        return "", ""
    for key in keys:
        value = metadata.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return key, str(value)
    return "", ""


def comment_thread(comment: Comment) -> CommentThread:
    """The comment's parent (by external id on the same platform) and up to THREAD_LIMIT other
    comments of its thread, oldest first, from the `parent`/`thread` fields of its metadata."""
    _, parent_ref = _metadata_ref(comment.metadata, PARENT_KEYS)
    thread_key, thread_ref = _metadata_ref(comment.metadata, THREAD_KEYS)
    same_platform = Comment.objects.filter(platform_id=comment.platform_id).exclude(pk=comment.pk)
    parent = same_platform.filter(external_id=parent_ref).first() if parent_ref else None
    others: list[Comment] = []
    if thread_ref:
        others = list(
            same_platform.filter(**{f"metadata__{thread_key}": comment.metadata[thread_key]})
            .order_by("created_at", "pk")
            .only("pk", "external_id", "text", "author_id", "status", "decision", "created_at")[
                :THREAD_LIMIT
            ]
        )
    return CommentThread(parent_ref=parent_ref, parent=parent, thread_ref=thread_ref, others=others)
