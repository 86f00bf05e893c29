"""The linear backend: TF-IDF word and char n-grams, per label a calibrated linear model.

Fast on a CPU, small on disk and easy to retrain; the baseline every heavier backend must beat.
Per label the weights come from a plain logistic regression or, where it scores better on the
validation split, an NB-LR ensemble (Naive-Bayes log-count-ratio scaled features, Wang & Manning
2012) folded back into one weight column; see ``train_linear``.

A :class:`LinearBackend` holds only plain arrays and lists (vocabularies, idf weights, one
coefficient column per label, Platt calibration), so that an artifact can store it without
pickling and rebuild exactly the same model; see :mod:`classifier.artifacts`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from classifier.explain import Contributions, word_units
from classifier.labels import LABELS
from classifier.text import AlignedText, normalize_text

FloatMatrix: TypeAlias = npt.NDArray[np.float32]
FloatVector: TypeAlias = npt.NDArray[np.float32]
LabelStatus: TypeAlias = Literal["trained", "constant"]

BACKEND_NAME: Final = "linear"

#: Feature extractors, stored with every model so that a later change of these defaults cannot
#: silently change how an older artifact reads text.
DEFAULT_FEATURES: Final[dict[str, dict[str, Any]]] = {
    "word": {
        "analyzer": "word",
        "ngram_range": [1, 2],
        "token_pattern": r"(?u)\b\w+\b",
        "lowercase": True,
        "sublinear_tf": True,
    },
    "char": {
        "analyzer": "char_wb",
        "ngram_range": [2, 5],
        "lowercase": True,
        "sublinear_tf": True,
    },
}

_N_LABELS: Final = len(LABELS)


def _make_vectorizer(settings: Mapping[str, Any], **extra: Any) -> TfidfVectorizer:
    options = dict(settings)
    options["ngram_range"] = tuple(options["ngram_range"])
    return TfidfVectorizer(dtype=np.float32, **options, **extra)


@dataclass(frozen=True)
class FeatureBlock:
    """One fitted TF-IDF extractor as plain data: settings, vocabulary (column order), idf."""

    settings: dict[str, Any]
    vocabulary: list[str]
    idf: FloatVector

    @property
    def n_features(self) -> int:
        return len(self.vocabulary)


#: Most words whose char n-gram columns are remembered for explanations (then it starts over):
#: about 10 MiB, and the common words come back within a few batches.
_WORD_GRAMS_MAX: Final = 30_000


def _char_wb_columns(word: str, low_n: int, high_n: int, vocabulary: dict[str, int]) -> list[int]:
    """Vocabulary columns of the char_wb n-grams of one word, as sklearn cuts them."""
    padded = " " + word + " "
    columns: list[int] = []
    for n in range(low_n, high_n + 1):
        start = 0
        grams = [padded[start : start + n]]
        while start + n < len(padded):
            start += 1
            grams.append(padded[start : start + n])
        for gram in grams:
            column = vocabulary.get(gram)
            if column is not None:
                columns.append(column)
        if start == 0:  # sklearn counts a word shorter than n once
            break
    return columns


#: Largest scored batch whose features are kept for explaining it (evaluation sets are not).
_REMEMBERED_BATCH_ROWS: Final = 4096


class LinearBackend:
    """TF-IDF (word 1-2-grams + char_wb 2-5-grams) -> per-label logistic regression -> Platt.

    ``predict_proba`` normalises its input with :func:`classifier.text.normalize_text` (which is
    idempotent, so already-normalised text is fine) and returns float32 ``(n, 6)`` in ``[0, 1]``.
    A label the training data could not teach (one class only, or never known) is predicted as
    the constant prior from ``constants`` (``NaN`` there for a trained label).
    """

    name: str = BACKEND_NAME

    def __init__(
        self,
        *,
        blocks: Sequence[FeatureBlock],
        coef: FloatMatrix,
        intercept: FloatVector,
        calibration: FloatMatrix,
        constants: FloatVector,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        n_features = sum(block.n_features for block in blocks)
        if coef.shape != (n_features, _N_LABELS):
            raise ValueError(f"coef shape {coef.shape} != ({n_features}, {_N_LABELS})")
        if intercept.shape != (_N_LABELS,) or constants.shape != (_N_LABELS,):
            raise ValueError("intercept and constants need one value per label")
        if calibration.shape != (_N_LABELS, 2):
            raise ValueError("calibration needs (slope, offset) per label")
        self.blocks: tuple[FeatureBlock, ...] = tuple(blocks)
        self.coef: FloatMatrix = np.ascontiguousarray(coef, dtype=np.float32)
        self.intercept: FloatVector = np.asarray(intercept, dtype=np.float32)
        self.calibration: FloatMatrix = np.asarray(calibration, dtype=np.float32)
        self.constants: FloatVector = np.asarray(constants, dtype=np.float32)
        #: JSON-able notes about training (per-label status, row counts, options).
        self.info: dict[str, Any] = dict(info or {})
        self._vectorizers = [self._rebuild(block) for block in self.blocks]
        self._vocab_index: list[dict[str, int]] | None = None
        # The last scored batch's texts and features: explaining a batch right after scoring
        # it (what a worker does) reuses them instead of vectorising the texts a second time.
        self._last_batch: tuple[dict[str, int], sp.csr_matrix] | None = None
        # Per (block, word): the in-vocabulary char n-gram columns of the word. Words repeat
        # (Zipf), so explanations mostly look them up instead of cutting n-grams again.
        self._word_grams: dict[tuple[int, str], list[int]] = {}

    @staticmethod
    def _rebuild(block: FeatureBlock) -> TfidfVectorizer | None:
        if not block.vocabulary:
            return None
        vectorizer = _make_vectorizer(
            block.settings, vocabulary={term: i for i, term in enumerate(block.vocabulary)}
        )
        vectorizer.idf_ = block.idf
        return vectorizer

    @property
    def label_status(self) -> dict[str, LabelStatus]:
        return {
            label: "constant" if not math.isnan(float(self.constants[j])) else "trained"
            for j, label in enumerate(LABELS)
        }

    def features(self, normalized_texts: Sequence[str]) -> sp.csr_matrix:
        """The sparse feature matrix of already-normalised texts."""
        parts: list[Any] = []
        for block, vectorizer in zip(self.blocks, self._vectorizers, strict=True):
            if vectorizer is None:
                parts.append(
                    sp.csr_matrix((len(normalized_texts), block.n_features), dtype=np.float32)
                )
            else:
                parts.append(vectorizer.transform(normalized_texts))
        if not parts:
            return sp.csr_matrix((len(normalized_texts), 0), dtype=np.float32)
        return sp.hstack(parts, format="csr", dtype=np.float32)

    def _batch_features(self, normalized_texts: Sequence[str]) -> sp.csr_matrix:
        """:meth:`features`, taken from the last scored batch when it holds every text."""
        last = self._last_batch
        if last is not None:
            row_of, x = last
            rows = [row_of.get(text, -1) for text in normalized_texts]
            if -1 not in rows:
                return x[rows]
        return self.features(normalized_texts)

    def decision_function(self, normalized_texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Raw logistic-regression logits ``(n, 6)`` before calibration."""
        x = self.features(normalized_texts)
        if len(normalized_texts) <= _REMEMBERED_BATCH_ROWS:
            self._last_batch = ({text: i for i, text in enumerate(normalized_texts)}, x)
        logits = np.asarray(x @ self.coef, dtype=np.float64)
        return logits + self.intercept.astype(np.float64)

    def predict_proba(self, texts: Sequence[str]) -> FloatMatrix:
        """Calibrated probabilities, float32 ``(len(texts), 6)`` in ``[0, 1]``, LABELS order."""
        normalized = [normalize_text(text) for text in texts]
        if not normalized:
            return np.empty((0, _N_LABELS), dtype=np.float32)
        calibrated = apply_calibration(self.decision_function(normalized), self.calibration)
        return calibrated_probabilities(calibrated, self.constants)

    # --- explanations ---------------------------------------------------------------------

    def contributions(
        self, texts: Sequence[AlignedText], labels: Sequence[Sequence[int]]
    ) -> list[Contributions]:
        """Exact per-word contributions to each asked label's calibrated logit.

        The TF-IDF value of every feature of a text is shared equally by its occurrences, a
        word n-gram's share is split equally between its words, and a char n-gram belongs to the
        word it was cut from; so for a trained label the contributions of all words plus the
        calibrated intercept add up exactly to the calibrated logit. Constant labels get 0.
        """
        if not texts:
            return []
        # One vectorizer call for the whole batch: per-text calls cost twice the rest.
        rows = self._batch_features([aligned.normalized for aligned in texts]).tocsr()
        results: list[Contributions] = []
        for i, (aligned, wanted) in enumerate(zip(texts, labels, strict=True)):
            start, end = rows.indptr[i], rows.indptr[i + 1]
            value = dict(
                zip(rows.indices[start:end].tolist(), rows.data[start:end].tolist(), strict=True)
            )
            results.append(self._text_contributions(aligned.normalized, wanted, value))
        return results

    def _vocabularies(self) -> list[dict[str, int]]:
        if self._vocab_index is None:
            self._vocab_index = [
                {term: i for i, term in enumerate(block.vocabulary)} for block in self.blocks
            ]
        return self._vocab_index

    def _occurrences(
        self, normalized: str, units: list[tuple[int, int]]
    ) -> list[tuple[int, int, float]]:
        """(global column, unit index, share) for every in-vocabulary n-gram occurrence."""
        unit_of = np.full(len(normalized), -1, dtype=np.intp)
        for u, (start, end) in enumerate(units):
            unit_of[start:end] = u
        # Lower-casing may change a string's length; keep, per lower-cased char, its source char.
        lowered_chars: list[str] = []
        source: list[int] = []
        for i, char in enumerate(normalized):
            for low in char.lower():
                lowered_chars.append(low)
                source.append(i)
        lowered = "".join(lowered_chars)
        found: list[tuple[int, int, float]] = []
        offset = 0
        if len(self._word_grams) > _WORD_GRAMS_MAX:
            self._word_grams.clear()
        for index, (block, vocabulary) in enumerate(
            zip(self.blocks, self._vocabularies(), strict=True)
        ):
            settings = block.settings
            low_n, high_n = (int(n) for n in settings["ngram_range"])
            text = lowered if settings.get("lowercase", True) else normalized
            src = source if settings.get("lowercase", True) else list(range(len(normalized)))
            if settings["analyzer"] == "word":
                pattern = re.compile(settings.get("token_pattern", r"(?u)\b\w+\b"))
                tokens = [(m.group(), int(unit_of[src[m.start()]])) for m in pattern.finditer(text)]
                for n in range(low_n, high_n + 1):
                    for i in range(len(tokens) - n + 1):
                        gram = " ".join(token for token, _ in tokens[i : i + n])
                        column = vocabulary.get(gram)
                        if column is None:
                            continue
                        for _, unit in tokens[i : i + n]:
                            found.append((offset + column, unit, 1.0 / n))
            elif settings["analyzer"] == "char_wb":
                for match in re.finditer(r"\S+", text):
                    unit = int(unit_of[src[match.start()]])
                    columns = self._word_grams.get((index, match.group()))
                    if columns is None:
                        columns = _char_wb_columns(match.group(), low_n, high_n, vocabulary)
                        self._word_grams[(index, match.group())] = columns
                    found.extend((offset + column, unit, 1.0) for column in columns)
            offset += block.n_features
        return found

    def _text_contributions(
        self, normalized: str, wanted: Sequence[int], value: dict[int, float]
    ) -> Contributions:
        """Contributions for one text; `value` is its TF-IDF row as {column: value}."""
        units = word_units(normalized)
        weights = np.zeros((len(units), _N_LABELS), dtype=np.float64)
        trained = [j for j in wanted if math.isnan(float(self.constants[j]))]
        if not units or not trained:
            return Contributions(units, weights)
        occurrences = self._occurrences(normalized, units)
        if not occurrences:
            return Contributions(units, weights)
        columns = np.array([c for c, _, _ in occurrences], dtype=np.intp)
        unit_index = np.array([u for _, u, _ in occurrences], dtype=np.intp)
        share = np.array([s for _, _, s in occurrences], dtype=np.float64)
        # How many times each feature occurs: its TF-IDF value is split between occurrences.
        counts: dict[int, float] = {}
        for column, _, part in occurrences:
            counts[column] = counts.get(column, 0.0) + part
        per_occurrence = np.array(
            [value.get(c, 0.0) / counts[c] for c in columns.tolist()], dtype=np.float64
        )
        slope = self.calibration[trained, 0].astype(np.float64)
        contribution = (
            (per_occurrence * share)[:, None]
            * self.coef[np.ix_(columns, np.asarray(trained))].astype(np.float64)
            * slope
        )
        block = np.zeros((len(units), len(trained)), dtype=np.float64)
        np.add.at(block, unit_index, contribution)
        weights[:, trained] = block
        return Contributions(units, weights)


