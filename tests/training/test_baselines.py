from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from classifier.labels import LABELS
from training.baselines import (
    LsaBaseline,
    MaskedLabelBaseline,
    WordVectorBaseline,
    baseline_comparison,
    comparison_markdown,
)
from training.crossval import lsa_fit_predict, word_vector_fit_predict
from training.datasets import LabeledSet

N = float("nan")
TOXIC, SEVERE, OBSCENE, THREAT, INSULT, IDENTITY = range(6)

_SUBJECTS = ["you", "your friend", "this editor", "that reviewer", "the author", "he", "she"]
_KIND = [
    "is a great help",
    "made a helpful edit",
    "wrote a thoughtful reply",
    "is very kind",
    "fixed the broken link",
    "added a useful source",
    "explained the rule clearly",
]
_RUDE = [
    "is a stupid idiot",
    "is a pathetic moron",
    "wrote dumb garbage",
    "is an ignorant fool",
    "is a worthless clown",
    "is an idiotic loser",
    "wrote brainless nonsense",
]
_ENDINGS = ["", " today", " again", " as usual", " on this page", " in the talk thread"]


def _toy(n: int, seed: int) -> LabeledSet:
    """Half kind, half rude comments; rude ones are toxic and insults, kind ones are neither."""
    rng = random.Random(seed)
    texts: list[str] = []
    rows: list[list[float]] = []
    for i in range(n):
        rude = i % 2 == 1
        verb = rng.choice(_RUDE if rude else _KIND)
        texts.append(f"{rng.choice(_SUBJECTS)} {verb}{rng.choice(_ENDINGS)} #{i}")
        value = 1.0 if rude else 0.0
        # severe_toxic, threat and identity_hate are never positive in the toy data.
        rows.append([value, 0.0, N, 0.0, value, N])
    return LabeledSet(
        texts=texts,
        labels=np.array(rows, dtype=np.float32),
        sources=["toy"] * n,
    )


def _auc(data: LabeledSet, scores: np.ndarray, column: int) -> float:
    known = ~np.isnan(data.labels[:, column])
    return float(roc_auc_score(data.labels[known, column] >= 0.5, scores[known, column]))


MODELS = [
    pytest.param(lambda: LsaBaseline(n_components=20), id="lsa"),
    pytest.param(lambda: WordVectorBaseline(), id="word_vectors"),
]


@pytest.mark.parametrize("make", MODELS)
def test_baseline_separates_kind_from_rude_comments(
    make: Callable[[], MaskedLabelBaseline],
) -> None:
    train, held_out = _toy(300, seed=1), _toy(120, seed=2)
    model = make().fit(train.texts, train.labels)
    scores = model.predict_proba(held_out.texts)
    assert scores.shape == (120, len(LABELS))
    assert scores.dtype == np.float32
    assert _auc(held_out, scores, TOXIC) > 0.9
    assert _auc(held_out, scores, INSULT) > 0.9


@pytest.mark.parametrize("make", MODELS)
def test_unknown_and_one_class_labels_predict_their_prior(
    make: Callable[[], MaskedLabelBaseline],
) -> None:
    train = _toy(200, seed=3)
    # obscene: known on a few rows only, one positive -> too few to fit, prior 1/4.
    train.labels[:4, OBSCENE] = [1.0, 0.0, 0.0, 0.0]
    # insult: unknown on most rows; the rest still teach it.
    train.labels[40:, INSULT] = N
    model = make().fit(train.texts, train.labels)
    scores = model.predict_proba(["you made a helpful edit", "you are a stupid idiot"])
    assert np.isfinite(scores).all()
    assert ((scores >= 0.0) & (scores <= 1.0)).all()
    assert scores[:, SEVERE].tolist() == [0.0, 0.0]  # never positive
    assert scores[:, THREAT].tolist() == [0.0, 0.0]
    assert scores[:, IDENTITY].tolist() == [0.0, 0.0]  # never known
    assert scores[:, OBSCENE].tolist() == pytest.approx([0.25, 0.25])
    assert scores[1, INSULT] > scores[0, INSULT]
    assert scores[1, TOXIC] > scores[0, TOXIC]


def test_baselines_normalise_text_like_the_backends() -> None:
    train = _toy(200, seed=4)
    model = LsaBaseline(n_components=20).fit(train.texts, train.labels)
    plain, hidden = model.predict_proba(["he is a stupid idiot", "he is a 5tup1d 1d10t"])
    assert hidden == pytest.approx(plain)


def test_lsa_fits_on_a_handful_of_rows_and_empty_texts() -> None:
    labels = np.array([[1, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0]] * 2, dtype=np.float32)
    model = LsaBaseline().fit(["idiot", "thanks", "fool", "hello"], labels)
    scores = model.predict_proba(["", "idiot fool", "   "])
    assert scores.shape == (3, len(LABELS))
    assert np.isfinite(scores).all()
    empty = LsaBaseline().fit(["", "  "], np.zeros((2, len(LABELS)), dtype=np.float32))
    assert empty.predict_proba(["anything"]).tolist() == [[0.0] * len(LABELS)]


def test_word_vectors_give_empty_text_a_score_and_reject_unknown_pooling() -> None:
    train = _toy(100, seed=5)
    model = WordVectorBaseline(pooling=["mean"]).fit(train.texts, train.labels)
    assert model.embed([""]).tolist() == [[0.0] * 384]
    assert np.isfinite(model.predict_proba(["", "\u200b"])).all()
    with pytest.raises(ValueError, match="pooling"):
        WordVectorBaseline(pooling=["median"])


def test_fit_checks_labels_and_predict_needs_fit() -> None:
    with pytest.raises(ValueError, match="labels must be"):
        LsaBaseline().fit(["a", "b"], np.zeros((3, len(LABELS)), dtype=np.float32))
    model: MaskedLabelBaseline = WordVectorBaseline()
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict_proba(["hello"])


def test_comparison_reports_holdout_auc_per_label() -> None:
    train, holdout = _toy(240, seed=6), _toy(80, seed=7)
    comparison = baseline_comparison(
        train,
        holdout,
        {
            "lsa": lsa_fit_predict(n_components=20),
            "word_vectors": word_vector_fit_predict(pooling=("mean",)),
        },
    )
    assert comparison["train_rows"] == 240
    assert comparison["holdout_rows"] == 80
    for name in ("lsa", "word_vectors"):
        result = comparison["models"][name]
        assert result["roc_auc"]["toxic"] > 0.9
        assert result["roc_auc"]["insult"] > 0.9
        assert result["roc_auc"]["threat"] is None  # one class only in the holdout
        assert result["roc_auc"]["obscene"] is None  # never known
        assert result["positives"]["toxic"] == 40
        assert result["per_source_roc_auc"]["toy"]["toxic"] == result["roc_auc"]["toxic"]
    table = comparison_markdown(comparison)
    assert table.splitlines()[0] == "| label | holdout positives | lsa | word_vectors |"
    assert "| threat | 0 | - | - |" in table
