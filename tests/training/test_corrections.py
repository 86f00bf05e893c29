"""The moderator-corrections loader (docs/corrections-format.md), JSONL and CSV."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from classifier.labels import LABELS
from training.datasets import load_corrections

REMOVED: dict[str, object] = {
    "format": "toxmod-corrections/1",
    "comment_id": "6f0c2b8e-3d9a-4f7e-9a51-0c3f1f5d2a10",
    "platform": "demo",
    "external_id": "c-1042",
    "text": "you are an idiot,\nreally",
    "decision": "removed",
    "decided_at": "2026-11-23T10:15:02.123456+00:00",
    "moderator": "alice",
    "labels": {
        "toxic": 1,
        "severe_toxic": None,
        "obscene": 0,
        "threat": None,
        "insult": 1,
        "identity_hate": None,
    },
    "model_version": "linear-20261123-ff82f325",
    "model_scores": dict.fromkeys(LABELS, 0.5),
}
APPROVED: dict[str, object] = {
    **REMOVED,
    "external_id": "c-7",
    "text": "thanks, that helps",
    "decision": "approved",
    "labels": dict.fromkeys(LABELS, 0),
}


def _write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _write_csv(path: Path, records: list[dict[str, object]]) -> Path:
    columns = ["format", "comment_id", "platform", "external_id", "text", "decision"]
    columns += ["decided_at", "moderator", "model_version"]
    columns += [f"label_{label}" for label in LABELS] + [f"score_{label}" for label in LABELS]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(columns)
        for r in records:
            labels = r["labels"]
            assert isinstance(labels, dict)
            row = [r[c] for c in columns[:9]]
            row += ["" if labels[label] is None else labels[label] for label in LABELS]
            row += [0.5] * len(LABELS)
            writer.writerow(row)
    return path


def _check(rows: object) -> None:
    from training.datasets import LabeledSet

    assert isinstance(rows, LabeledSet)
    assert rows.texts == ["you are an idiot,\nreally", "thanks, that helps"]
    assert rows.sources == ["corrections", "corrections"]
    removed = dict(zip(LABELS, rows.labels[0].tolist(), strict=True))
    assert removed["toxic"] == 1
    assert removed["insult"] == 1
    assert removed["obscene"] == 0
    assert all(math.isnan(removed[label]) for label in ("severe_toxic", "threat", "identity_hate"))
    assert rows.labels[1].tolist() == [0.0] * len(LABELS)


def test_jsonl_export_loads_with_null_labels_masked(tmp_path: Path) -> None:
    _check(load_corrections(_write_jsonl(tmp_path / "c.jsonl", [REMOVED, APPROVED])))


def test_csv_export_loads_with_empty_cells_masked(tmp_path: Path) -> None:
    _check(load_corrections(_write_csv(tmp_path / "c.csv", [REMOVED, APPROVED])))


@pytest.mark.parametrize("writer", [_write_jsonl, _write_csv])
def test_other_formats_are_refused(tmp_path: Path, writer: object) -> None:
    other = {**REMOVED, "format": "toxmod-corrections/2"}
    suffix = ".jsonl" if writer is _write_jsonl else ".csv"
    path = writer(tmp_path / f"c{suffix}", [APPROVED, other])  # type: ignore[operator]
    with pytest.raises(ValueError, match="toxmod-corrections/2"):
        load_corrections(path)


def test_bad_label_values_and_extensions_are_refused(tmp_path: Path) -> None:
    labels = REMOVED["labels"]
    assert isinstance(labels, dict)
    bad = {**REMOVED, "labels": {**labels, "toxic": 2}}
    with pytest.raises(ValueError, match="toxic"):
        load_corrections(_write_jsonl(tmp_path / "bad.jsonl", [bad]))
    (tmp_path / "c.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"\.jsonl or \.csv"):
        load_corrections(tmp_path / "c.txt")
    with pytest.raises(FileNotFoundError):
        load_corrections(tmp_path / "missing.jsonl")
