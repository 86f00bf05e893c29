"""Vicomtech Stormfront hate speech sentences."""

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


def load_vicomtech(data_dir: DataDir = None) -> LabeledSet:
    """Vicomtech Stormfront sentences: hate -> toxic, identity_hate; noHate -> all 0.

    ``relation`` (hateful only with its neighbour sentence) and ``idk/skip`` are dropped.
    Both the authors' sampled split and the unsampled rows are used.
    """
    path = resolve_data_dir(data_dir) / "vicomtech_hate_speech" / "sentences.csv.gz"
    rows: list[tuple[str, LabelRow]] = []
    dropped = 0
    with _open_text(path) as handle:
        for rec in csv.DictReader(handle):
            if rec["label"] == "hate":
                rows.append((rec["text"], _row(toxic=1.0, identity_hate=1.0)))
            elif rec["label"] == "noHate":
                rows.append((rec["text"], _not_toxic()))
            else:
                dropped += 1
    return _build(rows, "vicomtech", {"dropped_relation_or_skip": dropped})


SOURCE: Final = Source(
    name="vicomtech",
    license="CC BY-SA 3.0 ES (Vicomtech/hate-speech-dataset)",
    load=load_vicomtech,
)
