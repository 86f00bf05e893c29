"""HatemojiBuild: emoji-based hate and its contrast perturbations."""

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
    resolve_data_dir,
)
from training.datasets.dynahate import contrast_set_row


def load_hatemoji(data_dir: DataDir = None) -> LabeledSet:
    """HatemojiBuild (Kirk et al., NAACL 2022): train, validation and test rows.

    Mapping as DynaHate (:func:`~training.datasets.dynahate.contrast_set_row`) on
    ``label_gold`` (1 hate) and ``type``. Each original is paired with one perturbation
    (``matched_id``); both get the group key ``hatemoji:<original entry_id>`` so the pair lands
    in one split. Rows with an unreadable label are dropped.
    """
    folder = resolve_data_dir(data_dir) / "hatemoji_build"
    rows: list[tuple[str, LabelRow]] = []
    groups: list[str | None] = []
    dropped = 0
    for name in ("train.csv.gz", "validation.csv.gz", "test.csv.gz"):
        with _open_text(folder / name) as handle:
            for rec in csv.DictReader(handle):
                label = rec["label_gold"].strip()
                if label not in ("0", "1"):
                    dropped += 1
                    continue
                rows.append(
                    (rec["text"], contrast_set_row(hate=label == "1", hate_type=rec["type"]))
                )
                matched = rec["matched_id"].strip()
                if not matched:
                    groups.append(None)
                elif rec["set"].strip() == "original":
                    groups.append(f"hatemoji:{rec['entry_id'].strip()}")
                else:
                    groups.append(f"hatemoji:{matched}")
    return _build(rows, "hatemoji", {"dropped_unknown_label": dropped}, groups=groups)


SOURCE: Final = Source(
    name="hatemoji",
    license="CC BY 4.0 (HannahKirk/Hatemoji, HatemojiBuild)",
    load=load_hatemoji,
)
