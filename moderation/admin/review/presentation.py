"""How the review pages show a comment: highlighted words, score bars, label badges, ages and
audit rows. Pure presentation: no queries."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from classifier.labels import LABELS
from moderation.models import Comment, Review

#: Two letters per label for the compact score bar (the full name is in each bar's title).
LABEL_SHORT = {
    "toxic": "tx",
    "severe_toxic": "st",
    "obscene": "ob",
    "threat": "th",
    "insult": "in",
    "identity_hate": "ih",
}


def valid_spans(
    text: str, explanation: Any, *, labels: Collection[str] | None = None
) -> list[tuple[int, int, str, float]]:
    """(start, end, label, weight) for the well-formed spans that pushed a score up; only those
    of `labels` when given (say, the labels that were flagged)."""
    spans: list[tuple[int, int, str, float]] = []
    if not isinstance(explanation, Mapping):
        return spans
    for label, items in explanation.items():
        if not isinstance(items, Sequence) or (labels is not None and label not in labels):
            continue
        for item in items:
            try:
                start, end, weight = int(item["start"]), int(item["end"]), float(item["weight"])
            except (KeyError, TypeError, ValueError):
                continue
            if not 0 <= start < end <= len(text) or weight <= 0:
                continue
            if "text" in item and str(item["text"]) != text[start:end]:
                continue  # offsets that do not match the text are not shown rather than wrong
            spans.append((start, end, str(label), weight))
    return spans


def text_highlighted(
    text: str,
    explanation: Any,
    *,
    limit: int | None = None,
    labels: Collection[str] | None = None,
) -> SafeString:
    """The text, escaped, with `<mark>` around the spans of `explanation` (stronger weight,
    stronger colour; the title names the labels), only for `labels` when given. Shows the
    first `limit` characters."""
    spans = valid_spans(text, explanation, labels=labels)
    end_at = len(text) if limit is None else min(len(text), limit)
    strongest = max((weight for *_, weight in spans), default=1.0)
    cuts = sorted(
        {0, end_at, *[s for s, *_ in spans if s < end_at], *[min(e, end_at) for _, e, *_ in spans]}
    )
    parts: list[str] = []
    for left, right in itertools.pairwise(cuts):
        covering = [(label, weight) for s, e, label, weight in spans if s <= left and right <= e]
        piece = escape(text[left:right])
        if covering:
            weight = max(weight for _, weight in covering)
            alpha = 0.25 + 0.6 * (weight / strongest)
            title = ", ".join(f"{label} +{weight:.2f}" for label, weight in covering)
            parts.append(
                format_html(
                    '<mark class="tm-hl" style="background:rgba(239,68,68,{})" title="{}">'
                    "{}</mark>",
                    f"{alpha:.2f}",
                    title,
                    piece,
                )
            )
        else:
            parts.append(piece)
    if end_at < len(text):
        parts.append("…")
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 (every piece escaped)


def label_badges(labels: Sequence[str]) -> SafeString:
    if not labels:
        return mark_safe('<span class="tm-muted">—</span>')
    return format_html_join(" ", '<span class="tm-badge">{}</span>', ((label,) for label in labels))


def ago(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return f"{timesince(moment).split(',')[0]} ago"


def short_age(moment: datetime, now: datetime) -> str:
    """A queue row's age in a few characters: 45s, 12m, 3h, 2d."""
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def audit_row(review: Review) -> dict[str, Any]:
    marks = {1: "yes", 0: "no"}
    before = review.labels_before or {}
    return {
        "review": review,
        "before": " · ".join(
            f"{label} {float(before[label]):.2f}"
            for label in LABELS
            if before.get(label) is not None
        )
        or "—",
        "after": " · ".join(
            f"{label} {marks.get(review.labels_after.get(label), '?')}" for label in LABELS
        ),
    }


def never_predicted_labels(comment: Any) -> set[str]:
    """Labels the comment's model version never predicts (a constant in training: no positive
    examples), read from the `model_constant_labels` annotation the queue adds, or from the
    version's training summary."""
    constant = getattr(comment, "model_constant_labels", None)
    if constant is None and getattr(comment, "model_version", None) is not None:
        constant = (comment.model_version.training_summary or {}).get("constant_labels")
    return {str(label) for label in constant or [] if label in LABELS}


def _bar_colour(score: float, threshold: float) -> str:
    if score >= threshold:
        return "#b91c1c"
    if score >= threshold * 0.6:
        return "#b45309"
    return "#15803d"


def score_bar(comment: Comment) -> SafeString:
    """One small vertical bar per label, in a strip about 100 px wide: red at or over the
    platform's threshold, amber near it. A label the model never predicts shows as a grey dash
    (its score says nothing). The title of each bar gives the exact score."""
    if comment.scored_at is None:
        return mark_safe('<span class="tm-muted">—</span>')
    thresholds = comment.platform.flag_thresholds
    never = never_predicted_labels(comment)
    cells = []
    for label in LABELS:
        if label in never:
            cells.append(
                format_html(
                    '<span class="tm-sb tm-sb-off" title="{}: never predicted by this model">'
                    "<b></b><i>{}</i></span>",
                    label,
                    LABEL_SHORT[label],
                )
            )
            continue
        score = float(getattr(comment, f"score_{label}") or 0.0)
        threshold = float(thresholds.get(label, 0.5))
        cells.append(
            format_html(
                '<span class="tm-sb" title="{}: {} (flag at {})"><b style="height:{}px;'
                'background:{}"></b><i>{}</i></span>',
                label,
                f"{score:.3f}",
                f"{threshold:g}",
                max(1, round(16 * score)),
                _bar_colour(score, threshold),
                LABEL_SHORT[label],
            )
        )
    return format_html('<span class="tm-scorebar">{}</span>', mark_safe("".join(cells)))  # noqa: S308 (each cell escaped)
