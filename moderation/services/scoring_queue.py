"""Handing comments to the scoring queue, and the sweeper that makes that loss-proof.

The row is the source of truth: a comment is enqueued after its transaction commits, and if
the broker is down then (or a worker dies holding it) the sweeper enqueues it again later.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from moderation import enqueue
from moderation.models import Comment, CommentStatus

logger = logging.getLogger(__name__)


def _chunks(ids: Sequence[int], size: int) -> list[list[int]]:
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def comments_publish(comment_ids: Sequence[int], batch_size: int | None = None) -> bool:
    """Send scoring tasks for these ids now, in batches of `batch_size` (default
    SCORING_BATCH_SIZE); False if the broker refused.

    Never raises: a failure only delays scoring until the sweeper's next pass.
    """
    try:
        for chunk in _chunks(comment_ids, batch_size or settings.SCORING_BATCH_SIZE):
            enqueue.task_send(enqueue.COMMENTS_SCORE, args=(chunk,))
    except Exception:
        logger.warning(
            "Could not enqueue %d comment(s); the sweeper will retry them.",
            len(comment_ids),
            exc_info=True,
            extra={"comment_ids": list(comment_ids)},
        )
        return False
    return True


def comments_enqueue_on_commit(comment_ids: Sequence[int], batch_size: int | None = None) -> None:
    """Enqueue scoring once the current transaction commits (never if it rolls back)."""
    if comment_ids:
        transaction.on_commit(partial(comments_publish, list(comment_ids), batch_size), robust=True)


def comments_sweep_pending(*, older_than: timedelta | None = None, limit: int = 10_000) -> int:
    """Re-enqueue comments still pending `older_than` after they were last enqueued.

    Returns how many were re-enqueued. Safe to run concurrently with scoring: scoring is
    idempotent, so a comment enqueued twice is scored once. Rows a batch holds locked (one
    being scored, or hanging until its time limit) are skipped, never waited for: they are
    in a worker's hands already.
    """
    if older_than is None:
        older_than = timedelta(seconds=settings.SCORING_PENDING_TIMEOUT_SECONDS)
    now = timezone.now()
    with transaction.atomic():
        stale = (
            Comment.objects.select_for_update(skip_locked=True)
            .filter(status=CommentStatus.PENDING, erased_at__isnull=True)
            .filter(Q(enqueued_at__lt=now - older_than) | Q(enqueued_at__isnull=True))
            .order_by("enqueued_at", "pk")
        )
        ids = list(stale.values_list("pk", flat=True)[:limit])
        if not ids:
            return 0
        Comment.objects.filter(pk__in=ids).update(
            enqueued_at=now, enqueue_count=F("enqueue_count") + 1
        )
        comments_enqueue_on_commit(ids)
    logger.info("Re-enqueued %d comment(s) left pending.", len(ids), extra={"comment_ids": ids})
    return len(ids)
