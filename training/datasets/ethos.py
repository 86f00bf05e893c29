"""ETHOS YouTube and Reddit comments (binary and multi-label files)."""

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


def load_ethos(data_dir: DataDir = None) -> LabeledSet:
    """ETHOS YouTube/Reddit comments; ``isHate`` is the share of annotators who saw hate.

    ``isHate >= 0.5`` -> toxic, identity_hate; with the multi-label file (joined on the text),
    ``directed_vs_generalized >= 0.5`` -> insult 1 (else unknown) and ``violence >= 0.5`` ->
    threat 1 (else 0). ``isHate == 0`` -> all 0. Rows in between (a minority saw hate) are
    dropped rather than guessed.
    """
    folder = resolve_data_dir(data_dir) / "ethos"
    multi: dict[str, dict[str, float]] = {}
    with _open_text(folder / "Ethos_Dataset_Multi_Label.csv") as handle:
        for rec in csv.DictReader(handle, delimiter=";"):
            try:
                multi[rec["comment"]] = {
                    "violence": float(rec["violence"]),
                    "directed": float(rec["directed_vs_generalized"]),
                }
            except (TypeError, ValueError):
                continue
    rows: list[tuple[str, LabelRow]] = []
    dropped = 0
    with _open_text(folder / "Ethos_Dataset_Binary.csv") as handle:
        for rec in csv.DictReader(handle, delimiter=";"):
            try:
                share = float(rec["isHate"])
            except (TypeError, ValueError):
                dropped += 1
                continue
            if share == 0.0:
                rows.append((rec["comment"], _not_toxic()))
            elif share >= 0.5:
                row = _row(toxic=1.0, identity_hate=1.0)
                extra = multi.get(rec["comment"])
                if extra is not None:
                    row["threat"] = 1.0 if extra["violence"] >= 0.5 else 0.0
                    if extra["directed"] >= 0.5:
                        row["insult"] = 1.0
                rows.append((rec["comment"], row))
            else:
                dropped += 1
    return _build(rows, "ethos", {"dropped_minority_hate_or_malformed": dropped})


SOURCE: Final = Source(
    name="ethos",
    license="GPL-3.0 (intelligence-csd-auth-gr/Ethos-Hate-Speech-Dataset)",
    load=load_ethos,
)
