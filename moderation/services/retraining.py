"""Retraining from moderator corrections: champion against challenger, promoted only if better.

One run: take the lock (a running RetrainRun row), export every correction in the documented
format, hold a fixed share of them out (by a stable hash of the text, so the same comment is
always held out), train a candidate on the base data plus the other corrections, score the
active model (the champion) and the candidate on the fixed holdout of the base data and on the
held-out corrections, and promote the candidate only if it is better on the corrections and
not worse than a tolerance on the holdout. Everything it decided is recorded on the run and on
the candidate's ModelVersion, with a report (numbers and plots).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from classifier.labels import LABELS
from classifier.text import normalize_text
from moderation.errors import ModerationError
from moderation.models import (
    ModelVersion,
    ModelVersionOrigin,
    PromotionState,
    RetrainRun,
    RetrainStatus,
)
from moderation.services.corrections import corrections_records, corrections_reviews
from moderation.services.model_versions import model_version_activate, model_version_register

logger = logging.getLogger(__name__)

Log = Callable[[str], None]

#: Salt of the corrections hold-out hash: unlike the base split's, it never changes either.
HELDOUT_SALT = "toxmod-corrections-heldout-v1"


class RetrainLocked(ModerationError):
    """Another retrain is running; two never run at once."""

    code = "retrain_running"


@dataclass(frozen=True)
class RetrainOptions:
    backend: str = "linear"
    #: Only corrections decided at or after this time (default: all of them).
    since: datetime | None = None
    dry_run: bool = False
    promote: bool = True
    #: Train even if there are fewer new corrections than RETRAIN_MIN_NEW_CORRECTIONS.
    force: bool = False
    trigger: str = "command"
    progress: bool = False


@dataclass
class Comparison:
    """A metric of the champion and the candidate on one evaluation set."""

    rows: int
    champion: float | None
    candidate: float | None
    per_label: dict[str, dict[str, float | None]] = field(default_factory=dict)
    #: 90 % paired-bootstrap interval of (candidate - champion), when both can be measured.
    gain_interval: tuple[float, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "champion": self.champion,
            "candidate": self.candidate,
            "gain_interval_90": list(self.gain_interval) if self.gain_interval else None,
            "per_label": self.per_label,
        }


def is_held_out(text: str) -> bool:
    """Whether a correction is held out of training (fixed by the text, never by the run)."""
    digest = hashlib.sha256(f"{HELDOUT_SALT}\0{normalize_text(text)}".encode()).digest()
    share = float(settings.RETRAIN_HELDOUT_SHARE)
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _quiet(_message: str) -> None:
    return None


def _lock_acquire(options: RetrainOptions) -> RetrainRun:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.RETRAIN_LOCK_TIMEOUT_SECONDS)
    RetrainRun.objects.filter(is_running=True, started_at__lt=stale).update(
        is_running=False,
        status=RetrainStatus.FAILED,
        finished_at=now,
        reason="Abandoned: it held the lock past RETRAIN_LOCK_TIMEOUT_SECONDS (a crash?).",
    )
    try:
        with transaction.atomic():
            return RetrainRun.objects.create(backend=options.backend, trigger=options.trigger)
    except IntegrityError as exc:
        running = RetrainRun.objects.filter(is_running=True).first()
        since = f" since {running.started_at:%Y-%m-%d %H:%M:%S} UTC" if running else ""
        raise RetrainLocked(f"Another retrain is running{since}; try again later.") from exc


def _finish(run: RetrainRun, status: RetrainStatus, reason: str) -> RetrainRun:
    run.status = status
    run.reason = reason
    run.is_running = False
    run.finished_at = timezone.now()
    run.save()
    return run


def _last_corrections_until() -> datetime | None:
    """The newest correction a finished training run already used."""
    trained = [RetrainStatus.PROMOTED, RetrainStatus.REJECTED, RetrainStatus.NOT_PROMOTED]
    last = (
        RetrainRun.objects.filter(status__in=trained, corrections_until__isnull=False)
        .order_by("-corrections_until")
        .first()
    )
    return last.corrections_until if last else None


@dataclass
class ExportedCorrections:
    train_path: Path
    heldout_path: Path
    total: int = 0
    heldout: int = 0
    new: int = 0
    newest: datetime | None = None


def _export(
    work_dir: Path, since: datetime | None, new_after: datetime | None
) -> ExportedCorrections:
    """Write the corrections as two `toxmod-corrections/1` JSONL files: train and held out."""
    work_dir.mkdir(parents=True, exist_ok=True)
    exported = ExportedCorrections(
        work_dir / "corrections-train.jsonl", work_dir / "held-out.jsonl"
    )
    with exported.train_path.open("w") as train, exported.heldout_path.open("w") as heldout:
        for record in corrections_records(corrections_reviews(since=since)):
            decided = datetime.fromisoformat(record["decided_at"])
            exported.total += 1
            if new_after is None or decided > new_after:
                exported.new += 1
            if exported.newest is None or decided > exported.newest:
                exported.newest = decided
            line = json.dumps(record, ensure_ascii=False) + "\n"
            if is_held_out(record["text"]):
                exported.heldout += 1
                heldout.write(line)
            else:
                train.write(line)
    return exported


def _mean_roc_auc(
    labels: npt.NDArray[np.float32], scores: npt.NDArray[np.float32]
) -> tuple[float | None, dict[str, float | None]]:
    """Mean ROC-AUC over the labels that have known positives and negatives (NaN = unknown)."""
    from sklearn.metrics import roc_auc_score

    per_label: dict[str, float | None] = {}
    for j, label in enumerate(LABELS):
        known = ~np.isnan(labels[:, j])
        y = labels[known, j] >= 0.5
        if known.sum() == 0 or y.all() or not y.any():
            per_label[label] = None
            continue
        per_label[label] = float(roc_auc_score(y, scores[known, j]))
    defined = [value for value in per_label.values() if value is not None]
    return (float(np.mean(defined)) if defined else None), per_label


def _gain_interval(
    labels: npt.NDArray[np.float32],
    champion: npt.NDArray[np.float32],
    candidate: npt.NDArray[np.float32],
    *,
    rounds: int = 400,
    seed: int = 0,
) -> tuple[float, float] | None:
    """5th and 95th percentiles of the candidate's mean ROC-AUC gain over resampled rows.

    Resampling the same rows for both models (a paired bootstrap) shows whether a gain on a
    few hundred corrections is real or luck: noise corrections give an interval around zero.
    """
    rng = np.random.default_rng(seed)
    gains = []
    for _ in range(rounds):
        rows = rng.integers(0, len(labels), len(labels))
        cand, _ = _mean_roc_auc(labels[rows], candidate[rows])
        champ, _ = _mean_roc_auc(labels[rows], champion[rows])
        if cand is not None and champ is not None:
            gains.append(cand - champ)
    if len(gains) < rounds // 2:
        return None
    low, high = np.percentile(gains, [5, 95])
    return float(low), float(high)


Scores = tuple[npt.NDArray[np.float32] | None, npt.NDArray[np.float32]]


def _scored(texts: Sequence[str], champion: Any, candidate: Any) -> Scores:
    """The champion's (None without one) and the candidate's probabilities for `texts`."""
    champion_scores = champion.predict_proba(list(texts)) if champion else None
    return champion_scores, candidate.predict_proba(list(texts))


def _compare(labels: npt.NDArray[np.float32], scores: Scores) -> Comparison:
    if len(labels) == 0:
        return Comparison(rows=0, champion=None, candidate=None)
    champion_scores, candidate_scores = scores
    candidate_mean, candidate_labels = _mean_roc_auc(labels, candidate_scores)
    champion_mean, champion_labels = (
        _mean_roc_auc(labels, champion_scores) if champion_scores is not None else (None, {})
    )
    interval = (
        _gain_interval(labels, champion_scores, candidate_scores)
        if champion_scores is not None and champion_mean is not None and candidate_mean is not None
        else None
    )
    return Comparison(
        rows=len(labels),
        champion=champion_mean,
        candidate=candidate_mean,
        per_label={
            label: {"champion": champion_labels.get(label), "candidate": candidate_labels[label]}
            for label in LABELS
        },
        gain_interval=interval,
    )


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str


def promotion_gate(*, corrections: Comparison, holdout: Comparison) -> GateDecision:
    """Promote only if better on held-out corrections and not worse than tolerated on holdout.

    Better means the candidate's mean ROC-AUC on the held-out corrections beats the champion's
    by at least RETRAIN_MIN_IMPROVEMENT and the gain holds up under resampling (the lower end
    of its 90 % paired-bootstrap interval is above zero); not worse means its mean ROC-AUC on
    the fixed holdout is at least the champion's minus RETRAIN_HOLDOUT_TOLERANCE. With no
    champion, a candidate that can be measured on the corrections is promoted.
    """
    improvement = settings.RETRAIN_MIN_IMPROVEMENT
    tolerance = settings.RETRAIN_HOLDOUT_TOLERANCE
    if corrections.rows < settings.RETRAIN_MIN_HELDOUT:
        return GateDecision(
            False,
            f"Only {corrections.rows} held-out corrections (RETRAIN_MIN_HELDOUT is "
            f"{settings.RETRAIN_MIN_HELDOUT}): too few to tell whether the candidate is better.",
        )
    if corrections.candidate is None:
        return GateDecision(
            False,
            "The held-out corrections have no label with both positive and negative examples, "
            "so neither model can be measured on them.",
        )
    if corrections.champion is None:
        return GateDecision(True, "There was no active model to beat.")
    gain = corrections.candidate - corrections.champion
    if gain < improvement:
        return GateDecision(
            False,
            f"Not better on the held-out corrections: mean ROC-AUC {corrections.candidate:.3f} "
            f"against the champion's {corrections.champion:.3f} (needs +{improvement:.3f}).",
        )
    interval = corrections.gain_interval
    if interval is not None and interval[0] <= 0:
        return GateDecision(
            False,
            f"Not clearly better on the held-out corrections: mean ROC-AUC "
            f"{corrections.candidate:.3f} against the champion's {corrections.champion:.3f}, "
            f"but the gain's 90 % interval ({interval[0]:+.3f} to {interval[1]:+.3f}) includes "
            "zero: the corrections may be noise, or too few.",
        )
    if (
        holdout.candidate is not None
        and holdout.champion is not None
        and holdout.candidate < holdout.champion - tolerance
    ):
        return GateDecision(
            False,
            f"Better on the held-out corrections ({corrections.candidate:.3f} against "
            f"{corrections.champion:.3f}) but worse on the fixed holdout: "
            f"{holdout.candidate:.3f} against {holdout.champion:.3f} (tolerance "
            f"{tolerance:.3f}).",
        )
    holdout_text = (
        f"; fixed holdout {holdout.candidate:.3f} against {holdout.champion:.3f}"
        if holdout.candidate is not None and holdout.champion is not None
        else ""
    )
    return GateDecision(
        True,
        f"Better on the held-out corrections: mean ROC-AUC {corrections.candidate:.3f} against "
        f"the champion's {corrections.champion:.3f}{holdout_text}.",
    )


def _write_report(
    report_dir: Path,
    *,
    run: RetrainRun,
    champion: str | None,
    candidate: str,
    corrections: Comparison,
    holdout: Comparison,
    gate: GateDecision,
    corrections_scores: tuple[Any, Any, npt.NDArray[np.float32]] | None,
) -> None:
    """comparison.json, summary.md and a ROC plot of both models on the held-out corrections."""
    report_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "run": run.pk,
        "champion": champion,
        "candidate": candidate,
        "held_out_corrections": corrections.as_dict(),
        "fixed_holdout": holdout.as_dict(),
        "promote": gate.promote,
        "reason": gate.reason,
        "rule": {
            "min_improvement": settings.RETRAIN_MIN_IMPROVEMENT,
            "holdout_tolerance": settings.RETRAIN_HOLDOUT_TOLERANCE,
            "min_heldout": settings.RETRAIN_MIN_HELDOUT,
        },
    }
    (report_dir / "comparison.json").write_text(json.dumps(data, indent=2))

    def fmt(value: float | None) -> str:
        return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"

    lines = [
        f"# Retrain {run.pk}: {candidate} against {champion or 'no champion'}",
        "",
        f"**Decision:** {'promote' if gate.promote else 'reject'}. {gate.reason}",
        "",
        "| evaluation set | rows | champion mean ROC-AUC | candidate mean ROC-AUC |",
        "|---|---:|---:|---:|",
        f"| held-out corrections | {corrections.rows} | {fmt(corrections.champion)} | "
        f"{fmt(corrections.candidate)} |",
        f"| fixed holdout (base data) | {holdout.rows} | {fmt(holdout.champion)} | "
        f"{fmt(holdout.candidate)} |",
        "",
        "Per label on the held-out corrections (n/a: the label lacks positives or negatives):",
        "",
        "| label | champion | candidate |",
        "|---|---:|---:|",
    ]
    for label, values in corrections.per_label.items():
        lines.append(f"| {label} | {fmt(values['champion'])} | {fmt(values['candidate'])} |")
    (report_dir / "summary.md").write_text("\n".join(lines) + "\n")

    if corrections_scores is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from sklearn.metrics import roc_curve

        champion_scores, candidate_scores, labels = corrections_scores
        figure, axis = plt.subplots(figsize=(5.5, 5))
        known = ~np.isnan(labels[:, 0])
        y = labels[known, 0] >= 0.5
        if y.any() and not y.all():
            for name, scores in (("champion", champion_scores), ("candidate", candidate_scores)):
                if scores is not None:
                    fpr, tpr, _ = roc_curve(y, scores[known, 0])
                    axis.plot(fpr, tpr, label=name)
        axis.plot([0, 1], [0, 1], linestyle=":", color="grey")
        axis.set_xlabel("false positive rate")
        axis.set_ylabel("true positive rate")
        axis.set_title("toxic on held-out corrections")
        axis.legend(loc="lower right")
        figure.tight_layout()
        figure.savefig(report_dir / "roc_toxic_corrections.png", dpi=110)
        plt.close(figure)


def retrain_run(*, options: RetrainOptions, log: Log = _quiet) -> RetrainRun:
    """Run one retrain; returns the finished RetrainRun (its status says what happened).

    Raises RetrainLocked if another is running. A failure marks the run failed (with the
    error) and re-raises; the active model is never touched unless the candidate is promoted.
    """
    run = _lock_acquire(options)
    try:
        return _retrain(run, options, log)
    except Exception as exc:
        _finish(run, RetrainStatus.FAILED, f"{type(exc).__name__}: {exc}")
        raise


def _retrain(run: RetrainRun, options: RetrainOptions, log: Log) -> RetrainRun:
    from classifier.artifacts import load_model
    from moderation.model_loader import artifact_dir
    from training.datasets import load_corrections
    from training.pipeline import TrainOptions, prepare_data, train_model

    champion_version = ModelVersion.objects.filter(is_active=True).first()
    run.champion = champion_version
    store = Path(settings.MODEL_STORE_DIR)
    work_dir = store / "retrain" / f"run-{run.pk}"
    previous = _last_corrections_until()
    exported = _export(work_dir, options.since, previous)
    run.corrections_total = exported.total
    run.corrections_new = exported.new
    run.corrections_until = exported.newest
    run.save()
    log(
        f"{exported.total} correction(s), {exported.new} new since the last retrain, "
        f"{exported.heldout} held out for the comparison"
    )
    minimum = settings.RETRAIN_MIN_NEW_CORRECTIONS
    if exported.new < minimum and not options.force:
        return _finish(
            run,
            RetrainStatus.SKIPPED,
            f"Only {exported.new} new correction(s) since the last retrain; at least {minimum} "
            "are needed (RETRAIN_MIN_NEW_CORRECTIONS, or --force).",
        )
    if options.dry_run:
        return _finish(
            run,
            RetrainStatus.DRY_RUN,
            f"Would train a {options.backend} candidate on the base data plus "
            f"{exported.total - exported.heldout} correction(s) and compare it with "
            f"{champion_version.version if champion_version else 'no champion'} on "
            f"{exported.heldout} held-out correction(s).",
        )

    data_dir: str | None = settings.RETRAIN_DATA_DIR or None
    sources: list[str] | None = settings.RETRAIN_SOURCES
    labeled_files = [Path(path) for path in settings.RETRAIN_LABELED_FILES]
    candidate_dir = store / f"retrain-{run.pk}"
    report_dir = store / "retrain" / f"run-{run.pk}" / "report"
    log(f"training a {options.backend} candidate into {candidate_dir}")
    train_model(
        TrainOptions(
            backend=options.backend,
            out_dir=candidate_dir,
            report_dir=report_dir / "candidate",
            corrections=[exported.train_path] if exported.total - exported.heldout else [],
            anchor=False,
            progress=options.progress,
            data_dir=Path(data_dir) if data_dir else None,
            sources=sources,
            labeled_files=labeled_files,
        ),
        log=log,
    )
    candidate = load_model(candidate_dir)
    champion = load_model(artifact_dir(champion_version)) if champion_version else None

    log("comparing champion and candidate")
    held_out = load_corrections(exported.heldout_path) if exported.heldout else None
    held_out_scores = _scored(held_out.texts, champion, candidate) if held_out else None
    corrections = (
        _compare(held_out.labels, held_out_scores)
        if held_out is not None and held_out_scores is not None
        else Comparison(rows=0, champion=None, candidate=None)
    )
    holdout_set = prepare_data(data_dir, sources=sources, labeled_files=labeled_files).holdout
    holdout = _compare(holdout_set.labels, _scored(holdout_set.texts, champion, candidate))
    gate = promotion_gate(corrections=corrections, holdout=holdout)
    promote = gate.promote and options.promote
    log(gate.reason)

    _write_report(
        report_dir,
        run=run,
        champion=champion_version.version if champion_version else None,
        candidate=candidate.version,
        corrections=corrections,
        holdout=holdout,
        gate=gate,
        corrections_scores=(
            (*held_out_scores, held_out.labels)
            if held_out is not None and held_out_scores is not None
            else None
        ),
    )
    comparison = {"held_out_corrections": corrections.as_dict(), "fixed_holdout": holdout.as_dict()}
    with transaction.atomic():
        version = model_version_register(
            artifact_dir=candidate_dir, origin=ModelVersionOrigin.RETRAINED
        )
        version.metrics = {**version.metrics, "retrain_comparison": comparison}
        version.training_summary = {
            **version.training_summary,
            "corrections": {
                "total": exported.total,
                "held_out": exported.heldout,
                "until": exported.newest.isoformat() if exported.newest else None,
            },
        }
        version.report_path = str(report_dir)
        # The gate's outcome names both the version's promotion state and the run's status.
        outcome = "promoted" if promote else "not_promoted" if gate.promote else "rejected"
        version.promotion_reason = gate.reason
        version.promotion = PromotionState(outcome)
        version.save()
        if promote:
            model_version_activate(model_version=version)
        run.candidate = version
        run.comparison = comparison
        run.report_path = str(report_dir)
        reason = (
            gate.reason if options.promote or not gate.promote else gate.reason + " (--no-promote)"
        )
        return _finish(run, RetrainStatus(outcome), reason)
