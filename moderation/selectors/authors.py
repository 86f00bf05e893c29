"""Reading an author's record on a platform: their comments, the decisions on them, the flag
rate, and the actions moderators took against them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from moderation.models import AuthorAction, Comment, CommentStatus, Review

#: Comments and decisions an author page lists (newest first).
AUTHOR_PAGE_ROWS = 50


@dataclass(frozen=True)
class AuthorRecord:
    comments: int
    scored: int
    flagged: int
    decisions: dict[str, int]

    @property
    def flag_rate(self) -> float | None:
        """Flagged or auto-removed over scored; None before any comment was scored."""
        return self.flagged / self.scored if self.scored else None


def author_record(*, platform_id: int, author_id: str) -> AuthorRecord:
    """The author's totals on the platform (one query)."""
    numbers = Comment.objects.filter(platform_id=platform_id, author_id=author_id).aggregate(
        comments=Count("pk"),
        scored=Count("pk", filter=Q(scored_at__isnull=False)),
        flagged=Count(
            "pk", filter=Q(status__in=[CommentStatus.FLAGGED, CommentStatus.AUTO_REMOVED])
        ),
        approved=Count("pk", filter=Q(decision="approved")),
        removed=Count("pk", filter=Q(decision="removed")),
        relabeled=Count("pk", filter=Q(decision="relabeled")),
        escalated=Count("pk", filter=Q(decision="escalated")),
    )
    return AuthorRecord(
        comments=numbers["comments"],
        scored=numbers["scored"],
        flagged=numbers["flagged"],
        decisions={key: numbers[key] for key in ("approved", "removed", "relabeled", "escalated")},
    )


def author_comments(*, platform_id: int, author_id: str) -> QuerySet[Comment]:
    """The author's latest comments on the platform, newest first."""
    return (
        Comment.objects.filter(platform_id=platform_id, author_id=author_id)
        .defer("metadata", "explanation")
        .order_by("-created_at", "-pk")[:AUTHOR_PAGE_ROWS]
    )


def author_reviews(*, platform_id: int, author_id: str) -> QuerySet[Review]:
    """The latest decisions on the author's comments, newest first."""
    return (
        Review.objects.filter(comment__platform_id=platform_id, comment__author_id=author_id)
        .select_related("comment")
        .order_by("-created_at", "-pk")[:AUTHOR_PAGE_ROWS]
    )


def author_actions(*, platform_id: int, author_id: str) -> QuerySet[AuthorAction]:
    """The actions taken against the author, newest first."""
    return AuthorAction.objects.filter(platform_id=platform_id, author_id=author_id).order_by(
        "-created_at", "-pk"
    )
