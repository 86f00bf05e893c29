"""HatemojiBuild: emoji-based hate and its contrast perturbations."""

from __future__ import annotations

from typing import Final

from training.datasets.base import (
    DataDir,
    LabeledSet,
    Source,
    resolve_data_dir,
)
from training.datasets.dynahate import ContrastColumns, load_contrast_set


def load_hatemoji(data_dir: DataDir = None) -> LabeledSet:
    """HatemojiBuild (Kirk et al., NAACL 2022): train, validation and test rows.

    Mapping as DynaHate (:func:`~training.datasets.dynahate.contrast_set_row`) on
    ``label_gold`` (1 hate) and ``type``. Each original is paired with one perturbation
    (``matched_id``); both get the group key ``hatemoji:<original entry_id>`` so the pair lands
    in one split. Rows with an unreadable label are dropped.
    """
    return load_contrast_set(
        resolve_data_dir(data_dir) / "hatemoji_build",
        ("train.csv.gz", "validation.csv.gz", "test.csv.gz"),
        source="hatemoji",
        columns=ContrastColumns("label_gold", "1", "0", "entry_id", "matched_id", "set"),
    )


SOURCE: Final = Source(
    name="hatemoji",
    license="CC BY 4.0 (HannahKirk/Hatemoji, HatemojiBuild)",
    load=load_hatemoji,
)
