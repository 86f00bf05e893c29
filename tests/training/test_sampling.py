from __future__ import annotations

import numpy as np

from classifier.labels import LABELS
from training.datasets import LabeledSet
from training.pipeline import _sample

N = float("nan")
THREAT = LABELS.index("threat")


def _source(name: str, rows: int, threats: int) -> LabeledSet:
    labels = np.zeros((rows, len(LABELS)), dtype=np.float32)
    labels[:threats, THREAT] = 1.0
    labels[threats:, THREAT] = N  # unknown is not positive
    return LabeledSet(
        texts=[f"{name} comment {i}" for i in range(rows)],
        labels=labels,
        sources=[name] * rows,
    )


def _both() -> LabeledSet:
    big, small = _source("big", 1000, 12), _source("small", 30, 2)
    return LabeledSet(
        texts=big.texts + small.texts,
        labels=np.vstack([big.labels, small.labels]),
        sources=big.sources + small.sources,
    )


def _threats(data: LabeledSet, source: str) -> int:
    rows = np.asarray(data.sources) == source
    return int((data.labels[rows, THREAT] == 1.0).sum())


def test_the_cap_keeps_a_rare_labels_positives_first() -> None:
    data = _both()
    plain = _sample(data, None, per_source=100)
    kept = _sample(data, None, per_source=100, keep_positives=("threat",))
    for sample in (plain, kept):
        assert sample.sources.count("big") == 100
        assert sample.sources.count("small") == 30  # under the cap: every row
    assert _threats(kept, "big") == 12
    assert _threats(plain, "big") < 12  # about 1.2 expected at random
    # The rest of the cap is a random fill, the same for the same seed.
    again = _sample(data, None, per_source=100, keep_positives=("threat",))
    assert kept.texts == again.texts


def test_positives_beyond_the_cap_are_themselves_sampled() -> None:
    kept = _sample(_both(), None, per_source=5, keep_positives=("threat", "severe_toxic"))
    assert kept.sources.count("big") == 5
    assert _threats(kept, "big") == 5


def test_no_cap_ignores_keep_positives() -> None:
    data = _both()
    assert _sample(data, None, keep_positives=("threat",)).texts == data.texts
