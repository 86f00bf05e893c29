"""Measuring Hate Speech (Kennedy et al.): comments about identity groups, binary derived label."""

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


def load_mhs(data_dir: DataDir = None) -> LabeledSet:
    """MHS dev and test rows, one row per comment (``index`` is the comment id).

    The two files split annotations, not comments, so a comment can appear in both: the first
    row of each comment id is kept (its label is the same in both files). The label is derived
    (``hate_speech_score > 0``), noisy, and the set includes supportive and counter speech:
    1 -> toxic, identity_hate; 0 -> identity_hate 0 only (toxic unknown). ``sentence2`` is a
    constant prompt and is ignored. Rows with another label are dropped.
    """
    folder = resolve_data_dir(data_dir) / "mhs_binary"
    rows: list[tuple[str, LabelRow]] = []
    seen: set[str] = set()
    repeated = dropped = 0
    for name in ("mhs_dev.tsv.gz", "mhs_test.tsv.gz"):
        with _open_text(folder / name) as handle:
            for rec in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                comment_id = rec["index"].strip()
                if comment_id in seen:
                    repeated += 1
                    continue
                label = rec["label"].strip()
                if label == "1":
                    rows.append((rec["sentence1"], _row(toxic=1.0, identity_hate=1.0)))
                elif label == "0":
                    rows.append((rec["sentence1"], _row(identity_hate=0.0)))
                else:
                    dropped += 1
                    continue
                seen.add(comment_id)
    notes = {"dropped_repeated_comment": repeated, "dropped_unknown_label": dropped}
    return _build(rows, "mhs", notes)


SOURCE: Final = Source(
    name="mhs",
    license="CC BY 4.0 (Measuring Hate Speech, Kennedy et al.)",
    load=load_mhs,
)
