"""Scoring: one model call for a batch of pending comments, written back idempotently."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from classifier.labels import LABELS
from moderation import model_loader
from moderation.errors import NoActiveModel
from moderation.models import Comment, CommentScore, CommentStatus, ModelVersion, Platform
from moderation.services.webhooks import comment_outcome_events, webhook_events_emit

logger = logging.getLogger(__name__)

_WRITE_BACK_FIELDS = [
    *(f"score_{label}" for label in LABELS),
    "max_score",
    "flagged_labels",
    "status",
    "model_version",
    "scored_at",
]


def _write_back(comments: Sequence[Comment]) -> None:
    """Write the scoring fields of these comments with one prepared UPDATE run per row.

    `bulk_update` builds a CASE/WHEN expression per field and row in Python, which cost ten
    times more than the model call for a batch of 64 (bench/pipeline_throughput.py).
    """
    meta = Comment._meta
    fields = [cast("Field[Any, Any]", meta.get_field(name)) for name in _WRITE_BACK_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in fields)
    table, key = quote(meta.db_table), quote(str(meta.pk.column))
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608 (names from _meta)
    rows = [
        [field.get_db_prep_save(getattr(comment, field.attname), connection) for field in fields]
        + [comment.pk]
        for comment in comments
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@dataclass(frozen=True)
class PolicyOutcome:
    status: CommentStatus
    flagged_labels: list[str]


def policy_apply(*, platform: Platform, scores: Mapping[str, float]) -> PolicyOutcome:
    """What the platform's thresholds make of these scores.

    Labels at or above their flag threshold are the flagged labels; any label at or above the
    auto-remove threshold removes the comment; otherwise a flagged label flags it for review.
    """
    default = settings.MODERATION_DEFAULT_FLAG_THRESHOLD
    flagged = [
        label
        for label in LABELS
        if scores[label] >= float(platform.flag_thresholds.get(label, default))
    ]
    if max(scores[label] for label in LABELS) >= platform.auto_remove_threshold:
        return PolicyOutcome(CommentStatus.AUTO_REMOVED, flagged)
    if flagged:
        return PolicyOutcome(CommentStatus.FLAGGED, flagged)
    return PolicyOutcome(CommentStatus.ALLOWED, flagged)


@dataclass(frozen=True)
class ScoreBatchResult:
    model_version: str
    scored: int
    flagged: int
    auto_removed: int


def comment_batch_score(
    *, comment_ids: Sequence[int], batch_size: int | None = None
) -> ScoreBatchResult:
    """Score the given comments that are still pending, topped up with other pending ones.

    Rows are locked (SKIP LOCKED) for the batch, so concurrent workers never score the same
    comment twice, and a comment that is no longer pending is left alone: running this twice
    changes nothing the second time. Raises NoActiveModel if no version is active.
    """
    size = batch_size or settings.SCORING_BATCH_SIZE
    model_version = ModelVersion.objects.filter(is_active=True).first()
    if model_version is None:
        raise NoActiveModel("No model version is active; run migrate or model_activate.")
    model = model_loader.model_for(model_version)

    with transaction.atomic():
        pending = Comment.objects.select_for_update(skip_locked=True, of=("self",)).select_related(
            "platform"
        )
        comments = list(
            pending.filter(pk__in=list(comment_ids), status=CommentStatus.PENDING).order_by("pk")[
                :size
            ]
        )
        if len(comments) < size:
            # Fill the model call with others that wait; their own tasks then find nothing.
            comments += list(
                pending.filter(status=CommentStatus.PENDING)
                .exclude(pk__in=[comment.pk for comment in comments] + list(comment_ids))
                .order_by("enqueued_at", "pk")[: size - len(comments)]
            )
        if not comments:
            return ScoreBatchResult(model_version.version, 0, 0, 0)

        probabilities = model.predict_proba([comment.text for comment in comments])
        now = timezone.now()
        history = []
        for comment, row in zip(comments, probabilities, strict=True):
            scores = {
                label: round(float(value), 6) for label, value in zip(LABELS, row, strict=True)
            }
            outcome = policy_apply(platform=comment.platform, scores=scores)
            comment.set_scores(scores)
            comment.max_score = max(scores.values())
            comment.flagged_labels = outcome.flagged_labels
            comment.status = outcome.status
            comment.model_version = model_version
            comment.scored_at = now
            history.append(
                CommentScore(comment=comment, model_version=model_version, scores=scores)
            )
        _write_back(comments)
        CommentScore.objects.bulk_create(history, ignore_conflicts=True)
        # The outbox: deliveries commit with the outcome they report, or not at all.
        webhook_events_emit(comment_outcome_events(comments))

    flagged = sum(1 for comment in comments if comment.status == CommentStatus.FLAGGED)
    removed = sum(1 for comment in comments if comment.status == CommentStatus.AUTO_REMOVED)
    logger.info(
        "Scored %d comment(s) with %s: %d flagged, %d auto-removed.",
        len(comments),
        model_version.version,
        flagged,
        removed,
    )
    return ScoreBatchResult(model_version.version, len(comments), flagged, removed)
