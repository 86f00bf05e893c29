from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from classifier.backend import ToxicityBackend
from classifier.labels import LABELS
from classifier.linear import LinearBackend, train_linear

Corpus = tuple[list[str], npt.NDArray[np.float32]]

TOXIC, SEVERE, OBSCENE, THREAT, INSULT, IDENTITY = range(6)


def test_tiny_model_implements_the_backend_protocol(tiny_backend: LinearBackend) -> None:
    assert isinstance(tiny_backend, ToxicityBackend)
    assert tiny_backend.name == "linear"
    proba = tiny_backend.predict_proba(["you stupid idiot", "thanks for the edit"])
    assert proba.dtype == np.float32
    assert proba.shape == (2, len(LABELS))
    assert ((proba >= 0) & (proba <= 1)).all()


def test_tiny_model_ranks_abuse_above_neutral_text(tiny_backend: LinearBackend) -> None:
    abusive, threat, neutral = tiny_backend.predict_proba(
        ["you pathetic stupid moron", "I will hurt you", "thanks, the source looks good"]
    )
    assert abusive[TOXIC] > neutral[TOXIC]
    assert abusive[INSULT] > neutral[INSULT]
    assert threat[THREAT] > abusive[THREAT]


@pytest.mark.parametrize(
    "text",
    ["", " ", "\x00", "\ud800", "🙂" * 50, "a" * 200_000, "word " * 50_000, "<script>x</script>"],
)
def test_odd_and_long_text_is_scored_not_rejected(tiny_backend: LinearBackend, text: str) -> None:
    proba = tiny_backend.predict_proba([text])
    assert proba.shape == (1, len(LABELS))
    assert np.isfinite(proba).all()


def test_no_texts_gives_an_empty_matrix(tiny_backend: LinearBackend) -> None:
    assert tiny_backend.predict_proba([]).shape == (0, len(LABELS))


def test_label_never_known_or_with_one_class_is_a_constant_prior(tiny_corpus: Corpus) -> None:
    texts, labels = tiny_corpus
    labels[:, SEVERE] = np.nan  # never known
    labels[:, OBSCENE] = np.where(np.isnan(labels[:, OBSCENE]), np.nan, 0.0)  # one class
    backend = train_linear(texts, labels, progress=False)
    assert backend.label_status["severe_toxic"] == "constant"
    assert backend.label_status["obscene"] == "constant"
    assert backend.label_status["toxic"] == "trained"
    proba = backend.predict_proba(["damn crap", "thank you"])
    assert (proba[:, SEVERE] == 0.0).all()
    assert (proba[:, OBSCENE] == 0.0).all()


def test_constant_prior_is_the_share_of_known_positives(tiny_corpus: Corpus) -> None:
    texts, labels = tiny_corpus
    labels[:, THREAT] = np.nan
    labels[0, THREAT] = 1.0  # one positive, two negatives known: too few to learn
    labels[1:3, THREAT] = 0.0
    backend = train_linear(texts, labels, progress=False)
    assert backend.label_status["threat"] == "constant"
    assert backend.predict_proba(["anything"])[0, THREAT] == pytest.approx(1 / 3)


def test_masked_labels_are_left_out_of_training(tiny_corpus: Corpus) -> None:
    texts, labels = tiny_corpus
    masked = [
        "stupid idiot moron, a stupid idiot",
        "moron idiot stupid",
        "idiot stupid moron again",
    ]
    masked_texts = texts + masked
    as_nan = np.vstack([labels, np.tile(labels[0], (3, 1))]).astype(np.float32)
    as_nan[-3:, INSULT] = np.nan
    as_zero = as_nan.copy()
    as_zero[-3:, INSULT] = 0.0
    nan_model = train_linear(masked_texts, as_nan, progress=False)
    zero_model = train_linear(masked_texts, as_zero, progress=False)

    assert nan_model.info["labels"]["insult"]["known"] == len(masked_texts) - 1 - 3
    assert zero_model.info["labels"]["insult"]["known"] == len(masked_texts) - 1
    probe = ["stupid idiot moron"]
    # Read as negatives, the masked rows would have taught "these words are not insults".
    assert nan_model.predict_proba(probe)[0, INSULT] > zero_model.predict_proba(probe)[0, INSULT]
    # The toxic label knows every row, so masking insult leaves it untouched.
    np.testing.assert_allclose(nan_model.coef[:, TOXIC], zero_model.coef[:, TOXIC])


def test_training_is_deterministic_and_calibrates_on_validation(tiny_corpus: Corpus) -> None:
    texts, labels = tiny_corpus
    val_texts = ["you idiot moron", "thanks for the nice edit", "stupid loser", "see you friday"]
    val_labels = np.array(
        [[1, np.nan, 0, 0, 1, 0], [0] * 6, [1, np.nan, 0, 0, 1, 0], [0] * 6], dtype=np.float32
    )
    first = train_linear(texts, labels, validation=(val_texts, val_labels), progress=False)
    second = train_linear(texts, labels, validation=(val_texts, val_labels), progress=False)
    assert first.info["labels"]["toxic"]["calibration"] == "validation"
    np.testing.assert_array_equal(first.predict_proba(texts), second.predict_proba(texts))
    # Platt scaling keeps the ranking: the slope is positive.
    assert (first.calibration[:, 0] > 0).all()


def test_label_matrix_must_fit_the_texts(tiny_corpus: Corpus) -> None:
    texts, labels = tiny_corpus
    with pytest.raises(ValueError, match="labels must be"):
        train_linear(texts, labels[:, :5], progress=False)


def test_all_empty_texts_still_train_a_constant_model() -> None:
    labels = np.array([[1, 0, 0, 0, 0, 0]] * 3 + [[0] * 6] * 3, dtype=np.float32)
    backend = train_linear([""] * 6, labels, progress=False)
    assert backend.label_status["toxic"] == "constant"
    assert backend.predict_proba(["anything"])[0, TOXIC] == pytest.approx(0.5)
