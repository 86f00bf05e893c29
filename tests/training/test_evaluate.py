from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifier.labels import LABELS
from training.evaluate import (
    FALLBACK_THRESHOLD,
    best_f1_threshold,
    choose_thresholds,
    evaluate,
    label_metrics,
    write_report,
)

N = float("nan")


def _data() -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(0)
    n = 200
    labels = (rng.random((n, len(LABELS))) < 0.3).astype(np.float32)
    scores = np.clip(labels * 0.5 + rng.random((n, len(LABELS))) * 0.6, 0, 1).astype(np.float32)
    labels[:50, 1:] = np.nan  # source "a" knows toxic only
    labels[:, 1] = np.nan  # nobody knows severe_toxic
    sources = ["a"] * 50 + ["b"] * 150
    return labels, scores, sources


def test_masked_rows_are_excluded_not_counted_as_negatives() -> None:
    y = np.array([1, 0, N, N, 1, 0], dtype=np.float32)
    score = np.array([0.9, 0.1, 0.95, 0.99, 0.4, 0.6], dtype=np.float32)
    masked = label_metrics(y, score, 0.5)
    known = label_metrics(y[[0, 1, 4, 5]], score[[0, 1, 4, 5]], 0.5)
    assert masked == known
    assert masked["n"] == 4
    assert masked["confusion"] == {"tp": 1, "fp": 1, "fn": 1, "tn": 1}
    assert masked["roc_auc"] == pytest.approx(0.75)


def test_threshold_maximises_f1() -> None:
    y = np.array([0, 0, 0, 1, 1, 1, N], dtype=np.float32)
    score = np.array([0.1, 0.2, 0.35, 0.4, 0.8, 0.9, 0.0], dtype=np.float32)
    threshold = best_f1_threshold(y, score)
    assert threshold == pytest.approx(0.4)
    assert label_metrics(y, score, threshold)["f1"] == 1.0


def test_one_class_gives_no_auc_and_the_fallback_threshold() -> None:
    y = np.array([0, 0, N], dtype=np.float32)
    score = np.array([0.1, 0.7, 0.9], dtype=np.float32)
    assert best_f1_threshold(y, score) == FALLBACK_THRESHOLD
    metrics = label_metrics(y, score, 0.5)
    assert metrics["roc_auc"] is None
    assert metrics["pr_auc"] is None


def test_evaluate_groups_by_source_and_leaves_out_unknown_labels() -> None:
    labels, scores, sources = _data()
    thresholds = choose_thresholds(labels, scores)
    assert set(thresholds) == set(LABELS)
    assert thresholds["severe_toxic"] == FALLBACK_THRESHOLD
    metrics = evaluate(labels, scores, sources, thresholds)
    assert set(metrics["per_source"]) == {"a", "b"}
    assert set(metrics["per_source"]["a"]) == {"toxic"}
    assert "severe_toxic" not in metrics["pooled"]
    assert metrics["pooled"]["toxic"]["n"] == 200
    assert metrics["pooled"]["insult"]["n"] == 150
    json.dumps(metrics, allow_nan=False)


def test_report_has_curves_confusion_matrices_and_a_summary(tmp_path: Path) -> None:
    labels, scores, sources = _data()
    thresholds = choose_thresholds(labels, scores)
    metrics = write_report(tmp_path / "report", labels, scores, sources, thresholds, title="T")
    files = {p.name for p in (tmp_path / "report").iterdir()}
    for label in ("toxic", "insult"):
        assert {f"roc_{label}.png", f"pr_{label}.png", f"confusion_{label}.png"} <= files
    assert "roc_severe_toxic.png" not in files
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert summary.startswith("# T")
    assert "| a |" in summary
    assert "| b |" in summary
    assert metrics["pooled"]["toxic"]["n"] == 200
    assert (tmp_path / "report" / "roc_toxic.png").read_bytes()[:4] == b"\x89PNG"
