"""Scoring: one model call for a batch of pending comments, written back idempotently."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from classifier.labels import LABELS
from moderation import model_loader
from moderation.models import (
    Comment,
    CommentScore,
    CommentStatus,
    Decision,
    ModelVersion,
    Platform,
)
from moderation.review_priority import review_priority_stored
from moderation.services.score_cache import (
    CachedScore,
    score_cache_get_many,
    score_cache_set_many,
    text_digest,
)
from moderation.services.scoring_failures import (
    comments_over_budget,
    comments_score_isolating_failures,
)
from moderation.services.scoring_queue import comments_enqueue_on_commit
from moderation.services.webhooks import (
    comment_outcome_events,
    comment_scored_events,
    webhook_events_emit,
)

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
    "review_priority",
]


def _write_back(comments: Sequence[Comment], model_version: ModelVersion, now: datetime) -> None:
    """Write the scoring fields of these comments and one score-history row per comment,
    version and text revision (kept if it exists: a second run writes no duplicate)."""
    if connection.vendor == "postgresql":
        _write_back_postgresql(comments, model_version, now)
    else:
        _write_back_rows(comments, model_version)


def _write_back_rows(comments: Sequence[Comment], model_version: ModelVersion) -> None:
    """Any database: one prepared UPDATE run per row (`executemany`), then the history rows.

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
    CommentScore.objects.bulk_create(
        [
            CommentScore(
                comment=comment,
                model_version=model_version,
                scores=comment.scores,
                text_revision=comment.text_revision,
            )
            for comment in comments
        ],
        ignore_conflicts=True,
    )


