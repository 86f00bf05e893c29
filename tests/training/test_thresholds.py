"""Flag and auto-remove thresholds chosen for natural traffic (training.thresholds)."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.labels import LABELS
from training.thresholds import (
    AUTO_REMOVE_PRECISION,
    choose_policy,
    natural_prevalence,
    policy_markdown,
)

N = float("nan")


def _validation(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Half enriched rows (40 % toxic), half natural rows (5 % toxic); scores separate them."""
    n = 4000
    natural = np.arange(n) >= n // 2
    positive = np.where(natural, rng.random(n) < 0.05, rng.random(n) < 0.4)
    labels = np.zeros((n, len(LABELS)), dtype=np.float32)
    labels[:, :] = positive[:, None]
    scores = np.clip(
        np.where(positive[:, None], 0.7, 0.3) + rng.normal(0, 0.15, (n, len(LABELS))), 0, 1
    )
    return labels, scores, natural


def test_prevalence_comes_from_natural_rows_only_and_masks_unknown_labels() -> None:
    labels = np.array([[1, N, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]], np.float32)
    prevalence = natural_prevalence(labels, [True, True, False])
    assert prevalence["toxic"] == pytest.approx(0.5)
    assert prevalence["severe_toxic"] == pytest.approx(1e-3)  # 0 of 1 known: the floor


def test_thresholds_for_a_rare_stream_are_higher_than_best_f1_on_enriched_data() -> None:
    labels, scores, natural = _validation(np.random.default_rng(0))
    policy = choose_policy(
        labels, scores, natural, prevalence=dict.fromkeys(LABELS, 0.05), flag_precision=0.8
    )
    for label in LABELS:
        info = policy["labels"][label]
        assert info["estimated_precision"] >= 0.8
        # The threshold is where flags become 80 % right at 5 % prevalence: well above the
        # midpoint 0.5 where the two score distributions cross.
        assert policy["flag_thresholds"][label] > 0.55
        assert 0 < info["natural_flag_rate"] < 0.1
    assert 0 < policy["expected_flag_rate"] < 0.2
    assert "0.8" in policy["rule"]


def test_a_lower_precision_target_flags_more() -> None:
    labels, scores, natural = _validation(np.random.default_rng(1))
    prevalence = dict.fromkeys(LABELS, 0.05)
    strict = choose_policy(labels, scores, natural, prevalence=prevalence, flag_precision=0.9)
    loose = choose_policy(labels, scores, natural, prevalence=prevalence, flag_precision=0.5)
    assert loose["expected_flag_rate"] > strict["expected_flag_rate"]


def test_auto_remove_only_where_precision_reaches_098_with_enough_positives() -> None:
    rng = np.random.default_rng(2)
    labels, scores, natural = _validation(rng)
    # toxic: perfectly separated above 0.9, so removal is safe there.
    toxic = labels[:, 0] >= 0.5
    scores[:, 0] = np.where(toxic, 0.95, rng.uniform(0, 0.6, len(toxic)))
    policy = choose_policy(labels, scores, natural, prevalence=dict.fromkeys(LABELS, 0.05))
    removal = policy["auto_remove_thresholds"]
    assert removal["toxic"] is not None
    assert removal["toxic"] >= policy["flag_thresholds"]["toxic"]
    assert policy["labels"]["toxic"]["auto_remove_precision"] >= AUTO_REMOVE_PRECISION
    # The overlapping labels never reach 0.98: no removal without a moderator.
    assert removal["insult"] is None


def test_a_label_without_positives_keeps_its_fallback_and_never_removes() -> None:
    labels, scores, natural = _validation(np.random.default_rng(3))
    labels[:, LABELS.index("severe_toxic")] = 0
    policy = choose_policy(
        labels,
        scores,
        natural,
        prevalence=dict.fromkeys(LABELS, 0.05),
        fallback={"severe_toxic": 0.42},
    )
    assert policy["flag_thresholds"]["severe_toxic"] == 0.42
    assert policy["auto_remove_thresholds"]["severe_toxic"] is None
    table = policy_markdown(policy)
    assert "| severe_toxic |" in table
    assert "never" in table
