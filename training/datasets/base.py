"""The shape every loader returns (:class:`LabeledSet`), where data lives, and shared helpers.

A label a data set says nothing about is ``NaN`` (unknown: masked in training and in every
metric), never guessed as 0. The one inference every loader makes is that a text that is not
toxic is none of the five sub-labels either, so a row with ``toxic == 0`` has all six at 0.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

import numpy as np
import numpy.typing as npt

from classifier.labels import LABELS

#: Environment variable that overrides the default data directory.
DATA_DIR_ENV: Final = "TOXMOD_DATA_DIR"
#: ``../shared/data`` next to the project checkout (this file is training/datasets/base.py).
DEFAULT_DATA_DIR: Final = Path(__file__).resolve().parents[2].parent / "shared" / "data"

_N_LABELS: Final = len(LABELS)
_COL: Final = {label: i for i, label in enumerate(LABELS)}
_NAN: Final = float("nan")

LabelRow = dict[str, float]
FloatMatrix = npt.NDArray[np.float32]
#: What every public loader takes: a data directory, or ``None`` for :func:`resolve_data_dir`.
DataDir = str | os.PathLike[str] | None


@dataclass
class LabeledSet:
    """Texts with their (partly unknown) labels and where each row came from.

    ``labels`` is float32 ``(len(texts), 6)`` in ``LABELS`` order: 1.0, 0.0 or ``NaN`` (unknown).
    ``groups`` holds a split-group key per row (``None``: split by the text alone): rows that
    share a key, such as an original and its annotator-written perturbations, always land in
    the same split. ``natural`` is True for rows sampled at natural prevalence (not enriched
    for toxicity), the rows on which flag thresholds can be judged against realistic traffic.
    Both default to ``None`` / ``False`` for every row.
    """

    texts: list[str]
    labels: FloatMatrix
    sources: list[str]
    #: Free-form notes a loader wants recorded (rows dropped and why).
    notes: dict[str, int] = field(default_factory=dict)
    groups: list[str | None] = field(default_factory=list)
    natural: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.texts)
        if not self.groups and n:
            self.groups = [None] * n
        if not self.natural and n:
            self.natural = [False] * n
        if (
            self.labels.shape != (n, _N_LABELS)
            or len(self.sources) != n
            or len(self.groups) != n
            or len(self.natural) != n
        ):
            raise ValueError(
                f"inconsistent LabeledSet: {n} texts, labels {self.labels.shape}, "
                f"{len(self.sources)} sources, {len(self.groups)} groups, "
                f"{len(self.natural)} natural flags"
            )

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: Sequence[int] | npt.NDArray[np.intp]) -> LabeledSet:
        """Rows ``index`` (in that order) as a new set."""
        idx = np.asarray(index, dtype=np.intp)
        return LabeledSet(
            texts=[self.texts[i] for i in idx],
            labels=self.labels[idx].copy(),
            sources=[self.sources[i] for i in idx],
            groups=[self.groups[i] for i in idx],
            natural=[self.natural[i] for i in idx],
        )

    @staticmethod
    def concat(parts: Sequence[LabeledSet]) -> LabeledSet:
        """All rows of ``parts`` in order; notes are prefixed with each part's first source."""
        if not parts:
            return LabeledSet([], np.empty((0, _N_LABELS), dtype=np.float32), [])
        notes: dict[str, int] = {}
        for part in parts:
            prefix = part.sources[0] if part.sources else "empty"
            notes.update({f"{prefix}.{key}": value for key, value in part.notes.items()})
        return LabeledSet(
            texts=[t for p in parts for t in p.texts],
            labels=np.concatenate([p.labels for p in parts]).astype(np.float32),
            sources=[s for p in parts for s in p.sources],
            notes=notes,
            groups=[g for p in parts for g in p.groups],
            natural=[flag for p in parts for flag in p.natural],
        )

    def label_counts(self) -> dict[str, dict[str, int]]:
        """Per label: rows known, positive, negative (JSON-able)."""
        known = ~np.isnan(self.labels)
        positive = np.nan_to_num(self.labels, nan=0.0) >= 0.5
        return {
            label: {
                "known": int(known[:, j].sum()),
                "positive": int((positive[:, j] & known[:, j]).sum()),
                "negative": int((~positive[:, j] & known[:, j]).sum()),
            }
            for j, label in enumerate(LABELS)
        }

    def label_counts_per_source(self) -> dict[str, Any]:
        """Per source: its rows, natural-prevalence rows and :meth:`label_counts` (JSON-able)."""
        counts: dict[str, Any] = {}
        for source in sorted(set(self.sources)):
            rows = [i for i, s in enumerate(self.sources) if s == source]
            counts[source] = {
                "rows": len(rows),
                "natural_rows": sum(1 for i in rows if self.natural[i]),
                "labels": self.subset(rows).label_counts(),
            }
        return counts


#: A public loader: data directory in, labelled rows out.
Loader = Callable[[DataDir], LabeledSet]


@dataclass(frozen=True)
class Source:
    """A public data set: its name (the rows' source), its licence and its loader.

    Each source module declares one; :mod:`training.datasets.registry` lists them.
    """

    name: str
    license: str
    load: Loader


def resolve_data_dir(data_dir: DataDir = None) -> Path:
    """``data_dir`` if given, else ``$TOXMOD_DATA_DIR``, else :data:`DEFAULT_DATA_DIR`."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else DEFAULT_DATA_DIR


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _row(**known: float) -> LabelRow:
    return dict(known)


def _not_toxic() -> LabelRow:
    return dict.fromkeys(LABELS, 0.0)


def _build(
    rows: Sequence[tuple[str, LabelRow]],
    source: str,
    notes: dict[str, int] | None = None,
    *,
    groups: Sequence[str | None] | None = None,
    natural: Sequence[bool] | None = None,
) -> LabeledSet:
    labels = np.full((len(rows), _N_LABELS), np.nan, dtype=np.float32)
    for i, (_, row) in enumerate(rows):
        for label, value in row.items():
            labels[i, _COL[label]] = value
    _apply_non_toxic_rule(labels)
    return LabeledSet(
        texts=[text for text, _ in rows],
        labels=labels,
        sources=[source] * len(rows),
        notes=dict(notes or {}),
        groups=list(groups) if groups is not None else [None] * len(rows),
        natural=list(natural) if natural is not None else [False] * len(rows),
    )


def _apply_non_toxic_rule(labels: FloatMatrix) -> None:
    """A text that is not toxic is none of the sub-labels: ``toxic == 0`` sets the rest to 0."""
    labels[labels[:, _COL["toxic"]] == 0.0] = 0.0