# --- training -------------------------------------------------------------------------------

Validation: TypeAlias = tuple[Sequence[str], FloatMatrix]


def _fit_block(
    name: str, texts: Sequence[str], max_features: int, min_df: int
) -> tuple[FeatureBlock, sp.csr_matrix]:
    settings = dict(DEFAULT_FEATURES[name])
    vectorizer = _make_vectorizer(settings, max_features=max_features, min_df=min_df)
    try:
        x = vectorizer.fit_transform(texts)
    except ValueError:  # empty vocabulary: every text empty, or nothing reaches min_df
        empty = FeatureBlock(settings, [], np.empty(0, dtype=np.float32))
        return empty, sp.csr_matrix((len(texts), 0), dtype=np.float32)
    vocabulary = [""] * len(vectorizer.vocabulary_)
    for term, column in vectorizer.vocabulary_.items():
        vocabulary[column] = term
    block = FeatureBlock(settings, vocabulary, np.asarray(vectorizer.idf_, dtype=np.float32))
    return block, sp.csr_matrix(x, dtype=np.float32)


def _new_classifier(c: float, random_state: int) -> LogisticRegression:
    return LogisticRegression(
        C=c, class_weight="balanced", solver="liblinear", max_iter=1000, random_state=random_state
    )


#: NB-LR ensemble (see _fit_label): Laplace smoothing of the log-count ratio, the C of the
#: fully scaled member relative to ``c``, and the two members' weights in logit space.
NB_ALPHA: Final = 1.0
NB_FULL_C_FACTOR: Final = 0.5
NB_MEMBER_WEIGHTS: Final = (0.7, 0.3)


