"""Synchronous scoring: a request's texts scored by a worker while the request waits.

The web process never loads a model (docs/architecture.md): it sends the texts to a worker on
the `analyze` queue with a fresh reply address, waits there at most ANALYZE_TIMEOUT_SECONDS,
and applies the platform's thresholds to the answer. Nothing is stored unless the caller asks.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from classifier.labels import LABELS
from moderation import enqueue, model_loader
from moderation.errors import ModerationError, NoActiveModel
from moderation.models import Comment, Platform
from moderation.replies import reply_address_new, reply_send, reply_wait
from moderation.services.comments import CommentInput, comment_batch_create, comment_create
from moderation.services.scoring import PolicyOutcome, policy_apply, salient_spans

logger = logging.getLogger(__name__)


class ScoringUnavailable(ModerationError):
    """No worker answered in time, no model is active, or the broker cannot be reached:
    nothing was stored, and the same request can be sent again after `retry_after_seconds`."""

    code = "scoring_unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.retry_after_seconds = int(settings.ANALYZE_RETRY_AFTER_SECONDS)


class ScoringFailed(ModerationError):
    """The model raised on these texts; sending them again gives the same answer."""

    code = "scoring_failed"


@dataclass(frozen=True)
class TextAnalysis:
    #: One probability in [0, 1] per label, LABELS order.
    scores: dict[str, float]
    outcome: PolicyOutcome
    #: {label: [{"start", "end", "text", "weight"}]} for each flagged label, when asked for.
    spans: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisResult:
    model_version: str
    texts: list[TextAnalysis]
    #: The comments created or found when the caller asked to store them, in order.
    comments: list[Comment] = field(default_factory=list)


def texts_analyze(
    *,
    platform: Platform,
    texts: Sequence[str],
    spans: bool = False,
    store: Sequence[CommentInput] | None = None,
    timeout_seconds: float | None = None,
) -> AnalysisResult:
    """Score `texts` (already validated: 1 to ANALYZE_MAX_TEXTS texts within the text limits)
    on a worker and apply `platform`'s thresholds.

    With `store`, one CommentInput per text (the same texts), the comments are then created
    as `POST /api/v1/comments` does (pending, scored again by the asynchronous path) and
    returned; ExternalIdConflict or BatchRejected as there. Raises ScoringUnavailable after
    `timeout_seconds` (default ANALYZE_TIMEOUT_SECONDS) without an answer, ScoringFailed if
    the model raised.
    """
    from kombu.exceptions import OperationalError
    from redis import RedisError

    timeout = settings.ANALYZE_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
    address = reply_address_new()
    explain_thresholds = (
        {
            label: float(
                platform.flag_thresholds.get(label, settings.MODERATION_DEFAULT_FLAG_THRESHOLD)
            )
            for label in LABELS
        }
        if spans
        else None
    )
    try:
        enqueue.task_send(
            enqueue.TEXTS_ANALYZE,
            args=(list(texts), address, explain_thresholds),
            queue=settings.ANALYZE_QUEUE,
            # A worker that picks it up after the request gave up drops it.
            expires=timeout + 1,
        )
        answer = reply_wait(address=address, timeout_seconds=timeout)
    except (OperationalError, RedisError) as exc:
        logger.warning("Synchronous scoring unavailable: %s", exc)
        raise ScoringUnavailable(
            "The task broker cannot be reached; nothing was stored. Retry later."
        ) from exc
    if answer is None:
        raise ScoringUnavailable(
            f"No scoring worker answered within {timeout:g} s; nothing was stored. Retry later."
        )
    if answer.get("error") == "scoring_failed":
        raise ScoringFailed(str(answer.get("message", "The model could not score the texts.")))
    if "error" in answer:
        raise ScoringUnavailable(str(answer.get("message", answer["error"])))
    analyses = []
    for row, text_spans in zip(answer["scores"], answer["spans"], strict=True):
        scores = dict(zip(LABELS, (float(value) for value in row), strict=True))
        outcome = policy_apply(platform=platform, scores=scores)
        kept = {label: text_spans[label] for label in outcome.flagged_labels if label in text_spans}
        analyses.append(TextAnalysis(scores=scores, outcome=outcome, spans=kept))
    comments: list[Comment] = []
    if store:
        if len(store) == 1:
            comments = [comment_create(platform=platform, item=store[0]).comment]
        else:
            results = comment_batch_create(platform=platform, items=list(store))
            comments = [result.comment for result in results]
    return AnalysisResult(
        model_version=str(answer["model_version"]), texts=analyses, comments=comments
    )


def texts_score_for_reply(
    *, texts: Sequence[str], reply_to: str, explain_thresholds: Mapping[str, float] | None
) -> None:
    """The worker's half: score `texts` with the active model and put the answer at
    `reply_to`: {"model_version", "scores": [[6 floats]], "spans": [{label: [span]}]}, or
    {"error": "no_active_model" | "scoring_failed", "message"}. Stores nothing."""
    from celery.exceptions import SoftTimeLimitExceeded

    try:
        model_version, model = model_loader.active_model()
    except NoActiveModel as exc:
        reply_send(address=reply_to, answer={"error": exc.code, "message": exc.message})
        return
    try:
        rows = [[round(float(value), 6) for value in row] for row in model.predict_proba(texts)]
        found: list[dict[str, list[dict[str, Any]]]] = [{} for _ in texts]
        if explain_thresholds is not None and model.can_explain:
            wanted = {
                index: [
                    label
                    for label, value in zip(LABELS, row, strict=True)
                    if value >= float(explain_thresholds.get(label, 1.0))
                ]
                for index, row in enumerate(rows)
            }
            wanted = {index: labels for index, labels in wanted.items() if labels}
            if wanted:
                explained = model.explain_many(
                    [texts[index] for index in wanted], labels_per_text=list(wanted.values())
                )
                for index, spans in zip(wanted, explained, strict=True):
                    found[index] = {
                        label: [_plain_span(span) for span in salient_spans(spans[label])]
                        for label in wanted[index]
                    }
    except SoftTimeLimitExceeded:
        reply_send(
            address=reply_to,
            answer={"error": "timeout", "message": "Scoring ran past its time budget."},
        )
        raise
    except Exception as exc:
        logger.exception("Synchronous scoring of %d text(s) failed.", len(texts))
        reply_send(
            address=reply_to,
            answer={"error": "scoring_failed", "message": f"The model could not score: {exc}"},
        )
        return
    reply_send(
        address=reply_to,
        answer={"model_version": model_version.version, "scores": rows, "spans": found},
    )


def _plain_span(span: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "start": int(span["start"]),
        "end": int(span["end"]),
        "text": str(span["text"]),
        "weight": round(float(span["weight"]), 6),
    }
