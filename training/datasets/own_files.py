"""A user's own labelled comments from CSV, TSV or JSONL files."""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

from classifier.labels import LABELS
from training.datasets.base import (
    _COL,
    _NAN,
    LabeledSet,
    LabelRow,
    _build,
    _open_text,
)

_TRUE: Final = frozenset({"1", "true", "yes", "y", "t"})
_FALSE: Final = frozenset({"0", "false", "no", "n", "f"})
_MISSING: Final = frozenset({"", "nan", "null", "none", "na", "n/a", "?"})


def _parse_label(value: object) -> float:
    """1.0 / 0.0 / NaN from a cell: booleans, 0/1, yes/no, or a share in [0, 1] (>= 0.5 -> 1)."""
    if value is None:
        return _NAN
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().lower()
        if text in _MISSING:
            return _NAN
        if text in _TRUE:
            return 1.0
        if text in _FALSE:
            return 0.0
        try:
            number = float(text)
        except ValueError:
            raise ValueError(
                f"cannot read {value!r} as a label (use 0/1, true/false or empty)"
            ) from None
    if math.isnan(number):
        return _NAN
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"label value {number} outside [0, 1]")
    return 1.0 if number >= 0.5 else 0.0


def _iter_records(path: Path, delimiter: str | None) -> Iterator[Mapping[str, object]]:
    name = path.name.lower().removesuffix(".gz")
    with _open_text(path) as handle:
        if name.endswith((".jsonl", ".ndjson")):
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError(f"{path}:{line_no}: expected a JSON object per line")
                yield record
            return
        if delimiter is None:
            delimiter = "\t" if name.endswith(".tsv") else ","
        yield from csv.DictReader(handle, delimiter=delimiter)


def load_labeled_file(
    path: str | os.PathLike[str],
    *,
    text_column: str = "text",
    label_columns: Mapping[str, str] | Sequence[str] | None = None,
    source: str | None = None,
    delimiter: str | None = None,
) -> LabeledSet:
    """Load a user's own labelled comments from CSV, TSV or JSONL (optionally ``.gz``).

    ``label_columns`` maps schema labels to column names (``{"toxic": "is_abusive"}``), or lists
    schema labels whose column has the same name; default: every schema label that is a column.
    Cells may be 0/1, true/false, yes/no, a share in [0, 1] (>= 0.5 is positive) or empty
    (unknown). Labels with no column are unknown for every row; ``toxic == 0`` still sets the
    other five to 0. Rows whose text is empty are skipped.

    Raises ``ValueError`` on a missing text or label column or an unreadable label value.
    """
    file_path = Path(path)
    if label_columns is None:
        mapping: dict[str, str] | None = None
    elif isinstance(label_columns, Mapping):
        mapping = dict(label_columns)
    else:
        mapping = {label: label for label in label_columns}
    if mapping is not None:
        bad = [label for label in mapping if label not in _COL]
        if bad:
            raise ValueError(f"unknown labels {bad}; the schema is {list(LABELS)}")
    records = list(_iter_records(file_path, delimiter))
    columns = {key for record in records for key in record}
    if records and text_column not in columns:
        raise ValueError(f"{file_path}: no text column {text_column!r}")
    if mapping is None:
        mapping = {label: label for label in LABELS if label in columns}
        if records and not mapping:
            raise ValueError(f"{file_path}: no schema label columns found; pass label_columns")
    missing = [column for column in mapping.values() if column not in columns]
    if records and missing:
        raise ValueError(f"{file_path}: label columns {missing} not found")
    rows: list[tuple[str, LabelRow]] = []
    skipped = 0
    for line_no, record in enumerate(records, start=1):
        text = record.get(text_column)
        if text is None or not str(text).strip():
            skipped += 1
            continue
        try:
            # A JSON record may leave a label out: unknown, like an empty cell.
            row = {label: _parse_label(record.get(column)) for label, column in mapping.items()}
        except ValueError as exc:
            raise ValueError(f"{file_path}: record {line_no}: {exc}") from None
        rows.append((str(text), row))
    return _build(rows, source or file_path.name, {"skipped_empty_text": skipped})
