"""OLID / OffensEval 2019 tweets, training and test."""

from __future__ import annotations

import csv
from pathlib import Path
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


def _olid_row(a: str, b: str, c: str) -> LabelRow | None:
    if a == "NOT":
        return _not_toxic()
    if a != "OFF":
        return None
    row = _row(toxic=1.0)
    if b == "UNT":  # untargeted profanity: offensive, but aimed at no one
        row.update(insult=0.0, identity_hate=0.0)
    elif b == "TIN" and c == "IND":
        row["insult"] = 1.0
    elif b == "TIN" and c == "GRP":
        row["identity_hate"] = 1.0
    return row


def _read_two_column_labels(path: Path) -> dict[str, str]:
    with _open_text(path) as handle:
        return {rec[0]: rec[1].strip() for rec in csv.reader(handle) if len(rec) >= 2}


def load_olid(data_dir: DataDir = None) -> LabeledSet:
    """OLID / OffensEval 2019, training and test tweets.

    NOT -> all 0; OFF -> toxic; OFF+TIN+IND -> insult; OFF+TIN+GRP -> identity_hate (a targeted
    attack on a group, roughly). Refinement: OFF+UNT (untargeted profanity) -> insult 0 and
    identity_hate 0, since an untargeted post attacks no one. Everything else unknown.
    """
    folder = resolve_data_dir(data_dir) / "olid_offenseval2019"
    rows: list[tuple[str, LabelRow]] = []
    with _open_text(folder / "olid-training-v1.0.tsv.gz") as handle:
        for rec in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            row = _olid_row(rec["subtask_a"], rec["subtask_b"], rec["subtask_c"])
            if row is not None:
                rows.append((rec["tweet"], row))
    level_a = _read_two_column_labels(folder / "labels-levela.csv")
    level_b = _read_two_column_labels(folder / "labels-levelb.csv")
    level_c = _read_two_column_labels(folder / "labels-levelc.csv")
    with _open_text(folder / "testset-levela.tsv") as handle:
        for rec in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            tweet_id = rec["id"]
            row = _olid_row(
                level_a.get(tweet_id, ""), level_b.get(tweet_id, ""), level_c.get(tweet_id, "")
            )
            if row is not None:
                rows.append((rec["tweet"], row))
    return _build(rows, "olid")


SOURCE: Final = Source(
    name="olid",
    license="citation requested (Zampieri et al., NAACL 2019; OLID v1.0)",
    load=load_olid,
)
