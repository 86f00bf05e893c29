"""HateXplain posts (Twitter, Gab) with majority labels normal / offensive / hate speech."""

from __future__ import annotations

import csv
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


def load_hatexplain(data_dir: DataDir = None) -> LabeledSet:
    """HateXplain, preprocessed copy: ``label`` 0 normal, 1 offensive, 2 hate speech.

    2 -> toxic, identity_hate; 1 -> toxic (the rest unknown); 0 -> all 0. The text is
    lower-cased with punctuation stripped and ``<user>`` / ``<number>`` placeholders, so it
    rarely deduplicates against the same post in another set. Other labels are dropped.
    """
    path = resolve_data_dir(data_dir) / "hatexplain_magpie" / "hatexplain_preprocessed.csv.gz"
    rows: list[tuple[str, LabelRow]] = []
    dropped = 0
    with _open_text(path) as handle:
        for rec in csv.DictReader(handle):
            label = rec["label"].strip()
            if label == "2":
                rows.append((rec["text"], _row(toxic=1.0, identity_hate=1.0)))
            elif label == "1":
                rows.append((rec["text"], _row(toxic=1.0)))
            elif label == "0":
                rows.append((rec["text"], _not_toxic()))
            else:
                dropped += 1
    return _build(rows, "hatexplain", {"dropped_unknown_label": dropped})


SOURCE: Final = Source(
    name="hatexplain",
    license="CC BY 4.0 (HateXplain, via Media-Bias-Group/magpie-multi-task)",
    load=load_hatexplain,
)
