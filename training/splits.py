"""Deduplication and the fixed train / validation / holdout split.

The split is a pure function of the normalised text (a salted SHA-256), so a comment lands in
the same part in every run, for every model version and whatever else is in the data: holdout
numbers stay comparable between versions, and a duplicate can never sit on both sides because
duplicates are merged first. A row with a split-group key (an original and its annotator-written
perturbations share one) is split by the salted hash of the key instead, so the whole group
lands in one part and a model is never scored on a near copy of a training text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import numpy as np

from classifier.labels import LABELS
from classifier.text import normalize_text
from training.datasets import FloatMatrix, LabeledSet

#: Changing the salt or the shares reshuffles every split; never do it between model versions.
SPLIT_SALT: Final = "toxmod-split-v1"
TRAIN_SHARE: Final = 0.70
VALIDATION_SHARE: Final = 0.15  # the remaining 0.15 is the holdout

_TOXIC: Final = LABELS.index("toxic")


class Split(StrEnum):
    TRAIN = "train"
    VALIDATION = "validation"
    HOLDOUT = "holdout"


@dataclass
class DedupeReport:
    """What :func:`dedupe` merged (JSON-able through :meth:`as_dict`)."""

    rows_in: int = 0
    rows_out: int = 0
    dropped_empty: int = 0
    duplicates_within_source: int = 0
    duplicates_across_sources: int = 0
    #: Merged groups whose rows disagreed on at least one known label.
    conflicting_groups: int = 0
    #: Groups where a moderator correction overrode the labels of a public set's row.
    overridden_by_corrections: int = 0
    dropped_per_source: dict[str, int] = field(default_factory=dict)

    @property
    def dropped(self) -> int:
        return self.rows_in - self.rows_out

    def as_dict(self) -> dict[str, object]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "dropped": self.dropped,
            "dropped_empty": self.dropped_empty,
            "duplicates_within_source": self.duplicates_within_source,
            "duplicates_across_sources": self.duplicates_across_sources,
            "conflicting_groups": self.conflicting_groups,
            "overridden_by_corrections": self.overridden_by_corrections,
            "dropped_per_source": dict(sorted(self.dropped_per_source.items())),
        }


#: Rows from this source (moderator corrections) override others with the same text.
AUTHORITATIVE_SOURCE = "corrections"


def dedupe(data: LabeledSet) -> tuple[LabeledSet, DedupeReport]:
    """Merge rows whose normalised text is equal; return the merged set and what was dropped.

    The returned texts are normalised. A group keeps the source and position of its first row
    (so load order decides the source of a cross-source duplicate). Its split-group key is the
    smallest key among its rows (``None`` if no row has one), so a text that is also part of a
    perturbation group is split with that group; it is natural-prevalence if any row is. Merge
    rule per label: the mean of the rows' known values, positive at >= 0.5 (a tie counts as
    positive: a moderator would rather see it), unknown if no row knows it; except that a
    moderator correction (source ``"corrections"``) overrides every other row for the labels it
    knows. Then the rows stay consistent: a positive sub-label makes ``toxic`` 1, and
    ``toxic == 0`` sets the sub-labels to 0. Rows whose text is
    empty after normalisation are dropped.
    """
    report = DedupeReport(rows_in=len(data))
    first_row: dict[str, int] = {}
    members: list[list[int]] = []
    texts: list[str] = []
    for i, raw in enumerate(data.texts):
        text = normalize_text(raw)
        if not text:
            report.dropped_empty += 1
            report.dropped_per_source[data.sources[i]] = (
                report.dropped_per_source.get(data.sources[i], 0) + 1
            )
            continue
        group = first_row.get(text)
        if group is None:
            first_row[text] = len(members)
            members.append([i])
            texts.append(text)
            continue
        head = members[group][0]
        if data.sources[head] == data.sources[i]:
            report.duplicates_within_source += 1
        else:
            report.duplicates_across_sources += 1
        report.dropped_per_source[data.sources[i]] = (
            report.dropped_per_source.get(data.sources[i], 0) + 1
        )
        members[group].append(i)

    labels = np.full((len(members), len(LABELS)), np.nan, dtype=np.float32)
    for g, rows in enumerate(members):
        if len(rows) == 1:
            labels[g] = data.labels[rows[0]]
            continue
        block = data.labels[rows]
        known = ~np.isnan(block)
        hard = np.where(known, block >= 0.5, False)
        counts = known.sum(axis=0)
        disagree = (hard.sum(axis=0) > 0) & (hard.sum(axis=0) < counts)
        if disagree.any():
            report.conflicting_groups += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            share = hard.sum(axis=0) / counts
        labels[g] = np.where(counts > 0, (share >= 0.5).astype(np.float32), np.nan)
        corrected = [i for i in rows if data.sources[i] == AUTHORITATIVE_SOURCE]
        if corrected:
            # A moderator's label is the truth for this text: the latest correction's known
            # labels replace whatever the public sets (or earlier corrections) said.
            latest = data.labels[corrected[-1]]
            labels[g] = np.where(np.isnan(latest), labels[g], latest)
            if data.sources[rows[0]] != AUTHORITATIVE_SOURCE:
                report.overridden_by_corrections += 1
    _make_consistent(labels)
    merged = LabeledSet(
        texts=texts,
        labels=labels,
        sources=[data.sources[rows[0]] for rows in members],
        notes=dict(data.notes),
        groups=[_group_key(data.groups, rows) for rows in members],
        natural=[any(data.natural[i] for i in rows) for rows in members],
    )
    report.rows_out = len(merged)
    return merged, report


def _group_key(groups: Sequence[str | None], rows: Sequence[int]) -> str | None:
    keys = [key for key in (groups[i] for i in rows) if key is not None]
    return min(keys) if keys else None


def _make_consistent(labels: FloatMatrix) -> None:
    sub = np.delete(np.arange(len(LABELS)), _TOXIC)
    any_sub_positive = (np.nan_to_num(labels[:, sub], nan=0.0) >= 0.5).any(axis=1)
    labels[any_sub_positive, _TOXIC] = 1.0
    labels[labels[:, _TOXIC] == 0.0] = 0.0


def _split_of_key(key: str) -> Split:
    digest = hashlib.sha256((SPLIT_SALT + "\x00" + key).encode("utf-8")).digest()
    position = int.from_bytes(digest[:8], "big") / 2.0**64
    if position < TRAIN_SHARE:
        return Split.TRAIN
    if position < TRAIN_SHARE + VALIDATION_SHARE:
        return Split.VALIDATION
    return Split.HOLDOUT


def split_of(text: str, group: str | None = None) -> Split:
    """The fixed part of a row: a salted SHA-256 mapped to [0, 1).

    Hashes the split-group key ``group`` when given (every row of a group gets the same part),
    otherwise the normalised text.
    """
    return _split_of_key(group if group is not None else normalize_text(text))


def assign_splits(texts: Sequence[str], groups: Sequence[str | None] | None = None) -> list[Split]:
    """:func:`split_of` for every text, with its split-group key when ``groups`` is given."""
    if groups is None:
        return [split_of(text) for text in texts]
    if len(groups) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(groups)} group keys")
    return [split_of(text, group) for text, group in zip(texts, groups, strict=True)]


def split_dataset(data: LabeledSet) -> dict[Split, LabeledSet]:
    """The rows of ``data`` (best deduplicated first) in each part, original order kept.

    Since the part depends on the text (or group key) only, each source is split about
    70/15/15 on its own.
    """
    parts = assign_splits(data.texts, data.groups)
    return {
        split: data.subset([i for i, part in enumerate(parts) if part is split]) for split in Split
    }


def split_counts(data: LabeledSet, parts: Sequence[Split]) -> dict[str, dict[str, int]]:
    """Rows per source and part (JSON-able)."""
    counts: dict[str, dict[str, int]] = {}
    for source, part in zip(data.sources, parts, strict=True):
        per_source = counts.setdefault(source, {split.value: 0 for split in Split})
        per_source[part.value] += 1
    return dict(sorted(counts.items()))
