"""The task behind the admin's "try a text" page: score one text, store nothing.

It runs on a scoring worker because only workers load models (the web process never does). Its
result goes back through the result backend (this task alone keeps one) and the page deletes it
once read.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from classifier.labels import LABELS
from moderation import enqueue, model_loader
from moderation.errors import NoActiveModel


@shared_task(
    name=enqueue.TEXT_SCORE,
    ignore_result=False,
    acks_late=False,
    soft_time_limit=settings.SCORING_SOFT_TIME_LIMIT_SECONDS,
    time_limit=settings.SCORING_TIME_LIMIT_SECONDS,
)
def score_text(text: str) -> dict[str, Any]:
    """{"model_version", "scores": {label: float}, "explanation": {label: [spans]}}, or
    {"error": message} when no model is active or scoring ran past its time budget."""
    try:
        model_version, model = model_loader.active_model()
    except NoActiveModel as exc:
        return {"error": str(exc)}
    try:
        return _scored(model_version.version, model, text)
    except SoftTimeLimitExceeded:
        return {
            "error": "Scoring this text took longer than its budget of "
            f"{settings.SCORING_SOFT_TIME_LIMIT_SECONDS} s."
        }


def _scored(version: str, model: Any, text: str) -> dict[str, Any]:
    row = model.predict_proba([text])[0]
    explain = getattr(model, "explain", None)
    return {
        "model_version": version,
        "scores": {label: round(float(value), 6) for label, value in zip(LABELS, row, strict=True)},
        "explanation": _plain_spans(explain(text)) if callable(explain) else {},
    }


def _plain_spans(explanation: Any) -> dict[str, list[dict[str, Any]]]:
    """The explanation with plain JSON types only (weights may come as numpy floats)."""
    return {
        str(label): [
            {
                "start": int(span["start"]),
                "end": int(span["end"]),
                "text": str(span["text"]),
                "weight": float(span["weight"]),
            }
            for span in spans
        ]
        for label, spans in dict(explanation or {}).items()
    }
