"""Implicit Hate (SALT-NLP) tweets with stage-2 subtypes."""

from __future__ import annotations

import csv
from collections import defaultdict
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


def load_implicit_hate(data_dir: DataDir = None) -> LabeledSet:
    """Implicit Hate (SALT-NLP) tweets, lower-cased by the authors.

    not_hate -> all 0; implicit_hate and explicit_hate -> toxic, identity_hate. Stage-2 subtypes
    join on the post text: ``threatening`` (as main or extra class) -> threat 1; refinement: a
    post with another stage-2 subtype -> threat 0 (its annotators chose a non-threat subtype).
    """
    folder = resolve_data_dir(data_dir) / "implicit_hate"
    subtypes: dict[str, set[str]] = defaultdict(set)
    with _open_text(folder / "implicit_hate_v1_stg2_posts.tsv.gz") as handle:
        for rec in csv.DictReader(handle, delimiter="\t"):
            subtypes[rec["post"]].update(
                s for s in (rec["implicit_class"], rec["extra_implicit_class"]) if s
            )
    rows: list[tuple[str, LabelRow]] = []
    dropped = 0
    with _open_text(folder / "implicit_hate_v1_stg1_posts.tsv.gz") as handle:
        for rec in csv.DictReader(handle, delimiter="\t"):
            cls = rec["class"]
            if cls == "not_hate":
                rows.append((rec["post"], _not_toxic()))
            elif cls in ("implicit_hate", "explicit_hate"):
                row = _row(toxic=1.0, identity_hate=1.0)
                found = subtypes.get(rec["post"])
                if found:
                    row["threat"] = 1.0 if "threatening" in found else 0.0
                rows.append((rec["post"], row))
            else:
                dropped += 1
    return _build(rows, "implicit_hate", {"dropped_unknown_class": dropped})


SOURCE: Final = Source(
    name="implicit_hate",
    license="MIT (SALT-NLP/implicit-hate)",
    load=load_implicit_hate,
)
