"""Metrics per label and per source, threshold choice, and the evaluation report.

Every metric looks only at rows where the label is known: a ``NaN`` label is excluded, never
counted as a negative. A text is flagged for a label when its probability is ``>= threshold``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

from classifier.labels import LABELS

#: Used for a label whose validation rows cannot support a choice (one class only).
FALLBACK_THRESHOLD: Final = 0.5
POOLED: Final = "pooled"

ScoreMatrix = npt.NDArray[np.float32] | npt.NDArray[np.float64]


def _known(y_true: npt.NDArray[Any], y_score: npt.NDArray[Any]) -> tuple[Any, Any]:
    mask = ~np.isnan(y_true)
    return y_true[mask] >= 0.5, np.asarray(y_score[mask], dtype=np.float64)


def best_f1_threshold(y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> float:
    """The threshold that maximises F1 on the known rows (flag when score >= threshold).

    Returns :data:`FALLBACK_THRESHOLD` when there is no positive or no negative known row.
    """
    y, score = _known(np.asarray(y_true, np.float64), np.asarray(y_score, np.float64))
    if y.all() or not y.any():
        return FALLBACK_THRESHOLD
    precision, recall, thresholds = precision_recall_curve(y, score)
    precision, recall = precision[:-1], recall[:-1]  # the last point has no threshold
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return float(np.clip(thresholds[int(np.argmax(f1))], 0.0, 1.0))


def choose_thresholds(labels: npt.ArrayLike, scores: ScoreMatrix) -> dict[str, float]:
    """Per-label thresholds maximising F1 on (validation) data; ``labels`` may hold NaN."""
    y = np.asarray(labels, dtype=np.float64)
    return {
        label: best_f1_threshold(y[:, j], np.asarray(scores)[:, j])
        for j, label in enumerate(LABELS)
    }


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def label_metrics(
    y_true: npt.ArrayLike, y_score: npt.ArrayLike, threshold: float
) -> dict[str, Any]:
    """ROC-AUC, PR-AUC (average precision), precision, recall, F1 and counts at ``threshold``.

    Only rows where ``y_true`` is not NaN count. AUCs are ``None`` when the known rows hold one
    class only; precision is ``None`` when nothing is flagged.
    """
    y, score = _known(np.asarray(y_true, np.float64), np.asarray(y_score, np.float64))
    flagged = score >= threshold
    tp = int((flagged & y).sum())
    fp = int((flagged & ~y).sum())
    fn = int((~flagged & y).sum())
    tn = int((~flagged & ~y).sum())
    both_classes = bool(y.any() and not y.all())
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return {
        "n": len(y),
        "positives": int(y.sum()),
        "roc_auc": _finite_or_none(float(roc_auc_score(y, score))) if both_classes else None,
        "pr_auc": _finite_or_none(float(average_precision_score(y, score)))
        if both_classes
        else None,
        "threshold": float(threshold),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
    }


def evaluate(
    labels: npt.ArrayLike,
    scores: ScoreMatrix,
    sources: Sequence[str],
    thresholds: Mapping[str, float],
) -> dict[str, Any]:
    """JSON-able metrics: ``{"pooled": {label: ...}, "per_source": {source: {label: ...}}}``.

    A label with no known row in a group is left out of that group.
    """
    y = np.asarray(labels, dtype=np.float64)
    p = np.asarray(scores, dtype=np.float64)
    src = np.asarray(sources)
    if y.shape != p.shape or y.shape[0] != len(src):
        raise ValueError(f"labels {y.shape}, scores {p.shape} and {len(src)} sources differ")

    def group(rows: npt.NDArray[np.bool_]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for j, label in enumerate(LABELS):
            if (~np.isnan(y[rows, j])).any():
                out[label] = label_metrics(y[rows, j], p[rows, j], thresholds[label])
        return out

    everything = np.ones(len(src), dtype=bool)
    return {
        "rows": len(src),
        POOLED: group(everything),
        "per_source": {str(s): group(src == s) for s in sorted(set(src.tolist()))},
    }


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def summary_table(metrics: Mapping[str, Any], label: str = "toxic") -> str:
    """A Markdown table of one label's metrics per source, pooled last."""
    lines = [
        f"| source ({label}) | rows | positives | ROC-AUC | PR-AUC | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    groups = [*metrics["per_source"].items(), (POOLED, metrics[POOLED])]
    for name, per_label in groups:
        m = per_label.get(label)
        if m is None:
            continue
        lines.append(
            f"| {name} | {m['n']} | {m['positives']} | {_fmt(m['roc_auc'])} | "
            f"{_fmt(m['pr_auc'])} | {_fmt(m['precision'])} | {_fmt(m['recall'])} | "
            f"{_fmt(m['f1'])} |"
        )
    return "\n".join(lines)


def labels_table(metrics: Mapping[str, Any]) -> str:
    """A Markdown table of the pooled metrics of every label."""
    lines = [
        "| label | rows | positives | threshold | ROC-AUC | PR-AUC | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label in LABELS:
        m = metrics[POOLED].get(label)
        if m is None:
            lines.append(f"| {label} | 0 | 0 | - | - | - | - | - | - |")
            continue
        lines.append(
            f"| {label} | {m['n']} | {m['positives']} | {m['threshold']:.3f} | "
            f"{_fmt(m['roc_auc'])} | {_fmt(m['pr_auc'])} | {_fmt(m['precision'])} | "
            f"{_fmt(m['recall'])} | {_fmt(m['f1'])} |"
        )
    return "\n".join(lines)


def write_report(
    report_dir: str | Path,
    labels: npt.ArrayLike,
    scores: ScoreMatrix,
    sources: Sequence[str],
    thresholds: Mapping[str, float],
    *,
    title: str = "Evaluation",
    notes: str = "",
) -> dict[str, Any]:
    """Write curves, confusion matrices and ``summary.md`` into ``report_dir``; return metrics.

    Per label with both classes known: ``roc_<label>.png`` and ``pr_<label>.png`` (pooled plus
    one curve per source with both classes) and ``confusion_<label>.png`` at the threshold.
    ``notes`` (Markdown) goes at the top of the summary.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    y = np.asarray(labels, dtype=np.float64)
    p = np.asarray(scores, dtype=np.float64)
    src = np.asarray(sources)
    metrics = evaluate(y, p, sources, thresholds)
    groups = [(POOLED, np.ones(len(src), dtype=bool))] + [
        (str(s), src == s) for s in sorted(set(src.tolist()))
    ]
    images: list[str] = []
    for j, label in enumerate(LABELS):
        truth, _ = _known(y[:, j], p[:, j])
        if not (truth.any() and not truth.all()):
            continue
        roc_fig, roc_ax = plt.subplots(figsize=(6, 5))
        pr_fig, pr_ax = plt.subplots(figsize=(6, 5))
        for name, rows in groups:
            g_true, g_score = _known(y[rows, j], p[rows, j])
            if not (g_true.any() and not g_true.all()):
                continue
            fpr, tpr, _ = roc_curve(g_true, g_score)
            precision, recall, _ = precision_recall_curve(g_true, g_score)
            width = 2.5 if name == POOLED else 1.0
            roc_ax.plot(fpr, tpr, linewidth=width, label=name)
            pr_ax.plot(recall, precision, linewidth=width, label=name)
        roc_ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
        roc_ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC {label}")
        pr_ax.set(xlabel="recall", ylabel="precision", title=f"Precision-recall {label}")
        for fig, ax, stem in ((roc_fig, roc_ax, "roc"), (pr_fig, pr_ax, "pr")):
            ax.legend(fontsize=7, loc="lower right" if stem == "roc" else "upper right")
            fig.tight_layout()
            fig.savefig(out / f"{stem}_{label}.png", dpi=100)
            plt.close(fig)
            images.append(f"{stem}_{label}.png")

        confusion = metrics[POOLED][label]["confusion"]
        grid = np.array([[confusion["tn"], confusion["fp"]], [confusion["fn"], confusion["tp"]]])
        fig, ax = plt.subplots(figsize=(4, 3.6))
        ax.imshow(grid, cmap="Blues")
        for (r, c), count in np.ndenumerate(grid):
            colour = "white" if count > grid.max() / 2 else "black"
            ax.text(c, r, f"{count:,}", ha="center", va="center", color=colour)
        ax.set_xticks([0, 1], labels=["not flagged", "flagged"])
        ax.set_yticks([0, 1], labels=["negative", "positive"])
        ax.set_title(f"{label} at {thresholds[label]:.3f}")
        fig.tight_layout()
        fig.savefig(out / f"confusion_{label}.png", dpi=100)
        plt.close(fig)
        images.append(f"confusion_{label}.png")

    sections = [f"# {title}", ""]
    if notes:
        sections += [notes.strip(), ""]
    sections += [
        "Rows whose label is unknown for a data set are excluded from that label's metrics. "
        "Thresholds are the model's own (chosen on the validation split; see *Thresholds for "
        "natural traffic* below when the report has it); a text is flagged at "
        "probability >= threshold.",
        "",
        "## All labels, pooled",
        "",
        labels_table(metrics),
        "",
    ]
    for label in LABELS:
        if any(label in per_label for per_label in metrics["per_source"].values()):
            sections += [f"## {label} per source", "", summary_table(metrics, label), ""]
    sections += ["## Figures", ""] + [f"- [{name}]({name})" for name in images] + [""]
    (out / "summary.md").write_text("\n".join(sections), encoding="utf-8")
    return metrics
