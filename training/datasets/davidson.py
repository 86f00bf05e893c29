"""Davidson et al. hate speech and offensive language tweets."""

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


def load_davidson(data_dir: DataDir = None) -> LabeledSet:
    """Davidson et al. tweets: ``class`` 0 hate, 1 offensive, 2 neither (annotator majority).

    hate -> toxic, identity_hate; offensive -> toxic (rest unknown); neither -> all 0.
    """
    path = resolve_data_dir(data_dir) / "davidson_hate_offensive" / "labeled_data.csv.gz"
    rows: list[tuple[str, LabelRow]] = []
    with _open_text(path) as handle:
        for rec in csv.DictReader(handle):
            cls = rec["class"]
            if cls == "0":
                rows.append((rec["tweet"], _row(toxic=1.0, identity_hate=1.0)))
            elif cls == "1":
                rows.append((rec["tweet"], _row(toxic=1.0)))
            elif cls == "2":
                rows.append((rec["tweet"], _not_toxic()))
    return _build(rows, "davidson")


SOURCE: Final = Source(
    name="davidson",
    license="MIT (t-davidson/hate-speech-and-offensive-language)",
    load=load_davidson,
)
