"""CAT: Wikipedia talk comments labelled toxic or not, with and without their parent comment."""

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


def _cat_row(label: str) -> LabelRow | None:
    if label == "1":
        return _row(toxic=1.0)
    if label == "0":
        return _not_toxic()
    return None


def load_wikipedia_cat(data_dir: DataDir = None) -> LabeledSet:
    """CAT (Pavlopoulos et al., ACL 2020): crowd majority ``toxic`` on Wikipedia talk comments.

    Our model scores a comment without its parent, so only labels judged **without** context
    are used: ``CAT_LARGE_gn`` (10k comments, 58 toxic): 1 -> toxic (the rest unknown), 0 ->
    all 0. These rows are a random sample of talk comments, so they are marked ``natural``.

    ``CAT_SMALL`` carries both judgements of each comment; its out-of-context label
    (``label_oc``) is the same kind of label as ``gn`` and is used the same way. Its rows are
    **not** marked ``natural``: 12.7 % of them are toxic against 0.6 % in ``gn``, so the sample
    is enriched and would skew thresholds chosen on realistic traffic.

    ``CAT_LARGE_gc`` is not used: its labels were judged with the parent visible, and on a
    sample of the same size 149 comments are toxic against 58 without context, so most of its
    positives are toxic only next to a parent the model never sees (and CAT_SMALL shows labels
    flipping both ways). Keeping only its negatives would give it a wrong prevalence.
    ``api`` (a machine score) is never a label. Comments with an unreadable label are dropped.
    """
    folder = resolve_data_dir(data_dir) / "wikipedia_cat"
    rows: list[tuple[str, LabelRow]] = []
    natural: list[bool] = []
    dropped = 0
    with _open_text(folder / "CAT_LARGE_gn.csv.gz") as handle:
        for rec in csv.DictReader(handle):
            row = _cat_row(rec["label"].strip())
            if row is None:
                dropped += 1
                continue
            rows.append((rec["text"], row))
            natural.append(True)
    with _open_text(folder / "CAT_SMALL.csv.gz") as handle:
        for rec in csv.DictReader(handle):
            row = _cat_row(rec["label_oc"].strip())
            if row is None:
                dropped += 1
                continue
            rows.append((rec["text"], row))
            natural.append(False)
    return _build(rows, "wikipedia_cat", {"dropped_unreadable_label": dropped}, natural=natural)


SOURCE: Final = Source(
    name="wikipedia_cat",
    license="Apache-2.0 (ipavlopoulos/context_toxicity, CAT)",
    load=load_wikipedia_cat,
)
