"""Tiny made-up corpora and models shared by the classifier tests."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from classifier.linear import LinearBackend, train_linear

N = float("nan")

#: (text, toxic, severe_toxic, obscene, threat, insult, identity_hate); made-up strings only.
TINY_ROWS: list[tuple[str, float, float, float, float, float, float]] = [
    ("you are a stupid idiot", 1, N, 0, 0, 1, 0),
    ("what an idiot, total moron", 1, N, 0, 0, 1, 0),
    ("shut up you pathetic moron", 1, N, 0, 0, 1, 0),
    ("stupid idiot moron loser", 1, N, 0, 0, 1, 0),
    ("I will hurt you and your family", 1, N, 0, 1, 0, 0),
    ("I am going to hurt you badly", 1, N, 0, 1, 0, 0),
    ("this damn crap is shit", 1, N, 1, 0, 0, 0),
    ("what the hell, crap and shit", 1, N, 1, 0, 0, 0),
    ("you loser, nobody likes you", 1, N, N, N, 1, N),
    ("get lost, idiot", 1, N, N, N, N, N),
    ("thank you for the helpful edit", 0, 0, 0, 0, 0, 0),
    ("the article needs a better source", 0, 0, 0, 0, 0, 0),
    ("I agree with the proposed change", 0, 0, 0, 0, 0, 0),
    ("nice photo of the garden today", 0, 0, 0, 0, 0, 0),
    ("the meeting is moved to friday", 0, 0, 0, 0, 0, 0),
    ("please add a citation for this claim", 0, 0, 0, 0, 0, 0),
    ("good point, thanks for explaining", 0, 0, 0, 0, 0, 0),
    ("the weather was lovely this weekend", 0, 0, 0, 0, 0, 0),
    ("can you review my draft later", 0, 0, 0, 0, 0, 0),
    ("welcome to the project, glad you joined", 0, 0, 0, 0, 0, 0),
]


Corpus = tuple[list[str], npt.NDArray[np.float32]]


def _corpus() -> Corpus:
    texts = [row[0] for row in TINY_ROWS]
    labels = np.array([row[1:] for row in TINY_ROWS], dtype=np.float32)
    return texts, labels


@pytest.fixture
def tiny_corpus() -> Corpus:
    """Twenty made-up texts and their labels (a fresh copy per test: tests edit it)."""
    return _corpus()


@pytest.fixture(scope="session")
def tiny_backend() -> LinearBackend:
    texts, labels = _corpus()
    return train_linear(texts, labels, progress=False)
