"""Flag and auto-remove thresholds chosen for real traffic, where few comments are toxic.

Choosing each label's threshold for the best F1 on the validation split picks a point for data
that is 40 % toxic; on a real stream, where a few percent are, the same threshold flags several
times more than it should. Here each label's threshold is chosen for a stated **precision on
natural traffic**, estimated as

    precision(t) = p * TPR(t) / (p * TPR(t) + (1 - p) * FPR(t))

where ``p`` is the label's prevalence among the natural-prevalence rows (a random sample of
Wikipedia talk comments from the Jigsaw training set, and the CAT comments), ``TPR(t)`` is the
share of the label's validation positives (from every source: natural rows alone hold too few
threats to measure a rate) scored at or above ``t``, and ``FPR(t)`` the share of natural
validation negatives scored at or above ``t``. The flag threshold is the lowest ``t`` whose
estimated precision reaches the target; the expected flag rate on natural traffic is measured on
the natural validation rows.

Auto-remove is per label and conservative: a label gets an auto-remove threshold only where the
estimated precision reaches :data:`AUTO_REMOVE_PRECISION` (0.98) with at least
:data:`MIN_POSITIVES_ABOVE` validation positives above it; every other label never removes
without a moderator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from classifier.labels import LABELS

#: The default target: at least this share of what is flagged for review should be toxic.
DEFAULT_FLAG_PRECISION: Final = 0.6
#: Auto-remove only where at least this share of what is removed would be toxic.
AUTO_REMOVE_PRECISION: Final = 0.98
#: An auto-remove threshold must keep at least this many validation positives above it.
MIN_POSITIVES_ABOVE: Final = 20
#: A label with fewer natural positives borrows the prevalence floor below.
MIN_PREVALENCE: Final = 1e-3
#: Flag thresholds are never below this (a score under it is never a reason to review).
MIN_FLAG_THRESHOLD: Final = 0.05


@dataclass(frozen=True)
class LabelPolicy:
    """One label's thresholds and what they are expected to do on natural traffic."""

    flag_threshold: float
    estimated_precision: float | None
    recall: float | None
    natural_flag_rate: float
    auto_remove_threshold: float | None
    auto_remove_precision: float | None
    prevalence: float
    positives: int

    def as_dict(self) -> dict[str, Any]:
        return {key: _round(value) for key, value in self.__dict__.items()}


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def _precision_curve(
    positives: npt.NDArray[np.float64], negatives: npt.NDArray[np.float64], prevalence: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Candidate thresholds (ascending), estimated precision and recall at each."""
    candidates = np.unique(np.concatenate([positives, negatives]))
    pos = np.sort(positives)
    neg = np.sort(negatives)
    tpr = 1.0 - np.searchsorted(pos, candidates, side="left") / max(len(pos), 1)
    fpr = 1.0 - np.searchsorted(neg, candidates, side="left") / max(len(neg), 1)
    true = prevalence * tpr
    false = (1.0 - prevalence) * fpr
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(true + false > 0, true / (true + false), 1.0)
    return candidates, precision, tpr


def _lowest_reaching(
    candidates: npt.NDArray[np.float64],
    precision: npt.NDArray[np.float64],
    target: float,
    allowed: npt.NDArray[np.bool_] | None = None,
) -> int | None:
    """Index of the lowest threshold from which precision stays at or above ``target``."""
    ok = precision >= target
    if allowed is not None:
        ok &= allowed
    # "Stays": every higher threshold must reach it too, so a lucky dip cannot be chosen.
    stays = np.flip(np.logical_and.accumulate(np.flip(ok)))
    found = np.flatnonzero(stays)
    return int(found[0]) if len(found) else None


def natural_prevalence(labels: npt.ArrayLike, natural: npt.ArrayLike) -> dict[str, float]:
    """Per label, the positive share among natural-prevalence rows where the label is known."""
    y = np.asarray(labels, dtype=np.float64)
    rows = np.asarray(natural, dtype=bool)
    out: dict[str, float] = {}
    for j, label in enumerate(LABELS):
        known = rows & ~np.isnan(y[:, j])
        share = float((y[known, j] >= 0.5).mean()) if known.any() else 0.0
        out[label] = max(share, MIN_PREVALENCE)
    return out


def choose_policy(
    labels: npt.ArrayLike,
    scores: npt.ArrayLike,
    natural: npt.ArrayLike,
    *,
    prevalence: dict[str, float],
    flag_precision: float = DEFAULT_FLAG_PRECISION,
    fallback: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Thresholds per label for ``flag_precision`` on natural traffic, from validation rows.

    ``labels`` ``(n, 6)`` may hold NaN; ``scores`` are calibrated probabilities; ``natural``
    marks natural-prevalence rows. A label with no positive or no natural negative keeps its
    ``fallback`` threshold (default 0.5) and gets no auto-remove. Returns a JSON-able dict:
    ``rule``, ``flag_precision``, ``flag_thresholds``, ``auto_remove_thresholds`` (``None`` =
    never), ``expected_flag_rate`` (any label, natural validation rows) and ``labels``.
    """
    y = np.asarray(labels, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    rows = np.asarray(natural, dtype=bool)
    per_label: dict[str, LabelPolicy] = {}
    for j, label in enumerate(LABELS):
        known = ~np.isnan(y[:, j])
        positive = known & (y[:, j] >= 0.5)
        negative_natural = known & (y[:, j] < 0.5) & rows
        p = prevalence.get(label, MIN_PREVALENCE)
        pos_scores, neg_scores = s[positive, j], s[negative_natural, j]
        threshold = (fallback or {}).get(label, 0.5)
        est: float | None = None
        recall: float | None = None
        remove: float | None = None
        remove_precision: float | None = None
        if len(pos_scores) and len(neg_scores):
            candidates, precision, tpr = _precision_curve(pos_scores, neg_scores, p)
            allowed = candidates >= MIN_FLAG_THRESHOLD
            index = _lowest_reaching(candidates, precision, flag_precision, allowed)
            if index is None:  # the target cannot be reached: flag only the most certain
                index = int(np.argmax(np.where(allowed, precision, -1.0)))
            threshold = float(candidates[index])
            est, recall = float(precision[index]), float(tpr[index])
            enough = (tpr * len(pos_scores)) >= MIN_POSITIVES_ABOVE
            strict = _lowest_reaching(candidates, precision, AUTO_REMOVE_PRECISION, enough)
            if strict is not None and candidates[strict] >= threshold:
                remove = float(candidates[strict])
                remove_precision = float(precision[strict])
        natural_rate = float((s[rows, j] >= threshold).mean()) if rows.any() else 0.0
        per_label[label] = LabelPolicy(
            flag_threshold=threshold,
            estimated_precision=est,
            recall=recall,
            natural_flag_rate=natural_rate,
            auto_remove_threshold=remove,
            auto_remove_precision=remove_precision,
            prevalence=p,
            positives=len(pos_scores),
        )
    flag_thresholds = {label: round(per_label[label].flag_threshold, 4) for label in LABELS}
    if rows.any():
        over = np.zeros(int(rows.sum()), dtype=bool)
        for j, label in enumerate(LABELS):
            over |= s[rows, j] >= flag_thresholds[label]
        expected = float(over.mean())
    else:
        expected = 0.0
    return {
        "rule": (
            "per label, the lowest threshold from which the estimated precision on natural "
            f"traffic stays >= {flag_precision} (prevalence from natural-prevalence rows, TPR "
            "from all validation positives, FPR from natural validation negatives); "
            f"auto-remove only where it stays >= {AUTO_REMOVE_PRECISION} with >= "
            f"{MIN_POSITIVES_ABOVE} positives above"
        ),
        "flag_precision": flag_precision,
        "flag_thresholds": flag_thresholds,
        "auto_remove_thresholds": {
            label: None if p.auto_remove_threshold is None else round(p.auto_remove_threshold, 4)
            for label, p in per_label.items()
        },
        "expected_flag_rate": round(expected, 4),
        "natural_validation_rows": int(rows.sum()),
        "labels": {label: p.as_dict() for label, p in per_label.items()},
    }


def policy_markdown(policy: dict[str, Any]) -> str:
    """The policy as a Markdown table (one row per label)."""
    lines = [
        f"Rule: {policy['rule']}.",
        "",
        f"Expected flag rate on natural traffic (any label): "
        f"{100 * policy['expected_flag_rate']:.1f} % of "
        f"{policy['natural_validation_rows']:,} natural validation rows.",
        "",
        "| label | prevalence | flag at | est. precision | recall | natural flag rate "
        "| auto-remove at |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label in LABELS:
        info = policy["labels"][label]

        def fmt(value: float | None, pct: bool = False) -> str:
            if value is None:
                return "-"
            return f"{100 * value:.1f} %" if pct else f"{value:.3f}"

        remove = policy["auto_remove_thresholds"][label]
        lines.append(
            f"| {label} | {fmt(info['prevalence'], True)} | {info['flag_threshold']:.3f} "
            f"| {fmt(info['estimated_precision'])} | {fmt(info['recall'])} "
            f"| {fmt(info['natural_flag_rate'], True)} "
            f"| {'never' if remove is None else f'{remove:.3f}'} |"
        )
    return "\n".join(lines) + "\n"
