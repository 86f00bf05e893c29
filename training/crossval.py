"""k-fold cross-validation of any model on a :class:`~training.datasets.LabeledSet`.

A row's fold is a pure function of its split-group key, else its normalised text (the rule of
:func:`training.splits.split_of`), hashed with a salt of its own: an original and its
annotator-written perturbations, and duplicates of one text, always share a fold, so no fold is
scored on a near copy of a text it was trained on. The fold salt differs from the split salt on
purpose: rows of one split all fall in one band of the split hash, and cutting that band again
would give uneven folds.

A model is a :data:`FitPredict`: ``fit_predict(train, test_texts) -> (n, 6)`` probabilities.
Ready adapters: :func:`linear_fit_predict` (the shipped linear backend), :func:`lsa_fit_predict`
and :func:`word_vector_fit_predict` (:mod:`training.baselines`).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

from classifier.labels import LABELS
from classifier.text import normalize_text
from training.datasets import LabeledSet

#: Fit on the first argument, return float ``(len(test_texts), 6)`` probabilities, LABELS order.
FitPredict: TypeAlias = Callable[[LabeledSet, Sequence[str]], npt.NDArray[np.floating[Any]]]

#: Changing the salt reassigns every fold; ``seed`` is appended to it.
FOLD_SALT: Final = "toxmod-fold-v1"


def fold_key(text: str, group: str | None = None) -> str:
    """What decides a row's fold: its split-group key when it has one, else its normalised text
    (the same key :func:`training.splits.split_of` hashes)."""
    return group if group is not None else normalize_text(text)


def fold_of(key: str, k: int, seed: int = 0) -> int:
    """The fold (``0 .. k-1``) of a :func:`fold_key`: a salted SHA-256, stable across runs."""
    digest = hashlib.sha256(f"{FOLD_SALT}:{seed}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % k


def assign_folds(data: LabeledSet, k: int = 5, seed: int = 0) -> npt.NDArray[np.intp]:
    """The fold of every row of ``data``. Raises ``ValueError`` for ``k < 2``."""
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    return np.array(
        [
            fold_of(fold_key(text, group), k, seed)
            for text, group in zip(data.texts, data.groups, strict=True)
        ],
        dtype=np.intp,
    )


def label_roc_auc(y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> float | None:
    """ROC-AUC on the rows where the label is known (not NaN; >= 0.5 is positive).

    ``None`` when those rows hold one class only (or none).
    """
    truth = np.asarray(y_true, dtype=np.float64)
    score = np.asarray(y_score, dtype=np.float64)
    known = ~np.isnan(truth)
    y = truth[known] >= 0.5
    if not (y.any() and not y.all()):
        return None
    value = float(roc_auc_score(y, score[known]))
    return value if math.isfinite(value) else None


def cross_validate(
    data: LabeledSet,
    fit_predict: FitPredict,
    k: int = 5,
    seed: int = 0,
    *,
    progress: bool = False,
) -> dict[str, Any]:
    """Fit on k-1 folds, score the held-out fold, k times; per-label ROC-AUC per fold. JSON-able.

    Folds come from :func:`assign_folds` (groups and duplicate texts stay together; on small
    data a fold may be empty, and is then skipped). A label whose known rows in a held-out fold
    hold one class only is skipped for that fold. Returns::

        {"k", "seed", "rows",
         "folds": [{"fold", "train_rows", "test_rows", "seconds", "roc_auc": {label: float|None}}],
         "per_label": {label: {"folds": int, "mean": float|None, "std": float|None}},
         "out_of_fold_roc_auc": {label: float|None}}

    ``mean`` and ``std`` are over the folds that scored the label; ``std`` is the sample
    standard deviation (``ddof=1``), ``None`` with fewer than two such folds.
    ``out_of_fold_roc_auc`` pools every row's held-out score (rows of skipped folds excluded).
    Raises ``ValueError`` when ``fit_predict`` returns the wrong shape.
    """
    folds = assign_folds(data, k, seed)
    n_labels = len(LABELS)
    out_of_fold = np.full((len(data), n_labels), np.nan, dtype=np.float64)
    fold_results: list[dict[str, Any]] = []
    order: Any = range(k)
    if progress:
        from tqdm.auto import tqdm

        order = tqdm(order, desc=f"{k}-fold", unit="fold")
    for fold in order:
        test_rows = np.flatnonzero(folds == fold)
        train_rows = np.flatnonzero(folds != fold)
        if len(test_rows) == 0 or len(train_rows) == 0:
            continue
        test = data.subset(test_rows)
        started = time.perf_counter()
        scores = np.asarray(fit_predict(data.subset(train_rows), test.texts), dtype=np.float64)
        seconds = time.perf_counter() - started
        if scores.shape != (len(test_rows), n_labels):
            raise ValueError(
                f"fit_predict returned {scores.shape}, expected ({len(test_rows)}, {n_labels})"
            )
        out_of_fold[test_rows] = scores
        fold_results.append(
            {
                "fold": fold,
                "train_rows": len(train_rows),
                "test_rows": len(test_rows),
                "seconds": round(seconds, 3),
                "roc_auc": {
                    label: label_roc_auc(test.labels[:, j], scores[:, j])
                    for j, label in enumerate(LABELS)
                },
            }
        )
    per_label: dict[str, dict[str, Any]] = {}
    for label in LABELS:
        values = [r["roc_auc"][label] for r in fold_results if r["roc_auc"][label] is not None]
        per_label[label] = {
            "folds": len(values),
            "mean": float(np.mean(values)) if values else None,
            "std": float(np.std(values, ddof=1)) if len(values) >= 2 else None,
        }
    scored = ~np.isnan(out_of_fold[:, 0])
    return {
        "k": k,
        "seed": seed,
        "rows": len(data),
        "folds": fold_results,
        "per_label": per_label,
        "out_of_fold_roc_auc": {
            label: label_roc_auc(data.labels[scored, j], out_of_fold[scored, j])
            for j, label in enumerate(LABELS)
        },
    }


def _mean_std(summary: Mapping[str, Any]) -> str:
    if summary["mean"] is None:
        return "-"
    if summary["std"] is None:
        return f"{summary['mean']:.3f}"
    return f"{summary['mean']:.3f} ± {summary['std']:.3f}"


def crossval_markdown(result: Mapping[str, Any]) -> str:
    """A Markdown table of one :func:`cross_validate` result: per label, each fold's ROC-AUC,
    the mean ± std over folds and the pooled out-of-fold ROC-AUC (``-``: not scored)."""
    folds = [r["fold"] for r in result["folds"]]
    header = " | ".join(f"fold {fold}" for fold in folds)
    lines = [
        f"| label | {header} | mean ± std | out-of-fold |",
        "|---|" + "---:|" * (len(folds) + 2),
    ]
    for label in LABELS:
        cells = [
            "-" if r["roc_auc"][label] is None else f"{r['roc_auc'][label]:.3f}"
            for r in result["folds"]
        ]
        pooled = result["out_of_fold_roc_auc"][label]
        lines.append(
            f"| {label} | "
            + " | ".join(cells)
            + f" | {_mean_std(result['per_label'][label])} | "
            + ("-" if pooled is None else f"{pooled:.3f}")
            + " |"
        )
    return "\n".join(lines)


def crossval_comparison_markdown(results: Mapping[str, Mapping[str, Any]]) -> str:
    """A Markdown table of several models' :func:`cross_validate` results: per label, each
    model's ROC-AUC mean ± std over folds, with how many folds scored it when not all did."""
    names = list(results)
    lines = ["| label | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label in LABELS:
        cells = []
        for name in names:
            summary, k = results[name]["per_label"][label], results[name]["k"]
            partial = 0 < summary["folds"] < k
            cells.append(
                _mean_std(summary) + (f" ({summary['folds']} of {k} folds)" if partial else "")
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- adapters ---------------------------------------------------------------------------------


def linear_fit_predict(**options: Any) -> FitPredict:
    """The shipped linear backend (:func:`classifier.linear.train_linear` with ``options``,
    e.g. ``word_max_features``, ``char_max_features``, ``c``; no validation set, so its
    calibration is cross-fitted on the training rows; no progress bars)."""
    from classifier.linear import train_linear

    def fit_predict(train: LabeledSet, test_texts: Sequence[str]) -> npt.NDArray[np.float32]:
        backend = train_linear(train.texts, train.labels, progress=False, **options)
        return backend.predict_proba(test_texts)

    return fit_predict


def lsa_fit_predict(**options: Any) -> FitPredict:
    """:class:`training.baselines.LsaBaseline` with ``options`` (``n_components``, ...)."""
    from training.baselines import LsaBaseline

    def fit_predict(train: LabeledSet, test_texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return LsaBaseline(**options).fit(train.texts, train.labels).predict_proba(test_texts)

    return fit_predict


def word_vector_fit_predict(**options: Any) -> FitPredict:
    """:class:`training.baselines.WordVectorBaseline` with ``options`` (``pooling``, ...)."""
    from training.baselines import WordVectorBaseline

    def fit_predict(train: LabeledSet, test_texts: Sequence[str]) -> npt.NDArray[np.float32]:
        model = WordVectorBaseline(**options).fit(train.texts, train.labels)
        return model.predict_proba(test_texts)

    return fit_predict


def baseline_adapters(*, linear: bool = True, lsa_components: int = 300) -> dict[str, FitPredict]:
    """The models ``python -m training.baselines`` compares, by report name: ``lsa``,
    ``word_vectors`` and, when ``linear``, the shipped ``linear`` backend at its defaults."""
    models: dict[str, FitPredict] = {
        "lsa": lsa_fit_predict(n_components=lsa_components),
        "word_vectors": word_vector_fit_predict(),
    }
    if linear:
        models["linear"] = linear_fit_predict()
    return models