def _write_back_postgresql(
    comments: Sequence[Comment], model_version: ModelVersion, now: datetime
) -> None:
    """PostgreSQL: the whole batch in one statement and one round trip.

    The rows travel as one JSON document (encoded in C; array parameters were dumped element
    by element in Python), `jsonb_to_recordset` turns it back into a table, one CTE updates
    the comments and the same statement inserts the history (docs/performance.md).
    """
    column = {
        name: str(cast("Field[Any, Any]", Comment._meta.get_field(name)).column)
        for name in _WRITE_BACK_FIELDS
    }
    quote = connection.ops.quote_name
    score_columns = [f"score_{label}" for label in LABELS]
    sql = f"""
        WITH v AS (
            SELECT * FROM jsonb_to_recordset(%s::jsonb) AS v(
                id bigint, {", ".join(f"{name} float8" for name in score_columns)},
                max_score float8, status text, flagged jsonb, explained jsonb, scores jsonb,
                revision integer, review_priority float8
            )
        ), scored AS (
            UPDATE {quote(Comment._meta.db_table)} AS c SET
                {", ".join(f"{quote(column[name])} = v.{name}" for name in score_columns)},
                {quote(column["max_score"])} = v.max_score,
                {quote(column["status"])} = v.status,
                {quote(column["flagged_labels"])} = v.flagged,
                {quote(column["explanation"])} = v.explained,
                {quote(column["review_priority"])} = v.review_priority,
                {quote(column["model_version"])} = %s,
                {quote(column["scored_at"])} = %s
            FROM v WHERE c.{quote(str(Comment._meta.pk.column))} = v.id
        )
        INSERT INTO {quote(CommentScore._meta.db_table)}
            ({quote("comment_id")}, {quote("model_version_id")}, {quote("scores")},
             {quote("text_revision")}, {quote("created_at")})
        SELECT v.id, %s, v.scores, v.revision, %s FROM v
        ON CONFLICT ({quote("comment_id")}, {quote("model_version_id")},
                     {quote("text_revision")}) DO NOTHING
    """  # noqa: S608 (every name comes from the models' _meta)
    rows = [
        {
            "id": comment.pk,
            **{name: getattr(comment, name) for name in score_columns},
            "max_score": comment.max_score,
            "status": str(comment.status),
            "flagged": comment.flagged_labels,
            "explained": comment.explanation,
            "scores": comment.scores,
            "revision": comment.text_revision,
            "review_priority": comment.review_priority,
        }
        for comment in comments
    ]
    params: list[Any] = [json.dumps(rows), model_version.pk, now, model_version.pk, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@dataclass(frozen=True)
class PolicyOutcome:
    status: CommentStatus
    flagged_labels: list[str]


def policy_apply(*, platform: Platform, scores: Mapping[str, float]) -> PolicyOutcome:
    """What the platform's thresholds make of these scores.

    Labels at or above their flag threshold are the flagged labels; a label at or above its own
    auto-remove threshold (labels without one never remove) removes the comment; otherwise a
    flagged label flags it for review.
    """
    default = settings.MODERATION_DEFAULT_FLAG_THRESHOLD
    flagged = [
        label
        for label in LABELS
        if scores[label] >= float(platform.flag_thresholds.get(label, default))
    ]
    removal = platform.auto_remove_thresholds
    if any(label in removal and scores[label] >= float(removal[label]) for label in LABELS):
        return PolicyOutcome(CommentStatus.AUTO_REMOVED, flagged)
    if flagged:
        return PolicyOutcome(CommentStatus.FLAGGED, flagged)
    return PolicyOutcome(CommentStatus.ALLOWED, flagged)


def salient_spans(spans: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The spans that matter: at least EXPLANATION_MIN_SHARE of the strongest one's weight.

    Linear contributions give every word some weight; highlighting "a" and "it" beside
    "idiot" would only distract a moderator.
    """
    if not spans:
        return []
    strongest = max(float(span["weight"]) for span in spans)
    floor = strongest * settings.EXPLANATION_MIN_SHARE
    return [dict(span) for span in spans if float(span["weight"]) >= floor]


def _explain(
    model: LoadedModel,
    texts: Mapping[str, str],
    wanted: Mapping[str, set[str]],
    results: Mapping[str, CachedScore],
) -> None:
    """Add the spans of each `wanted[digest]` label to `results[digest]`, in one model call.

    An explanation is a help for moderators, never a reason to fail scoring: a backend that
    cannot explain, or an error while explaining, leaves them empty and is logged.
    """
    digests = list(wanted)
    if not model.can_explain:
        return  # this backend has no explanations
    try:
        found = model.explain_many(
            [texts[digest] for digest in digests],
            labels_per_text=[sorted(wanted[digest]) for digest in digests],
        )
    except SoftTimeLimitExceeded:
        raise  # out of time: the batch is set aside, not written without its explanations
    except Exception:
        logger.exception("Explaining %d text(s) failed; scores are kept.", len(digests))
        return
    for digest, spans in zip(digests, found, strict=True):
        results[digest].explanation.update({label: spans[label] for label in wanted[digest]})


def _apply_model(
    comments: Sequence[Comment], model_version: ModelVersion, model: LoadedModel
) -> None:
    """Score the comments, apply each platform's policy, explain the flagged labels, and write
    it all back with one history row per comment and version.

    Each distinct text goes to the model once: repeats within the batch share a result, and
    texts this version scored before come from the score cache (services/score_cache.py).
    """
    digests = [text_digest(comment.text) for comment in comments]
    texts = dict(zip(digests, (comment.text for comment in comments), strict=True))
    results = score_cache_get_many(model_version=model_version.version, digests=list(texts))
    unscored = [digest for digest in texts if digest not in results]
    if unscored:
        probabilities = model.predict_proba([texts[digest] for digest in unscored])
        for digest, row in zip(unscored, probabilities, strict=True):
            results[digest] = CachedScore([round(float(value), 6) for value in row])
    changed = set(unscored)

    for comment, digest in zip(comments, digests, strict=True):
        scores = dict(zip(LABELS, results[digest].probabilities, strict=True))
        outcome = policy_apply(platform=comment.platform, scores=scores)
        if comment.report_count and outcome.status == CommentStatus.ALLOWED:
            # A user reported it: a moderator looks, whatever the model says.
            outcome = PolicyOutcome(CommentStatus.FLAGGED, outcome.flagged_labels)
        comment.set_scores(scores)
        comment.max_score = max(scores.values())
        comment.flagged_labels = outcome.flagged_labels
        comment.status = outcome.status
        comment.model_version = model_version
        comment.review_priority = review_priority_stored(
            scores=scores,
            created_at=comment.created_at,
            report_count=comment.report_count,
            escalated=comment.decision == Decision.ESCALATED,
        )

    if settings.SCORING_EXPLAIN:
        wanted: dict[str, set[str]] = {}
        for comment, digest in zip(comments, digests, strict=True):
            missing = set(comment.flagged_labels) - set(results[digest].explanation)
            if missing:
                wanted.setdefault(digest, set()).update(missing)
        if wanted:
            _explain(model, texts, wanted, results)
            changed.update(wanted)
    for comment, digest in zip(comments, digests, strict=True):
        explained = results[digest].explanation if settings.SCORING_EXPLAIN else {}
        salient = {
            label: salient_spans(explained.get(label, [])) for label in comment.flagged_labels
        }
        comment.explanation = {label: spans for label, spans in salient.items() if spans}
    # Scored when its result is written, explanations included: the moment it can be seen.
    now = timezone.now()
    for comment in comments:
        comment.scored_at = now
    _write_back(comments, model_version, now)
    score_cache_set_many(
        model_version=model_version.version, entries={d: results[d] for d in changed}
    )


def _attach_platforms(comments: Sequence[Comment]) -> None:
    """One Platform object per platform of the batch, not one per comment (`select_related`
    built and decoded the same platform's thresholds for every row)."""
    ids = {comment.platform_id for comment in comments}
    platforms = {platform.pk: platform for platform in Platform.objects.filter(pk__in=ids)}
    for comment in comments:
        comment.platform = platforms[comment.platform_id]


def _commit_without_waiting_for_disk() -> None:
    """Let this transaction's commit return before its WAL reaches the disk (PostgreSQL).

    Only for a batch that sends nothing out: its scores can always be computed again. If the
    database server crashes in the fraction of a second before the WAL is flushed, the batch
    is lost as a whole and its comments are pending again (their intake commit was durable),
    so the sweeper scores them again: no comment is lost, no score row duplicated, no webhook
    sent twice. A batch that wrote webhook deliveries keeps the durable commit, because a
    delivery may be sent as soon as it commits. The flush wait was about 6 ms per batch, the
    largest cost after the model (docs/performance.md). SCORING_ASYNC_COMMIT=false turns it off.
    """
    if settings.SCORING_ASYNC_COMMIT and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


@dataclass(frozen=True)
class ScoreBatchResult:
    model_version: str
    scored: int
    flagged: int
    auto_removed: int
    #: The primary keys of the comments scored, and the seconds each waited from its creation
    #: until it was scored (same order).
    comment_ids: tuple[int, ...] = ()
    waited_seconds: tuple[float, ...] = ()


def comment_batch_score(
    *, comment_ids: Sequence[int], batch_size: int | None = None
) -> ScoreBatchResult:
    """Score the given comments that are still pending, topped up with other pending ones.

    Rows are locked (SKIP LOCKED) for the batch, so concurrent workers never score the same
    comment twice, and a comment that is no longer pending is left alone: running this twice
    changes nothing the second time. A suspect (a comment with a failed attempt: the model
    raised on it, or a batch holding it ran out of time) is scored alone; the suspects among
    `comment_ids` not scored now are sent on in tasks of their own. When the task's soft time
    limit interrupts the batch, nothing of it is written and `comments_over_budget` sets its
    comments aside. Raises NoActiveModel if no version is active.
    """
    size = batch_size or settings.SCORING_BATCH_SIZE
    model_version, model = model_loader.active_model()
    comments: list[Comment] = []
    try:
        with transaction.atomic():
            comments = _batch_lock(comment_ids, size)
            if not comments:
                return ScoreBatchResult(model_version.version, 0, 0, 0)
            _attach_platforms(comments)

            # A comment the model raises on is set aside (failed after SCORING_MAX_ATTEMPTS),
            # so one poison text never holds up the rest of its batch.
            comments = comments_score_isolating_failures(
                comments=comments,
                score=lambda batch: _apply_model(batch, model_version, model),
                model_check=lambda: model.predict_proba([""]),
            )
            # The outbox: deliveries commit with the outcome they report, or not at all.
            events = comment_outcome_events(comments) + comment_scored_events(comments)
            if not webhook_events_emit(events):
                _commit_without_waiting_for_disk()
    except SoftTimeLimitExceeded:
        comments_over_budget(
            comment_ids=[comment.pk for comment in comments],
            seconds=settings.SCORING_SOFT_TIME_LIMIT_SECONDS,
        )
        return ScoreBatchResult(model_version.version, 0, 0, 0)

    flagged = sum(1 for comment in comments if comment.status == CommentStatus.FLAGGED)
    removed = sum(1 for comment in comments if comment.status == CommentStatus.AUTO_REMOVED)
    scored_ids = tuple(comment.pk for comment in comments)
    logger.info(
        "Scored %d comment(s) with %s: %d flagged, %d auto-removed.",
        len(comments),
        model_version.version,
        flagged,
        removed,
        extra={"comment_ids": list(scored_ids), "model_version": model_version.version},
    )
    waited = tuple(
        (comment.scored_at - comment.created_at).total_seconds()
        for comment in comments
        if comment.scored_at is not None
    )
    return ScoreBatchResult(
        model_version.version, len(comments), flagged, removed, scored_ids, waited
    )


def _batch_lock(comment_ids: Sequence[int], size: int) -> list[Comment]:
    """Lock (SKIP LOCKED) the pending comments to score in one model call, inside the
    caller's transaction: the requested ones without a failed attempt, topped up with others
    that wait; or, when only suspects were requested, the first of them alone. The other
    suspects requested are enqueued alone after commit."""
    pending = Comment.objects.select_for_update(skip_locked=True).filter(
        status=CommentStatus.PENDING, erased_at__isnull=True
    )
    requested = list(pending.filter(pk__in=list(comment_ids)).order_by("pk")[:size])
    comments = [comment for comment in requested if comment.scoring_attempts == 0]
    suspects = [comment for comment in requested if comment.scoring_attempts > 0]
    if not comments and suspects:
        comments, suspects = suspects[:1], suspects[1:]
    elif len(comments) < size:
        # Fill the model call with others that wait; their own tasks then find nothing.
        comments += list(
            pending.filter(scoring_attempts=0)
            .exclude(pk__in=[comment.pk for comment in requested] + list(comment_ids))
            .order_by("enqueued_at", "pk")[: size - len(comments)]
        )
    comments_enqueue_on_commit([comment.pk for comment in suspects], batch_size=1)
    return comments


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
    model_version, model = model_loader.active_model()
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
        extra={"model_version": model_version.version},
    )
    return RescoreResult(model_version.version, rescored, allowed, removed)