def nb_log_count_ratio(
    x: sp.csr_matrix, y: npt.NDArray[np.bool_], alpha: float = NB_ALPHA
) -> npt.NDArray[np.float32]:
    """Per-feature log-count ratio log((p/|p|_1) / (q/|q|_1)), p/q = alpha + summed features of
    the positive/negative rows (Wang & Manning 2012, NB-SVM)."""
    p = alpha + np.asarray(x[y].sum(axis=0), dtype=np.float64).ravel()
    q = alpha + np.asarray(x[~y].sum(axis=0), dtype=np.float64).ravel()
    ratio: npt.NDArray[np.float32] = np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)
    return ratio


def _fit_label(
    x: sp.csr_matrix,
    y: npt.NDArray[np.bool_],
    n_word: int,
    c: float,
    random_state: int,
    sample_weight: npt.NDArray[np.float64] | None,
) -> tuple[FloatVector, np.float32]:
    """One label's weights on the *unscaled* features: an ensemble, in logit space, of two
    NB-LR models (logistic regression on features scaled by the label's log-count ratio r):
    member 1 scales only the word block (C = c), member 2 scales every feature (C = c * 0.5).
    A model on ``x * r`` is the model ``r * w`` on ``x``, so each member and their weighted sum
    (each member divided by the std of its training logits) is again one linear model: the
    artifact format and inference are unchanged."""
    r = nb_log_count_ratio(x, y)
    r_word = np.ones_like(r)
    r_word[:n_word] = r[:n_word]
    w_sum = np.zeros(x.shape[1], dtype=np.float64)
    b_sum = 0.0
    for scale, member_c, share in (
        (r_word, c, NB_MEMBER_WEIGHTS[0]),
        (r, c * NB_FULL_C_FACTOR, NB_MEMBER_WEIGHTS[1]),
    ):
        model = _new_classifier(member_c, random_state).fit(
            x @ sp.diags(scale), y, sample_weight=sample_weight
        )
        w = scale.astype(np.float64) * model.coef_[0]
        b = float(model.intercept_[0])
        spread = float(np.std(np.asarray(x @ w, np.float64))) or 1.0
        w_sum += share * w / spread
        b_sum += share * b / spread
    return w_sum.astype(np.float32), np.float32(b_sum)


