"""Retraining from moderator corrections: the lock, the gate, promotion and rejection.

Everything is real but small: a base set of a few dozen made-up sentences (a labelled CSV),
the tiny model as the champion, corrections recorded through the review service, a linear
candidate trained by the training pipeline.
"""

from __future__ import annotations

import random
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from moderation.models import ModelVersion, PromotionState, RetrainRun, RetrainStatus
from moderation.services.retraining import (
    Comparison,
    RetrainLocked,
    RetrainOptions,
    promotion_gate,
    retrain_run,
)
from tests.retraining_data import (
    NEUTRAL,
    pattern_corrections,
    record_corrections,
)


@pytest.mark.django_db
def test_corrections_that_teach_a_pattern_promote_the_candidate(
    retrain_settings: Any, platform: Any, tiny_model: ModelVersion
) -> None:
    record_corrections(platform, pattern_corrections())

    run = retrain_run(options=RetrainOptions())

    assert run.status == RetrainStatus.PROMOTED, run.reason
    candidate = ModelVersion.objects.get(is_active=True)
    assert candidate == run.candidate
    assert candidate != tiny_model
    assert candidate.promotion == PromotionState.PROMOTED
    assert candidate.origin == "retrained"
    corrections = run.comparison["held_out_corrections"]
    assert corrections["candidate"] > corrections["champion"] + 0.2
    assert corrections["gain_interval_90"][0] > 0
    report = Path(run.report_path)
    assert (report / "summary.md").read_text().startswith(f"# Retrain {run.pk}")
    assert (report / "roc_toxic_corrections.png").stat().st_size > 1000


@pytest.mark.django_db
def test_corrections_that_are_noise_are_rejected_with_the_reason(
    retrain_settings: Any, platform: Any, tiny_model: ModelVersion
) -> None:
    rng = random.Random(7)
    rows = [(f"{rng.choice(NEUTRAL)} came up in thread {i}", rng.randint(0, 1)) for i in range(80)]
    record_corrections(platform, rows)

    run = retrain_run(options=RetrainOptions())

    assert run.status == RetrainStatus.REJECTED
    # rejected for not being better on the corrections, not for some other reason
    assert run.reason.startswith(("Not better", "Not clearly better")), run.reason
    assert ModelVersion.objects.get(is_active=True) == tiny_model
    assert run.candidate is not None
    assert run.candidate.promotion == PromotionState.REJECTED
    assert run.candidate.promotion_reason == run.reason


@pytest.mark.django_db
def test_too_few_new_corrections_skips_and_says_so(
    retrain_settings: Any, platform: Any, tiny_model: ModelVersion
) -> None:
    record_corrections(platform, pattern_corrections()[:6])

    run = retrain_run(options=RetrainOptions())

    assert run.status == RetrainStatus.SKIPPED
    assert "Only 6 new correction(s)" in run.reason
    assert ModelVersion.objects.count() == 2  # no candidate was trained


@pytest.mark.django_db
def test_dry_run_and_no_promote(
    retrain_settings: Any, platform: Any, tiny_model: ModelVersion
) -> None:
    record_corrections(platform, pattern_corrections())

    dry = retrain_run(options=RetrainOptions(dry_run=True))
    kept = retrain_run(options=RetrainOptions(promote=False))

    assert dry.status == RetrainStatus.DRY_RUN
    assert "Would train" in dry.reason
    assert kept.status == RetrainStatus.NOT_PROMOTED
    assert kept.candidate is not None
    assert kept.candidate.promotion == PromotionState.NOT_PROMOTED
    assert ModelVersion.objects.get(is_active=True) == tiny_model


@pytest.mark.django_db
def test_two_retrains_never_run_at_once(retrain_settings: Any, tiny_model: ModelVersion) -> None:
    RetrainRun.objects.create(backend="linear")  # one is running

    with pytest.raises(RetrainLocked, match="Another retrain is running"):
        retrain_run(options=RetrainOptions(force=True))
    with pytest.raises(CommandError, match="Another retrain is running"):
        call_command("retrain", stdout=StringIO())


def comparison(champion: float, candidate: float, rows: int = 100, low: float = 0.05) -> Comparison:
    return Comparison(rows=rows, champion=champion, candidate=candidate, gain_interval=(low, 0.3))


@pytest.mark.django_db
def test_gate_rule(retrain_settings: Any) -> None:
    holdout_ok = Comparison(rows=500, champion=0.90, candidate=0.89)
    holdout_worse = Comparison(rows=500, champion=0.90, candidate=0.60)

    assert promotion_gate(corrections=comparison(0.6, 0.8), holdout=holdout_ok).promote
    assert not promotion_gate(corrections=comparison(0.6, 0.8), holdout=holdout_worse).promote
    assert not promotion_gate(corrections=comparison(0.6, 0.605), holdout=holdout_ok).promote
    assert not promotion_gate(
        corrections=comparison(0.6, 0.8, low=-0.02), holdout=holdout_ok
    ).promote
    assert not promotion_gate(corrections=comparison(0.6, 0.8, rows=3), holdout=holdout_ok).promote
