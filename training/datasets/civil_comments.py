"""Civil Comments toxic spans: annotator votes and typed spans."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from typing import Final

from training.datasets.base import (
    DataDir,
    LabeledSet,
    LabelRow,
    Source,
    _build,
    _not_toxic,
    _open_text,
    _row,
    resolve_data_dir,
)

_SPAN_TYPE_LABELS: Final = {
    "Insult": "insult",
    "Profane/Obscene": "obscene",
    "Identity based Attack": "identity_hate",
    "Threat": "threat",
    "Other Toxicity": None,
}


def _span_label(raw_type: str) -> str | None:
    """Map a span type, including the truncated ones (``Insu``, ``Identity based``)."""
    raw_type = raw_type.strip()
    if len(raw_type) < 4:
        return None
    for full, label in _SPAN_TYPE_LABELS.items():
        if full.startswith(raw_type):
            return label
    return None


def load_civil_comments(data_dir: DataDir = None) -> LabeledSet:
    """Civil Comments toxic spans (16,100 news comments, 3+ annotators each).

    ``toxic`` is 1 when at least half of a comment's annotators found toxicity. Refinement: an
    annotator "found toxicity" when they did not tick ``not toxic`` *or* marked at least one
    span; in this copy ~1,000 annotations tick ``not toxic`` and still mark typed spans, and the
    spans are the more specific evidence. A span type (Insult, Profane/Obscene, Identity based
    Attack, Threat) marked by at least half of the annotators sets its label to 1, otherwise 0
    (each annotator could type the spans they marked). ``severe_toxic`` stays unknown.
    """
    folder = resolve_data_dir(data_dir) / "civil_comments_toxic_spans"
    annotation_comment: dict[str, str] = {}
    annotators: defaultdict[str, set[str]] = defaultdict(set)
    said_not_toxic: set[str] = set()
    with _open_text(folder / "annotations.csv.gz") as handle:
        for rec in csv.DictReader(handle):
            annotation_comment[rec["annotation"]] = rec["comment_id"]
            annotators[rec["comment_id"]].add(rec["annotation"])
            if rec["not toxic"] == "True":
                said_not_toxic.add(rec["annotation"])
    span_labels: defaultdict[str, set[str]] = defaultdict(set)  # annotation -> labels
    with_spans: set[str] = set()
    with _open_text(folder / "spans.csv.gz") as handle:
        for rec in csv.DictReader(handle):
            with_spans.add(rec["annotation"])
            label = _span_label(rec["type"])
            if label is not None:
                span_labels[rec["annotation"]].add(label)
    rows: list[tuple[str, LabelRow]] = []
    unannotated = 0
    with _open_text(folder / "comments.csv.gz") as handle:
        for rec in csv.DictReader(handle):
            anns = annotators.get(rec["comment_id"])
            if not anns:
                unannotated += 1
                continue
            n = len(anns)
            toxic_votes = sum(1 for a in anns if a not in said_not_toxic or a in with_spans)
            if toxic_votes / n < 0.5:
                rows.append((rec["comment_text"], _not_toxic()))
                continue
            votes = Counter(label for a in anns for label in span_labels.get(a, ()))
            row = _row(toxic=1.0)
            for label in ("insult", "obscene", "identity_hate", "threat"):
                row[label] = 1.0 if votes[label] / n >= 0.5 else 0.0
            rows.append((rec["comment_text"], row))
    return _build(rows, "civil_comments", {"dropped_unannotated": unannotated})


SOURCE: Final = Source(
    name="civil_comments",
    license="CC0 1.0 (ipavlopoulos/toxic_spans, ACL 2022)",
    load=load_civil_comments,
)