def apply_calibration(
    raw: npt.NDArray[np.float64], calibration: FloatMatrix
) -> npt.NDArray[np.float64]:
    """``slope * raw + offset`` per label: raw logits ``(n, 6)`` to calibrated logits."""
    slope = calibration[:, 0].astype(np.float64)
    offset = calibration[:, 1].astype(np.float64)
    return raw * slope + offset


def calibrated_probabilities(
    calibrated_logits: npt.NDArray[np.float64], constants: FloatVector
) -> FloatMatrix:
    """Probabilities float32 ``(n, 6)`` in [0, 1]; labels with a constant (not NaN) get it."""
    proba = 1.0 / (1.0 + np.exp(-np.clip(calibrated_logits, -50.0, 50.0)))
    constant = ~np.isnan(constants)
    proba[:, constant] = constants[constant]
    return np.clip(proba, 0.0, 1.0).astype(np.float32)


def fit_platt(decision: npt.NDArray[np.float64], y: npt.NDArray[np.bool_]) -> tuple[float, float]:
    """Slope and offset of ``sigmoid(slope * logit + offset)`` fitted to ``y`` (Platt scaling).

    Falls back to the identity (1, 0) when the fit is impossible or would invert the ranking.
    """
    if y.all() or not y.any():
        return 1.0, 0.0
    model = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
    model.fit(decision.reshape(-1, 1), y)
    slope = float(model.coef_[0, 0])
    if not slope > 0.0:
        return 1.0, 0.0
    return slope, float(model.intercept_[0])


