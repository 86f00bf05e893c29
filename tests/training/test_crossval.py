from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest

from classifier.labels import LABELS
from training.crossval import (
    FitPredict,
    assign_folds,
    cross_validate,
    crossval_comparison_markdown,
    crossval_markdown,
    fold_of,
    linear_fit_predict,
)
from training.datasets import LabeledSet

N = float("nan")
TOXIC, INSULT, THREAT = LABELS.index("toxic"), LABELS.index("insult"), LABELS.index("threat")


def _rows(n: int) -> LabeledSet:
    """Alternating harmless and insulting comments; threat unknown everywhere."""
    texts, labels = [], []
    for i in range(n):
        rude = i % 2 == 1
        texts.append(f"comment {i}: " + ("you are a silly fool" if rude else "thanks for the edit"))
        value = 1.0 if rude else 0.0
        labels.append([value, 0.0, 0.0, N, value, 0.0])
    return LabeledSet(texts, np.array(labels, dtype=np.float32), ["toy"] * n)


def _recording(seen: list[list[str]]) -> FitPredict:
    def fit_predict(train: LabeledSet, test_texts: Sequence[str]) -> np.ndarray:
        seen.append(list(test_texts))
        assert not set(train.texts) & set(test_texts)
        return np.full((len(test_texts), len(LABELS)), 0.5, dtype=np.float32)

    return fit_predict


def test_every_row_is_scored_exactly_once() -> None:
    data = _rows(300)
    seen: list[list[str]] = []
    result = cross_validate(data, _recording(seen), k=5, seed=0)
    assert len(seen) == 5
    assert Counter(text for fold in seen for text in fold) == Counter(data.texts)
    assert [r["test_rows"] for r in result["folds"]] == [len(fold) for fold in seen]
    assert all(r["train_rows"] + r["test_rows"] == 300 for r in result["folds"])
    assert sorted(set(assign_folds(data, 5).tolist())) == [0, 1, 2, 3, 4]


def test_groups_and_duplicate_texts_share_a_fold() -> None:
    texts = [
        f"original {g}" if i == 0 else f"perturbed {g} v{i}" for g in range(40) for i in (0, 1, 2)
    ]
    groups: list[str | None] = [f"group-{g}" for g in range(40) for _ in range(3)]
    texts += ["you   are nice", "you are nice\u200b", "you are nice"]
    groups += [None, None, None]
    data = LabeledSet(
        texts, np.zeros((len(texts), len(LABELS)), np.float32), ["toy"] * len(texts), groups=groups
    )
    folds = assign_folds(data, k=5, seed=0)
    for g in range(40):
        assert len(set(folds[3 * g : 3 * g + 3].tolist())) == 1
    assert len(set(folds[-3:].tolist())) == 1
    assert len(set(folds[:120:3].tolist())) > 1  # the groups themselves are spread out
    # Stable: the same key always lands in the same fold; another seed reshuffles.
    assert fold_of("group-0", 5) == folds[0]
    assert assign_folds(data, 5, seed=1).tolist() != folds.tolist()


def test_k_below_two_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        assign_folds(_rows(10), k=1)


def test_mean_and_std_over_folds() -> None:
    data = _rows(400)
    truth = {text: data.labels[i] for i, text in enumerate(data.texts)}
    calls: list[int] = []

    def fit_predict(train: LabeledSet, test_texts: Sequence[str]) -> np.ndarray:
        y = np.nan_to_num(np.array([truth[t] for t in test_texts]), nan=0.0)
        calls.append(len(calls))
        # Fold by fold: perfect (AUC 1), inverted (0), then uninformative (0.5, 0.5).
        return [y, 1.0 - y, np.full_like(y, 0.5), np.full_like(y, 0.5)][len(calls) - 1]

    result = cross_validate(data, fit_predict, k=4, seed=0)
    assert [r["roc_auc"]["toxic"] for r in result["folds"]] == [1.0, 0.0, 0.5, 0.5]
    toxic = result["per_label"]["toxic"]
    assert toxic["folds"] == 4
    assert toxic["mean"] == pytest.approx(0.5)
    assert toxic["std"] == pytest.approx(np.sqrt(0.5 / 3))  # sample std, ddof=1
    assert result["per_label"]["threat"] == {"folds": 0, "mean": None, "std": None}
    assert result["out_of_fold_roc_auc"]["threat"] is None
    table = crossval_markdown(result)
    assert "| toxic | 1.000 | 0.000 | 0.500 | 0.500 | 0.500 ± 0.408 |" in table
    assert "| threat | - | - | - | - | - | - |" in table
    both = crossval_comparison_markdown({"a": result, "b": result})
    assert "| toxic | 0.500 ± 0.408 | 0.500 ± 0.408 |" in both


def test_a_fold_with_one_class_is_skipped_for_that_label() -> None:
    data = _rows(200)
    folds = assign_folds(data, k=4, seed=0)
    # insult is positive only in fold 0: the other folds cannot score it.
    data.labels[:, INSULT] = np.where((folds == 0) & (np.arange(200) % 2 == 1), 1.0, 0.0)
    data.labels[np.arange(200) % 7 == 0, INSULT] = N

    def perfect(train: LabeledSet, test_texts: Sequence[str]) -> np.ndarray:
        rows = [data.texts.index(t) for t in test_texts]
        return np.nan_to_num(data.labels[rows], nan=0.0)

    result = cross_validate(data, perfect, k=4, seed=0)
    insult = result["per_label"]["insult"]
    assert insult == {"folds": 1, "mean": 1.0, "std": None}
    assert [r["roc_auc"]["insult"] for r in result["folds"]][1:] == [None, None, None]
    assert result["per_label"]["toxic"]["mean"] == 1.0
    assert result["per_label"]["toxic"]["std"] == 0.0
    table = crossval_comparison_markdown({"perfect": result})
    assert "| insult | 1.000 (1 of 4 folds) |" in table
    assert "| toxic | 1.000 ± 0.000 |" in table


def test_wrong_shape_from_the_model_is_an_error() -> None:
    def broken(train: LabeledSet, test_texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(test_texts), 2))

    with pytest.raises(ValueError, match="expected"):
        cross_validate(_rows(50), broken, k=2)


def test_linear_backend_cross_validates_on_toy_rows() -> None:
    data = _rows(240)
    fit_predict = linear_fit_predict(word_max_features=500, char_max_features=500)
    result = cross_validate(data, fit_predict, k=3, seed=0)
    assert result["per_label"]["toxic"]["folds"] == 3
    assert result["per_label"]["toxic"]["mean"] > 0.9
    assert result["out_of_fold_roc_auc"]["insult"] > 0.9
