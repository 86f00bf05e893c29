"""SemEval-2019 HatEval (English) tweets as joined by TweetEval: hate against immigrants, women."""

from __future__ import annotations

import csv
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


def load_tweeteval_hate(data_dir: DataDir = None) -> LabeledSet:
    """TweetEval hate (train, val and test): ``label`` 1 hate.

    1 -> toxic, identity_hate; 0 -> identity_hate 0 only (the non-hateful tweets include
    aggressive and profane ones, so toxic stays unknown). Other labels are dropped.
    """
    path = resolve_data_dir(data_dir) / "tweeteval_hate" / "tweeteval_hate.csv.gz"
    rows: list[tuple[str, LabelRow]] = []
    dropped = 0
    with _open_text(path) as handle:
        for rec in csv.DictReader(handle):
            label = rec["label"].strip()
            if label == "1":
                rows.append((rec["text"], _row(toxic=1.0, identity_hate=1.0)))
            elif label == "0":
                rows.append((rec["text"], _row(identity_hate=0.0)))
            else:
                dropped += 1
    return _build(rows, "tweeteval_hate", {"dropped_unknown_label": dropped})


SOURCE: Final = Source(
    name="tweeteval_hate",
    license="TweetEval terms; tweets under Twitter's terms (cardiffnlp/tweeteval, HatEval)",
    load=load_tweeteval_hate,
)