def _cross_fitted_decision(
    x: sp.csr_matrix, y: npt.NDArray[np.bool_], c: float, random_state: int
) -> npt.NDArray[np.float64]:
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=random_state)
    decision = np.zeros(len(y), dtype=np.float64)
    for fit_rows, held_rows in folds.split(np.zeros(len(y)), y):
        model = _new_classifier(c, random_state).fit(x[fit_rows], y[fit_rows])
        decision[held_rows] = model.decision_function(x[held_rows])
    return decision


def _progress(iterable: Iterable[int], enabled: bool, desc: str, total: int) -> Iterable[int]:
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    wrapped: Iterable[int] = tqdm(iterable, desc=desc, total=total, unit="label")
    return wrapped


def train_linear(
    texts: Sequence[str],
    labels: npt.ArrayLike,
    *,
    validation: Validation | None = None,
    progress: bool = True,
    random_state: int = 0,
    word_max_features: int = 50_000,
    char_max_features: int = 100_000,
    c: float = 1.0,
    min_df: int | None = None,
    min_class_rows: int = 2,
    sample_weight: npt.ArrayLike | None = None,
    log: Callable[[str], None] | None = None,
) -> LinearBackend:
    """Train a :class:`LinearBackend` on ``texts`` and a ``(n, 6)`` label matrix (NaN = unknown).

    Each label's classifier sees only the rows where that label is known (0 or 1; values >= 0.5
    count as positive), with balanced class weights so rare labels are not drowned out. Then
    each label gets Platt scaling, fitted on ``validation`` (texts, labels) where given, else on
    3-fold cross-fitted scores of the training rows; too little data for either -> no rescaling.
    A label with fewer than ``min_class_rows`` rows of either class (one class only, or never
    known) is predicted as its constant prior (the share of known positives; 0 if none known).

    Size options: ``word_max_features`` and ``char_max_features`` bound the vocabularies (and so
    the artifact: about 30 bytes per feature); ``min_df`` defaults to 2 from 1,000 texts on,
    else 1. ``c`` is the inverse regularisation strength. Deterministic for a fixed
    ``random_state``. ``sample_weight`` (one non-negative weight per text) weights rows in the
    logistic regressions, e.g. to give a small source more say. Raises ``ValueError`` when the
    label matrix or the weights do not fit the texts.
    """
    y_all = np.asarray(labels, dtype=np.float32)
    if y_all.shape != (len(texts), _N_LABELS):
        raise ValueError(f"labels must be ({len(texts)}, {_N_LABELS}), got {y_all.shape}")
    say = log or (lambda _message: None)
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if weights is not None and weights.shape != (len(texts),):
        raise ValueError(f"sample_weight must have one value per text, got {weights.shape}")
    normalized = [normalize_text(text) for text in texts]
    if min_df is None:
        min_df = 2 if len(normalized) >= 1000 else 1

    say(f"vectorising {len(normalized):,} texts")
    word_block, x_word = _fit_block("word", normalized, word_max_features, min_df)
    char_block, x_char = _fit_block("char", normalized, char_max_features, min_df)
    x = sp.hstack([x_word, x_char], format="csr", dtype=np.float32)
    blocks = (word_block, char_block)
    n_features = x.shape[1]

    coef = np.zeros((n_features, _N_LABELS), dtype=np.float32)
    intercept = np.zeros(_N_LABELS, dtype=np.float32)
    calibration = np.tile(np.array([1.0, 0.0], dtype=np.float32), (_N_LABELS, 1))
    constants = np.full(_N_LABELS, np.nan, dtype=np.float32)
    per_label: dict[str, dict[str, Any]] = {}

    x_val: sp.csr_matrix | None = None
    y_val: FloatMatrix | None = None
    if validation is not None:
        val_texts, val_labels = validation
        y_val = np.asarray(val_labels, dtype=np.float32)
        if y_val.shape != (len(val_texts), _N_LABELS):
            raise ValueError(f"validation labels must be ({len(val_texts)}, {_N_LABELS})")
        probe = LinearBackend(
            blocks=blocks,
            coef=coef,
            intercept=intercept,
            calibration=calibration,
            constants=constants,
        )
        x_val = probe.features([normalize_text(t) for t in val_texts])

    for j in _progress(range(_N_LABELS), progress, "labels", _N_LABELS):
        label = LABELS[j]
        known = ~np.isnan(y_all[:, j])
        y = y_all[known, j] >= 0.5
        positives, negatives = int(y.sum()), int((~y).sum())
        summary: dict[str, Any] = {"known": int(known.sum()), "positive": positives}
        per_label[label] = summary
        if min(positives, negatives) < min_class_rows or n_features == 0:
            constants[j] = positives / len(y) if len(y) else 0.0
            summary.update(status="constant", prior=float(constants[j]))
            say(f"{label}: constant prior {constants[j]:.4f} ({positives} positive rows)")
            continue
        x_known = x[known]
        w_known = None if weights is None else weights[known]
        plain = _new_classifier(c, random_state).fit(x_known, y, sample_weight=w_known)
        label_coef = plain.coef_[0].astype(np.float32)
        label_intercept = np.float32(plain.intercept_[0])
        summary["recipe"] = "lr"
        if x_val is not None and y_val is not None:
            # Keep the NB-LR ensemble for this label only if it ranks the validation rows better.
            val_known = ~np.isnan(y_val[:, j])
            val_y = y_val[val_known, j] >= 0.5
            if min(int(val_y.sum()), int((~val_y).sum())) >= min_class_rows:
                x_val_known = x_val[val_known]
                nb_coef, nb_intercept = _fit_label(
                    x_known, y, x_word.shape[1], c, random_state, w_known
                )
                auc_lr = roc_auc_score(val_y, np.asarray(x_val_known @ label_coef, np.float64))
                auc_nb = roc_auc_score(val_y, np.asarray(x_val_known @ nb_coef, np.float64))
                summary["validation_auc"] = {"lr": float(auc_lr), "nb_lr_ensemble": float(auc_nb)}
                if auc_nb > auc_lr:
                    label_coef, label_intercept = nb_coef, nb_intercept
                    summary["recipe"] = "nb_lr_ensemble"
        coef[:, j] = label_coef
        intercept[j] = label_intercept
        summary["status"] = "trained"

        decision: npt.NDArray[np.float64] | None = None
        target: npt.NDArray[np.bool_] | None = None
        if x_val is not None and y_val is not None:
            val_known = ~np.isnan(y_val[:, j])
            val_y = y_val[val_known, j] >= 0.5
            if min(int(val_y.sum()), int((~val_y).sum())) >= min_class_rows:
                decision = np.asarray(x_val[val_known] @ coef[:, j], np.float64) + intercept[j]
                target = val_y
                summary["calibration"] = "validation"
        if decision is None and min(positives, negatives) >= 3 and len(y) >= 30:
            decision = _cross_fitted_decision(x[known], y, c, random_state)
            target = y
            summary["calibration"] = "cross_fit"
        if decision is not None and target is not None:
            slope, offset = fit_platt(decision, target)
            calibration[j] = (slope, offset)
        else:
            summary["calibration"] = "none"
        say(f"{label}: trained on {len(y):,} rows ({positives:,} positive)")

    info = {
        "train_rows": len(normalized),
        "n_features": {"word": word_block.n_features, "char": char_block.n_features},
        "options": {
            "word_max_features": word_max_features,
            "char_max_features": char_max_features,
            "c": c,
            "min_df": min_df,
            "min_class_rows": min_class_rows,
            "random_state": random_state,
            "sample_weight": sample_weight is not None,
        },
        "labels": per_label,
    }
    return LinearBackend(
        blocks=blocks,
        coef=coef,
        intercept=intercept,
        calibration=calibration,
        constants=constants,
        info=info,
    )


