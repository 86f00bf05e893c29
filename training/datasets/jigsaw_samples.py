"""The 101 Jigsaw 2018 samples with all six labels."""

from __future__ import annotations

import csv
from typing import Final

from classifier.labels import LABELS
from training.datasets.base import (
    DataDir,
    LabeledSet,
    LabelRow,
    Source,
    _build,
    _open_text,
    resolve_data_dir,
)


def load_jigsaw_samples(data_dir: DataDir = None) -> LabeledSet:
    """The 101 Jigsaw 2018 samples, all six labels as given."""
    path = resolve_data_dir(data_dir) / "jigsaw_samples" / "ibm_max_examples.csv"
    rows: list[tuple[str, LabelRow]] = []
    with _open_text(path) as handle:
        for rec in csv.DictReader(handle):
            rows.append((rec["comment_text"], {label: float(rec[label]) for label in LABELS}))
    return _build(rows, "jigsaw_samples")


SOURCE: Final = Source(
    name="jigsaw_samples",
    license="CC0 (IBM/MAX-Toxic-Comment-Classifier samples of Jigsaw 2018)",
    load=load_jigsaw_samples,
)
