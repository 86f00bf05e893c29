"""Moderator corrections in the ``toxmod-corrections/1`` format (docs/corrections-format.md)."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping
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

#: The one corrections format this code reads.
CORRECTIONS_FORMAT: Final = "toxmod-corrections/1"
#: Source name given to every corrections row.
CORRECTIONS_SOURCE: Final = "corrections"
#: The CSV export writes a text starting with one of these with a leading ``'`` (a spreadsheet
#: would read it as a formula; docs/corrections-format.md); reading it back drops that ``'``.
#: The same list as the exporter's ``moderation.services.corrections.CSV_FORMULA_STARTS``.
CSV_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_text(cell: str) -> str:
    """A CSV text cell as submitted: the exporter's formula escape removed."""
    if cell.startswith("'") and cell[1:].startswith(CSV_FORMULA_STARTS):
        return cell[1:]
    return cell


def _correction_label(value: object, where: str, label: str) -> float:
    """``1`` / ``0`` / ``null`` (JSON) or ``"1"`` / ``"0"`` / ``""`` (CSV) -> 1.0 / 0.0 / NaN."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return _NAN
    if isinstance(value, bool):
        raise ValueError(f"{where}: label {label!r} must be 1, 0 or null, got {value!r}")
    if isinstance(value, int | float) and float(value) in (0.0, 1.0):
        return float(value)
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return float(value.strip())
    raise ValueError(f"{where}: label {label!r} must be 1, 0 or null, got {value!r}")


def _correction_records(path: Path) -> Iterator[tuple[str, Mapping[str, object]]]:
    """(where, record with ``format``, ``text`` and ``labels``) for each line or row."""
    name = path.name.lower().removesuffix(".gz")
    with _open_text(path) as handle:
        if name.endswith((".jsonl", ".ndjson", ".json")):
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path}:{line_no}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{where}: not valid JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise ValueError(f"{where}: expected a JSON object per line")
                labels = record.get("labels")
                if not isinstance(labels, dict):
                    raise ValueError(f"{where}: 'labels' must be an object")
                yield where, record
        elif name.endswith(".csv"):
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            needed = ["format", "text", *(f"label_{label}" for label in LABELS)]
            missing = [column for column in needed if column not in header]
            if missing:
                raise ValueError(f"{path}: not a corrections CSV, missing columns {missing}")
            for row_no, rec in enumerate(reader, start=2):
                labels = {label: rec.get(f"label_{label}") for label in LABELS}
                text = rec.get("text")
                if isinstance(text, str):
                    text = csv_text(text)
                yield f"{path}:{row_no}", {**rec, "text": text, "labels": labels}
        else:
            raise ValueError(f"{path}: corrections must be .jsonl or .csv (optionally .gz)")


def load_corrections(path: str | os.PathLike[str]) -> LabeledSet:
    """Moderator corrections exported in the ``toxmod-corrections/1`` format (JSONL or CSV).

    Each record becomes one row with source ``"corrections"``: its text as submitted (callers
    normalise it, as for every loader) and its six labels, where ``null`` (JSON) or an empty
    cell (CSV) is unknown (NaN). A label missing from a JSON record's ``labels`` is unknown too.
    ``toxic == 0`` sets the other five to 0, as for every source.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for another extension, a
    record whose ``format`` is not ``toxmod-corrections/1``, a label other than 1/0/null, or a
    missing text.
    """
    file_path = Path(path)
    if not file_path.is_file():
        raise FileNotFoundError(f"corrections file not found: {file_path}")
    rows: list[tuple[str, LabelRow]] = []
    decisions: Counter[str] = Counter()
    for where, record in _correction_records(file_path):
        if record.get("format") != CORRECTIONS_FORMAT:
            raise ValueError(
                f"{where}: format {record.get('format')!r} is not {CORRECTIONS_FORMAT!r}"
            )
        text = record.get("text")
        if not isinstance(text, str):
            raise ValueError(f"{where}: 'text' is missing")
        raw_labels = record["labels"]
        assert isinstance(raw_labels, Mapping)
        unknown = [label for label in raw_labels if label not in _COL]
        if unknown:
            raise ValueError(f"{where}: unknown labels {unknown}")
        row = {label: _correction_label(raw_labels.get(label), where, label) for label in LABELS}
        rows.append((text, row))
        decisions[str(record.get("decision", "unknown"))] += 1
    notes = {f"decision_{decision}": count for decision, count in sorted(decisions.items())}
    return _build(rows, CORRECTIONS_SOURCE, notes)
