"""Gab Hate Corpus, train and test posts."""

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


def load_gab(data_dir: DataDir = None) -> LabeledSet:
    """Gab Hate Corpus (train and test): binary majority labels ``hd``, ``cv``, ``vo``.

    toxic = any of the three; refinement: each of the three is a label the annotators judged
    on every post, so identity_hate = hd, threat = cv and obscene = vo are known (0 or 1) on
    every row; insult and severe_toxic stay unknown unless the post is not toxic at all.
    """
    folder = resolve_data_dir(data_dir) / "gab_hate_corpus"
    rows: list[tuple[str, LabelRow]] = []
    for name in ("ghc_train.tsv.gz", "ghc_test.tsv.gz"):
        with _open_text(folder / name) as handle:
            for rec in csv.DictReader(handle, delimiter="\t"):
                hd, cv, vo = (float(rec[k] or 0) for k in ("hd", "cv", "vo"))
                toxic = max(hd, cv, vo)
                if toxic == 0.0:
                    rows.append((rec["text"], _not_toxic()))
                else:
                    rows.append(
                        (rec["text"], _row(toxic=1.0, identity_hate=hd, threat=cv, obscene=vo))
                    )
    return _build(rows, "gab")


SOURCE: Final = Source(
    name="gab",
    license="see OSF osf.io/edua3 (Kennedy et al., Gab Hate Corpus)",
    load=load_gab,
)
