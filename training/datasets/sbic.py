"""Social Bias Frames v2: offensiveness, lewdness and targeted groups as annotator means."""

from __future__ import annotations

import csv
import json
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


def _minorities(cell: str) -> list[object]:
    try:
        value = json.loads(cell)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _share(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def sbic_row(
    *, offensive: float, lewd: float | None, group_target: float | None, minorities: list[object]
) -> LabelRow | None:
    """Labels of one aggregated SBIC post, or ``None`` when the post is dropped.

    ``offensiveYN >= 0.5`` -> toxic; ``== 0`` -> all 0; in between (a minority of annotators
    found it offensive) dropped. For an offensive post, ``sexYN >= 0.5`` -> obscene 1 (lewd
    content; below that obscene stays unknown, since profanity without sex is not "lewd") and
    ``whoTarget >= 0.5`` with at least one target minority -> identity_hate 1 (otherwise
    unknown). ``hasBiasedImplication`` is not read: it is 1 when **no** stereotype was written,
    and the target minorities already say whether a group is attacked.
    """
    if offensive == 0.0:
        return _not_toxic()
    if offensive < 0.5:
        return None
    row = _row(toxic=1.0)
    if lewd is not None and lewd >= 0.5:
        row["obscene"] = 1.0
    if group_target is not None and group_target >= 0.5 and minorities:
        row["identity_hate"] = 1.0
    return row


def load_sbic(data_dir: DataDir = None) -> LabeledSet:
    """SBIC v2 aggregated dev and test posts (Reddit, Twitter, Gab, Stormfront): :func:`sbic_row`.

    The per-annotator file is not read (the aggregated files already hold the means). Posts
    keep their HTML entities (``&amp;``), as in the Davidson copy they share posts with.
    """
    folder = resolve_data_dir(data_dir) / "sbic_dev_test"
    rows: list[tuple[str, LabelRow]] = []
    dropped = 0
    for name in ("SBIC.v2.agg.dev.csv.gz", "SBIC.v2.agg.tst.csv.gz"):
        with _open_text(folder / name) as handle:
            for rec in csv.DictReader(handle):
                offensive = _share(rec["offensiveYN"])
                row = (
                    None
                    if offensive is None
                    else sbic_row(
                        offensive=offensive,
                        lewd=_share(rec["sexYN"]),
                        group_target=_share(rec["whoTarget"]),
                        minorities=_minorities(rec["targetMinority"]),
                    )
                )
                if row is None:
                    dropped += 1
                    continue
                rows.append((rec["post"], row))
    return _build(rows, "sbic", {"dropped_minority_offensive_or_malformed": dropped})


SOURCE: Final = Source(
    name="sbic",
    license="CC BY 4.0 (Social Bias Frames v2, LICENSE.txt)",
    load=load_sbic,
)
