"""The cascade backend: a cheap first model settles the clearly benign, a second decides the rest.

Most of a real comment stream is harmless, and the linear model scores a comment about a hundred
times faster than the transformer. The cascade scores every text with the first model; a text
whose every first-stage probability is below that label's ``gate`` is settled as benign; every
other text is scored by the second model, whose scores are the answer. A settled text's scores
are the first model's, scaled below :data:`SETTLED_CEILING`, and an escalated text's scores are
lifted just above it (:func:`combine_stages`), so the two models' scales never interleave: every
ranking metric sees the settled texts below every escalated one, and no flag decision changes
(thresholds sit far above the ceiling). Gates are chosen on validation data so that only a
small, stated share of each label's positives is ever settled by the first model
(:func:`choose_gates`); what that costs in quality and buys in speed is measured in the model
report and in ``docs/model.md``.

A bag-of-words model dilutes one insult in a long comment, so a cascade with a ``gate_window``
reads the first stage's score of a long text as its maximum over the whole text and over
windows of that many words (half overlapping), the way the transformer reads long texts
(:func:`windowed_scores`): a long comment with one insult in it is escalated rather than settled.

Explanations come from the first (linear) model, whose per-word contributions are exact and cost
a fraction of the transformer's occlusion; ``docs/model.md`` measures how well they point at the
words annotators marked as toxic.

An artifact holds both models::

    <version>/
        manifest.json
        cascade.json          gates, what each stage is, settled-share statistics
        first/...             the first model's files (its own backend's layout)
        second/...            the second model's files
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from classifier.backend import ToxicityBackend
from classifier.explain import Contributions, ExplainingBackend
from classifier.labels import LABELS
from classifier.registry import backend_spec
from classifier.text import AlignedText

BACKEND_NAME: Final = "cascade"
CASCADE_FILE: Final = "cascade.json"
FIRST_DIR: Final = "first"
SECOND_DIR: Final = "second"
_N_LABELS: Final = len(LABELS)
#: Settled texts score below this on every label, escalated texts at or above it.
SETTLED_CEILING: Final = 0.001


def combine_stages(
    first_scores: npt.ArrayLike,
    second_scores: npt.ArrayLike,
    settled: npt.ArrayLike,
    gates: npt.ArrayLike,
    settled_ceiling: float | None = SETTLED_CEILING,
) -> npt.NDArray[np.float32]:
    """The cascade's scores: ``first_scores`` where ``settled``, ``second_scores`` elsewhere.

    With ``settled_ceiling`` c, a settled row's score on label j becomes ``first * c / gate_j``
    (below c, since a settled row scores below every gate) and an escalated row's becomes
    ``c + (1 - c) * second``; without one (cascades stored before the ceiling existed), each
    row keeps its stage's raw score. ``second_scores`` is only read where not settled.
    """
    first = np.asarray(first_scores, dtype=np.float64)
    second = np.asarray(second_scores, dtype=np.float64)
    rows = np.asarray(settled, dtype=bool)[:, None]
    if settled_ceiling is None:
        return np.where(rows, first, second).astype(np.float32)
    limits = np.asarray(gates, dtype=np.float64).reshape(1, _N_LABELS)
    low = np.divide(first, limits, out=np.zeros_like(first), where=limits > 0)
    low = np.clip(low, 0.0, 1.0) * settled_ceiling * (1 - 1e-6)
    high = settled_ceiling + (1.0 - settled_ceiling) * second
    return np.where(rows, low, high).astype(np.float32)


def check_gate_window(window: int | None, name: str = "gate_window") -> None:
    """Raise ``ValueError`` (naming the setting ``name``) unless ``window`` is None or at least
    2 words."""
    if window is not None and window < 2:
        raise ValueError(f"{name} must be at least 2 words, got {window}")


def windowed_scores(
    backend: ToxicityBackend, texts: Sequence[str], window_words: int | None
) -> npt.NDArray[np.float32]:
    """``backend``'s scores; with ``window_words``, each label's maximum over the whole text and
    over every window of that many words (half overlapping) of a text longer than that.

    Words are whitespace-separated, so the number of windows grows linearly with the text and
    a text with no spaces is one word."""
    scores = np.asarray(backend.predict_proba(texts), dtype=np.float32)
    if window_words is None:
        return scores
    step = max(1, window_words // 2)
    pieces: list[str] = []
    owners: list[int] = []
    for i, text in enumerate(texts):
        words = text.split()
        if len(words) <= window_words:
            continue
        for start in range(0, len(words) - window_words + step, step):
            pieces.append(" ".join(words[start : start + window_words]))
            owners.append(i)
    if pieces:
        np.maximum.at(scores, np.asarray(owners, dtype=np.intp), backend.predict_proba(pieces))
    return scores


class CascadeBackend:
    """Scores with ``first``; texts not settled as benign by ``gates`` are rescored by ``second``.

    ``gates`` is float ``(6,)``: a text is settled when ``first``'s probability is below the
    gate for every label (a gate of 0 never settles on that label). ``settled_ceiling`` keeps
    the stages' scales apart (:func:`combine_stages`); None keeps each stage's raw scores.
    ``gate_window`` (words) makes the first stage read long texts window by window
    (:func:`windowed_scores`); None reads each text whole, as cascades stored before it did.
    """

    name = BACKEND_NAME

    def __init__(
        self,
        first: ToxicityBackend,
        second: ToxicityBackend,
        *,
        gates: npt.ArrayLike,
        info: dict[str, Any] | None = None,
        settled_ceiling: float | None = SETTLED_CEILING,
        gate_window: int | None = None,
    ) -> None:
        if settled_ceiling is not None and not 0.0 < settled_ceiling < 0.5:
            raise ValueError(f"settled_ceiling must be in (0, 0.5), got {settled_ceiling}")
        check_gate_window(gate_window)
        self.first = first
        self.second = second
        self.gates = np.asarray(gates, dtype=np.float32).reshape(_N_LABELS)
        self.settled_ceiling = settled_ceiling
        self.gate_window = gate_window
        self.info: dict[str, Any] = dict(info or {})
        #: Texts scored, and texts the second model had to score, since this backend was built.
        self.scored = 0
        self.escalated = 0

    @property
    def constants(self) -> npt.NDArray[np.float32]:
        """The second stage's constant priors (NaN where a label is trained)."""
        return np.asarray(getattr(self.second, "constants", np.full(_N_LABELS, np.nan)))

    def first_scores(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The first stage's scores as the gates read them (window by window if set)."""
        return windowed_scores(self.first, texts, self.gate_window)

    def settled(self, first_scores: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        """Rows the first model settles as benign."""
        return np.asarray((first_scores < self.gates[None, :]).all(axis=1))

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Float32 ``(len(texts), 6)`` in [0, 1], LABELS order; never raises on odd text."""
        first = self.first_scores(texts)
        settled = self.settled(first)
        rest = np.flatnonzero(~settled)
        second = np.zeros_like(first)
        if len(rest):
            second[rest] = self.second.predict_proba([texts[int(i)] for i in rest])
        self.scored += len(texts)
        self.escalated += len(rest)
        return combine_stages(first, second, settled, self.gates, self.settled_ceiling)

    def contributions(
        self, texts: Sequence[AlignedText], labels: Sequence[Sequence[int]]
    ) -> list[Contributions]:
        """The first model's per-word contributions (exact for the linear model, and cheap)."""
        if not isinstance(self.first, ExplainingBackend):
            raise TypeError(f"the first stage ({self.first.name}) cannot explain")
        return self.first.contributions(texts, labels)


#: How gates are chosen: one per label, or one gate shared by every label.
GATE_RULES: Final = ("per-label", "shared")


def choose_gates(
    first_scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    max_settled_positives: float = 0.01,
    rule: str = "per-label",
) -> npt.NDArray[np.float32]:
    """Gates that settle at most ``max_settled_positives`` of the validation positives.

    ``first_scores`` are the first model's probabilities on validation rows and ``labels`` their
    ``(n, 6)`` labels (NaN unknown).

    ``per-label``: for each label, the highest gate that settles at most that share of the
    label's positives; a label with no known positive gets gate 0 (never settles: with nothing
    to measure, the second model decides). Where the first model scores a rare label's
    positives low (``threat``, ``severe_toxic`` under the linear model), that label's gate is
    tiny and almost nothing is settled.

    ``shared``: one gate for every label (a text is settled when its highest first-stage score
    is below it), the highest that settles at most that share of the rows positive on *any*
    label. A threat the first model scores low on ``threat`` but high on ``toxic`` is still
    escalated, so one budget covers every label and far more benign text is settled.
    """
    if rule not in GATE_RULES:
        raise ValueError(f"unknown gate rule {rule!r}; choose one of {', '.join(GATE_RULES)}")
    scores = np.asarray(first_scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if rule == "shared":
        positive = np.nan_to_num(y, nan=0.0).max(axis=1) >= 0.5 if len(y) else np.zeros(0, bool)
        highest = np.sort(scores[positive].max(axis=1)) if positive.any() else np.zeros(0)
        if len(highest) == 0:
            return np.zeros(_N_LABELS, dtype=np.float32)
        allowed = int(np.floor(max_settled_positives * len(highest)))
        gate = highest[allowed] if allowed < len(highest) else 1.0
        return np.full(_N_LABELS, gate, dtype=np.float32)
    gates = np.zeros(_N_LABELS, dtype=np.float32)
    for j in range(_N_LABELS):
        known = ~np.isnan(y[:, j])
        positives = np.sort(scores[known & (y[:, j] >= 0.5), j])
        if len(positives) == 0:
            continue
        # Settled positives are those scoring below the gate: allow floor(share * n) of them.
        allowed = int(np.floor(max_settled_positives * len(positives)))
        gates[j] = positives[allowed] if allowed < len(positives) else 1.0
    return gates


# --- artifact files (registered in classifier.registry) ---------------------------------------


def _settings(backend: CascadeBackend) -> dict[str, Any]:
    return {
        "first": backend.first.name,
        "second": backend.second.name,
        "gates": [round(float(v), 6) for v in backend.gates],
        "settled_ceiling": backend.settled_ceiling,
        "gate_window": backend.gate_window,
        "info": backend.info,
    }


def weights_hash(backend: CascadeBackend) -> str:
    digest = hashlib.sha256()
    for stage in (backend.first, backend.second):
        digest.update(f"{stage.name}:{backend_spec(stage.name).hash_weights(stage)};".encode())
    digest.update(backend.gates.tobytes())
    if backend.settled_ceiling is not None:  # older cascades keep the hash they were stored with
        digest.update(f"ceiling:{backend.settled_ceiling!r}".encode())
    if backend.gate_window is not None:  # likewise cascades stored before the window existed
        digest.update(f"window:{backend.gate_window!r}".encode())
    return digest.hexdigest()


def write_artifact_files(backend: CascadeBackend, directory: Path) -> list[str]:
    written = [CASCADE_FILE]
    (directory / CASCADE_FILE).write_text(
        json.dumps(_settings(backend), indent=2) + "\n", encoding="utf-8"
    )
    for sub, stage in ((FIRST_DIR, backend.first), (SECOND_DIR, backend.second)):
        (directory / sub).mkdir()
        files = backend_spec(stage.name).write_files(stage, directory / sub)
        written += [f"{sub}/{name}" for name in files]
    return written


def read_artifact_files(model_dir: Path) -> CascadeBackend:
    settings = json.loads((model_dir / CASCADE_FILE).read_text(encoding="utf-8"))
    for key in ("first", "second"):
        if settings.get(key) == BACKEND_NAME:
            raise ValueError("a cascade cannot hold a cascade")
    first = backend_spec(str(settings["first"])).read_backend(model_dir / FIRST_DIR)
    second = backend_spec(str(settings["second"])).read_backend(model_dir / SECOND_DIR)
    return CascadeBackend(
        first,
        second,
        gates=settings["gates"],
        info=settings.get("info", {}),
        # A cascade stored before the ceiling existed answers as it did then.
        settled_ceiling=settings.get("settled_ceiling"),
        gate_window=settings.get("gate_window"),
    )
