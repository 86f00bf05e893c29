"""Poison comments: a text the model raises on must not hold up the rest of its batch.

When one model call for a batch raises, the batch is split in halves and each half is scored
on its own (inside a savepoint, so a failed call leaves nothing behind), down to the single
comments that still raise. Each of those gets a scoring attempt counted and its error kept;
at `SCORING_MAX_ATTEMPTS` it becomes `failed` and leaves the pending set, so the sweeper stops
re-enqueueing it. `comments_retry_failed` puts failed comments back in the queue (the admin's
action, after a model fix).

A hang is not an exception: the scoring task has a soft time limit
(`SCORING_SOFT_TIME_LIMIT_SECONDS`), and when a batch runs past it, `comments_over_budget`
counts an attempt on every comment of the batch (which one hung is unknown) and sends each
on in a task of its own. A comment with an attempt counted is a suspect: it is only ever
scored alone (never topped up into a batch), so the one that hangs runs out its attempts
alone and becomes `failed`, while the others are scored at their next try.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from moderation.models import Comment, CommentStatus
from moderation.services.scoring_queue import comments_enqueue_on_commit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Culprit:
    comment: Comment
    error: Exception


def _score_or_split(
    batch: list[Comment],
    score: Callable[[Sequence[Comment]], None],
    scored: list[Comment],
    culprits: list[_Culprit],
) -> None:
    try:
        with transaction.atomic():  # a savepoint: a call that raises writes nothing
            score(batch)
    except (DatabaseError, SoftTimeLimitExceeded):
        # The database, not the comment: the whole batch is retried later. Out of time: no
        # time is left to split the batch (comments_over_budget sets it aside).
        raise
    except Exception as exc:
        if len(batch) == 1:
            culprits.append(_Culprit(batch[0], exc))
            return
        middle = len(batch) // 2
        _score_or_split(batch[:middle], score, scored, culprits)
        _score_or_split(batch[middle:], score, scored, culprits)
        return
    scored.extend(batch)


def _error_text(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"
    limit = settings.SCORING_ERROR_MAX_CHARS
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _attempt_record(culprit: _Culprit) -> None:
    """Count a failed attempt on a comment the caller holds locked; fail it at the limit."""
    comment = culprit.comment
    comment.scoring_attempts += 1
    comment.scoring_error = _error_text(culprit.error)
    comment.status = (
        CommentStatus.FAILED
        if comment.scoring_attempts >= settings.SCORING_MAX_ATTEMPTS
        else CommentStatus.PENDING
    )
    # A fresh enqueued_at puts the next attempt a sweeper timeout away (a suspect is never
    # topped up into another batch), unless the caller enqueues it sooner.
    comment.enqueued_at = timezone.now()
    Comment.objects.filter(pk=comment.pk).update(
        scoring_attempts=comment.scoring_attempts,
        scoring_error=comment.scoring_error,
        status=comment.status,
        enqueued_at=comment.enqueued_at,
    )
    log = logger.error if comment.status == CommentStatus.FAILED else logger.warning
    log(
        "Scoring comment %s raised (attempt %d of %d)%s: %s",
        comment.pk,
        comment.scoring_attempts,
        settings.SCORING_MAX_ATTEMPTS,
        "; marked failed" if comment.status == CommentStatus.FAILED else "",
        comment.scoring_error,
    )


def _model_works(model_check: Callable[[], object]) -> bool:
    try:
        model_check()
    except Exception:
        return False
    return True


def comments_score_isolating_failures(
    *,
    comments: Sequence[Comment],
    score: Callable[[Sequence[Comment]], None],
    model_check: Callable[[], object],
) -> list[Comment]:
    """Run `score` (one model call and its write-back) on the comments, setting aside any
    comment it raises on; return the comments that were scored.

    Call it inside the transaction that holds the comments' row locks. A comment `score`
    raises on by itself gets an attempt counted and its error kept, and becomes `failed` at
    `SCORING_MAX_ATTEMPTS`. Database errors are not a comment's fault and propagate.
    `model_check()` is a model call on a harmless text, made only when no comment could be
    scored: if it raises too, the model is broken rather than the texts, so the first error
    propagates and no attempt is counted (nothing is failed for a broken model).
    """
    batch = list(comments)
    scored: list[Comment] = []
    culprits: list[_Culprit] = []
    _score_or_split(batch, score, scored, culprits)
    if culprits and not scored and not _model_works(model_check):
        raise culprits[0].error
    for culprit in culprits:
        _attempt_record(culprit)
    return scored


class ScoringBudgetExceeded(Exception):
    """Scoring a batch ran past its time budget (the task's soft time limit)."""


@transaction.atomic
def comments_over_budget(*, comment_ids: Sequence[int], seconds: float) -> int:
    """Count an attempt on these comments, whose batch ran past its time budget; return how
    many were still pending.

    Call it after the batch's transaction rolled back. A comment reaching
    `SCORING_MAX_ATTEMPTS` becomes `failed` with the reason; the others stay pending as
    suspects, scored alone from now on. When the batch held more than one comment, each is
    enqueued at once in a task of its own (the innocent ones are scored within seconds); a
    comment that ran out of time alone waits for the sweeper, as a poison comment does.
    Rows another worker holds are skipped, never waited for.
    """
    comments = list(
        Comment.objects.select_for_update(skip_locked=True)
        .filter(pk__in=list(comment_ids), status=CommentStatus.PENDING)
        .order_by("pk")
    )
    alone = len(comment_ids) == 1
    error = ScoringBudgetExceeded(
        f"scoring took longer than its budget of {seconds:g} s"
        + ("" if alone else f" in a batch of {len(comment_ids)}; each is now scored alone")
    )
    for comment in comments:
        _attempt_record(_Culprit(comment, error))
    if not alone:
        again = [c.pk for c in comments if c.status == CommentStatus.PENDING]
        if again:
            Comment.objects.filter(pk__in=again).update(enqueue_count=F("enqueue_count") + 1)
            comments_enqueue_on_commit(again, batch_size=1)
    return len(comments)


@transaction.atomic
def comments_retry_failed(*, comment_ids: Sequence[int]) -> int:
    """Put these comments back in the scoring queue if they are `failed`; return how many.

    Their attempt count and error are cleared, and they are enqueued after commit. Comments
    in any other status are left alone.
    """
    ids = list(
        Comment.objects.select_for_update()
        .filter(pk__in=list(comment_ids), status=CommentStatus.FAILED)
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    Comment.objects.filter(pk__in=ids).update(
        status=CommentStatus.PENDING,
        scoring_attempts=0,
        scoring_error="",
        enqueued_at=timezone.now(),
        enqueue_count=F("enqueue_count") + 1,
    )
    comments_enqueue_on_commit(ids)
    logger.info("Re-queued %d failed comment(s) for scoring.", len(ids))
    return len(ids)
