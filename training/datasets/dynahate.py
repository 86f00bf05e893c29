"""DynaHate: dynamically generated hate speech with annotator-written contrast perturbations."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from training.datasets.base import (
    DataDir,
    LabeledSet,
    LabelRow,
    Source,
    _build,
    _open_text,
    _row,
    resolve_data_dir,
)

#: Hate types that say nothing about a threat (the annotator gave no type).
_UNTYPED: Final = frozenset({"", "notgiven", "none"})


def contrast_set_row(*, hate: bool, hate_type: str) -> LabelRow:
    """Labels of a DynaHate-style row (also HatemojiBuild, built the same way).

    hate -> toxic, identity_hate, and threat 1 when the type is a threat (``threatening``,
    ``threateninglanguage``); refinement: another given type (derogation, animosity, ...) ->
    threat 0, since the annotator chose a non-threat type; no type -> threat unknown.
    Not hate -> identity_hate 0 only: these rows include profane insults at individuals, so
    toxic and the other labels stay unknown.
    """
    if not hate:
        return _row(identity_hate=0.0)
    row = _row(toxic=1.0, identity_hate=1.0)
    kind = hate_type.strip().lower()
    if kind.startswith("threatening"):
        row["threat"] = 1.0
    elif kind not in _UNTYPED:
        row["threat"] = 0.0
    return row


def load_dynahate(data_dir: DataDir = None) -> LabeledSet:
    """DynaHate (Vidgen et al., ACL 2021) dev and test rows of rounds 1-4.

    Mapping: :func:`contrast_set_row` on ``label`` (hate / nothate) and ``type``. A
    perturbation and its original (linked by ``acl.id.matched``, in both directions) share the
    group key ``dynahate:<original acl.id>``, so the pair never straddles two splits; rows
    without a link (round 1) are split by their text. Rows with another label are dropped.
    """
    return load_contrast_set(
        resolve_data_dir(data_dir) / "dynahate_dev_test",
        ("dynahate_dev.csv.gz", "dynahate_test.csv.gz"),
        source="dynahate",
        columns=ContrastColumns("label", "hate", "nothate", "acl.id", "acl.id.matched", "level"),
    )


@dataclass(frozen=True)
class ContrastColumns:
    """Where a contrast set keeps its label, its pair link and which side of a pair a row is."""

    label: str
    hate: str
    not_hate: str
    id: str
    matched: str
    level: str


def load_contrast_set(
    folder: Path, files: Sequence[str], *, source: str, columns: ContrastColumns
) -> LabeledSet:
    """Rows of a contrast set (an original and its perturbations share the group key
    ``<source>:<original id>``; a row with no pair is ungrouped), mapped with
    :func:`contrast_set_row`. Rows whose label is neither value are dropped and counted."""
    rows: list[tuple[str, LabelRow]] = []
    groups: list[str | None] = []
    dropped = 0
    for name in files:
        with _open_text(folder / name) as handle:
            for rec in csv.DictReader(handle):
                label = rec[columns.label].strip()
                if label not in (columns.hate, columns.not_hate):
                    dropped += 1
                    continue
                hate = label == columns.hate
                rows.append((rec["text"], contrast_set_row(hate=hate, hate_type=rec["type"])))
                matched = rec[columns.matched].strip()
                if not matched:
                    groups.append(None)
                elif rec[columns.level].strip() == "original":
                    groups.append(f"{source}:{rec[columns.id].strip()}")
                else:
                    groups.append(f"{source}:{matched}")
    return _build(rows, source, {"dropped_unknown_label": dropped}, groups=groups)


SOURCE: Final = Source(
    name="dynahate",
    license="no licence stated by the authors; cite Vidgen et al., ACL 2021 (DynaHate)",
    load=load_dynahate,
)
