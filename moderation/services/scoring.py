"""Scoring: one model call for a batch of pending comments, written back idempotently."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from classifier.labels import LABELS
from moderation import model_loader
from moderation.errors import NoActiveModel
from moderation.models import Comment, CommentScore, CommentStatus, ModelVersion, Platform
from moderation.services.scoring_failures import comments_score_isolating_failures
from moderation.services.webhooks import comment_outcome_events, webhook_events_emit

if TYPE_CHECKING:
    from classifier.artifacts import LoadedModel

logger = logging.getLogger(__name__)

_WRITE_BACK_FIELDS = [
    *(f"score_{label}" for label in LABELS),
    "max_score",
    "flagged_labels",
    "status",
    "model_version",
    "scored_at",
    "explanation",
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


def _explanations(model: LoadedModel, comments: Sequence[Comment]) -> list[dict[str, Any]]:
    """Spans behind each flagged label of each comment ({} for comments with none).

    An explanation is a help for moderators, never a reason to fail scoring: a backend that
    cannot explain, or an error while explaining, leaves them empty and is logged.
    """
    empty: list[dict[str, Any]] = [{} for _ in comments]
    wanted = [list(comment.flagged_labels) for comment in comments]
    if not settings.SCORING_EXPLAIN or not any(wanted):
        return empty
    try:
        found = model.explain_many([c.text for c in comments], labels_per_text=wanted)
    except TypeError:
        return empty  # this backend has no explanations
    except Exception:
        logger.exception("Explaining %d comment(s) failed; scores are kept.", len(comments))
        return empty
    kept = [
        {label: _salient(spans) for label, spans in result.items() if label in labels}
        for result, labels in zip(found, wanted, strict=True)
    ]
    return [{label: spans for label, spans in item.items() if spans} for item in kept]


def _salient(spans: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The spans that matter: at least EXPLANATION_MIN_SHARE of the strongest one's weight.

    Linear contributions give every word some weight; highlighting "a" and "it" beside
    "idiot" would only distract a moderator.
    """
    if not spans:
        return []
    strongest = max(float(span["weight"]) for span in spans)
    floor = strongest * settings.EXPLANATION_MIN_SHARE
    return [dict(span) for span in spans if float(span["weight"]) >= floor]


def _apply_model(
    comments: Sequence[Comment], model_version: ModelVersion, model: LoadedModel
) -> None:
    """Score the comments with one model call, apply each platform's policy, explain the
    flagged labels, and write it all back with one history row per comment and version."""
    probabilities = model.predict_proba([comment.text for comment in comments])
    now = timezone.now()
    history = []
    for comment, row in zip(comments, probabilities, strict=True):
        scores = {label: round(float(value), 6) for label, value in zip(LABELS, row, strict=True)}
        outcome = policy_apply(platform=comment.platform, scores=scores)
        comment.set_scores(scores)
        comment.max_score = max(scores.values())
        comment.flagged_labels = outcome.flagged_labels
        comment.status = outcome.status
        comment.model_version = model_version
        comment.scored_at = now
        history.append(CommentScore(comment=comment, model_version=model_version, scores=scores))
    for comment, explanation in zip(comments, _explanations(model, comments), strict=True):
        comment.explanation = explanation
    _write_back(comments)
    CommentScore.objects.bulk_create(history, ignore_conflicts=True)


def _active_model() -> tuple[ModelVersion, LoadedModel]:
    model_version = ModelVersion.objects.filter(is_active=True).first()
    if model_version is None:
        raise NoActiveModel("No model version is active; run migrate or model_activate.")
    return model_version, model_loader.model_for(model_version)


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
    model_version, model = _active_model()

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

        # A comment the model raises on is set aside (failed after SCORING_MAX_ATTEMPTS), so
        # one poison text never holds up the rest of its batch.
        comments = comments_score_isolating_failures(
            comments=comments,
            score=lambda batch: _apply_model(batch, model_version, model),
            model_check=lambda: model.predict_proba([""]),
        )
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


@dataclass(frozen=True)
class RescoreResult:
    model_version: str
    rescored: int
    now_allowed: int
    now_auto_removed: int


def comments_rescore(
    *,
    platform: Platform | None = None,
    limit: int | None = None,
    batch_size: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> RescoreResult:
    """Score flagged, unreviewed comments again with the active model, batch by batch.

    Comments already scored by the active version are skipped, so running it twice does
    nothing the second time. Old scores stay in the score history. A comment that no longer
    crosses a threshold leaves the review queue (`allowed`); one that now crosses the
    auto-remove bar is removed and `comment.auto_removed` is sent. `on_batch(n)` is called
    after each batch of n comments (progress). Raises NoActiveModel.
    """
    size = batch_size or settings.SCORING_BATCH_SIZE
    model_version, model = _active_model()
    candidates = Comment.objects.filter(status=CommentStatus.FLAGGED, decision="").exclude(
        model_version=model_version
    )
    if platform is not None:
        candidates = candidates.filter(platform=platform)
    rescored = allowed = removed = 0
    while limit is None or rescored < limit:
        take = size if limit is None else min(size, limit - rescored)
        with transaction.atomic():
            comments = list(
                candidates.select_for_update(skip_locked=True, of=("self",))
                .select_related("platform")
                .order_by("pk")[:take]
            )
            if not comments:
                break
            _apply_model(comments, model_version, model)
            newly_removed = [c for c in comments if c.status == CommentStatus.AUTO_REMOVED]
            webhook_events_emit(comment_outcome_events(newly_removed))
        rescored += len(comments)
        allowed += sum(1 for c in comments if c.status == CommentStatus.ALLOWED)
        removed += len(newly_removed)
        if on_batch is not None:
            on_batch(len(comments))
    logger.info(
        "Rescored %d flagged comment(s) with %s: %d now allowed, %d now auto-removed.",
        rescored,
        model_version.version,
        allowed,
        removed,
    )
    return RescoreResult(model_version.version, rescored, allowed, removed)
