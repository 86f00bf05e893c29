"""Jigsaw 2018 training comments (Wikipedia talk) with all six labels."""

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

#: A ``source_files`` entry with this in its name is the 5k random sample (natural prevalence).
NATURAL_SAMPLE_MARK: Final = "train.5k"


def load_jigsaw_train(data_dir: DataDir = None) -> LabeledSet:
    """9,865 Jigsaw 2018 train comments pooled from several subsets, all six labels as given.

    The only public set with hundreds of ``severe_toxic`` positives (340). Most rows come from
    toxic-enriched samples; rows whose ``source_files`` include the 5k random sample
    (``train.5k``) are drawn at natural prevalence and marked ``natural``. ``is_bad`` is
    derived from the six labels and not read. As for every source, ``toxic == 0`` sets the
    other five to 0: the source marks about a hundred not-toxic comments obscene or insulting
    (a sub-label voted on its own), so this set has fewer obscene (1,651), insult (1,549),
    identity_hate (267) and threat (74) positives than the raw columns.
    """
    path = resolve_data_dir(data_dir) / "jigsaw_train_subsets" / "jigsaw_train_subsets.csv.gz"
    rows: list[tuple[str, LabelRow]] = []
    natural: list[bool] = []
    with _open_text(path) as handle:
        for rec in csv.DictReader(handle):
            rows.append((rec["comment_text"], {label: float(rec[label]) for label in LABELS}))
            natural.append(NATURAL_SAMPLE_MARK in rec["source_files"])
    return _build(rows, "jigsaw_train", natural=natural)


SOURCE: Final = Source(
    name="jigsaw_train",
    license="Jigsaw data CC0, text CC BY-SA (Wikipedia) (predibase/llm_distillation_playbook)",
    load=load_jigsaw_train,
)
