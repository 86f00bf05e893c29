"""Reads for readiness checks and metrics: cheap, indexed, safe to run on every probe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min

from moderation.models import Comment, CommentStatus, ModelVersion


@dataclass(frozen=True)
class PendingComments:
    count: int
    oldest_created_at: datetime | None


def comments_pending_summary() -> PendingComments:
    """How many comments wait to be scored and when the oldest of them arrived (one query,
    through the (status, enqueued_at) index: its cost grows with the backlog, not the table)."""
    numbers = Comment.objects.filter(status=CommentStatus.PENDING).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    return PendingComments(count=numbers["count"], oldest_created_at=numbers["oldest"])


def model_version_active() -> ModelVersion | None:
    """The active model version, if any (the partial unique constraint allows one)."""
    return ModelVersion.objects.filter(is_active=True).first()