# --- artifact files (registered in classifier.registry) ---------------------------------------

LINEAR_WEIGHTS: Final = "linear_weights.npz"
LINEAR_FEATURES: Final = "linear_features.json.gz"


def _payload(backend: LinearBackend) -> tuple[dict[str, Any], dict[str, Any]]:
    from classifier.artifacts import _jsonable

    arrays: dict[str, Any] = {
        "coef": backend.coef,
        "intercept": backend.intercept,
        "calibration": backend.calibration,
        "constants": backend.constants,
    }
    blocks = []
    for i, block in enumerate(backend.blocks):
        name = f"{i}_{block.settings.get('analyzer', 'block')}"
        arrays[f"idf_{name}"] = block.idf
        blocks.append({"name": name, "settings": block.settings, "vocabulary": block.vocabulary})
    features = {"blocks": blocks, "info": _jsonable(backend.info)}
    return arrays, features


def weights_hash(backend: LinearBackend) -> str:
    """A hash of what the weights are (not of file bytes, which carry zip timestamps)."""
    import hashlib
    import json

    arrays, features = _payload(backend)
    digest = hashlib.sha256()
    for key in sorted(arrays):
        array = arrays[key]
        digest.update(f"{key}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.tobytes())
    digest.update(json.dumps(features, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def write_artifact_files(backend: LinearBackend, directory: Path) -> list[str]:
    """Numbers as ``.npz`` (no pickles), vocabularies and settings as gzipped JSON."""
    import gzip
    import json

    arrays, features = _payload(backend)
    np.savez_compressed(directory / LINEAR_WEIGHTS, allow_pickle=False, **arrays)
    payload = json.dumps(features, ensure_ascii=False, separators=(",", ":"))
    (directory / LINEAR_FEATURES).write_bytes(gzip.compress(payload.encode("utf-8"), mtime=0))
    return [LINEAR_WEIGHTS, LINEAR_FEATURES]


def read_artifact_files(model_dir: Path) -> LinearBackend:
    """The backend from an artifact directory; reads arrays and JSON, unpickles nothing."""
    import gzip
    import json

    with np.load(model_dir / LINEAR_WEIGHTS, allow_pickle=False) as weights:
        arrays = {key: np.asarray(weights[key]) for key in weights.files}
    with gzip.open(model_dir / LINEAR_FEATURES, "rt", encoding="utf-8") as handle:
        features = json.load(handle)
    blocks = [
        FeatureBlock(
            settings=dict(block["settings"]),
            vocabulary=[str(term) for term in block["vocabulary"]],
            idf=arrays[f"idf_{block['name']}"].astype(np.float32),
        )
        for block in features["blocks"]
    ]
    return LinearBackend(
        blocks=blocks,
        coef=arrays["coef"],
        intercept=arrays["intercept"],
        calibration=arrays["calibration"],
        constants=arrays["constants"],
        info=features.get("info", {}),
    )
