"""Compare candidate models on the same rows, at thresholds chosen the same way.

``python -m training.compare --linear DIR --transformer DIR [--cascade DIR] --out DIR`` scores
the validation and holdout splits once per model and derives, from those same scores:

* **linear**, **transformer**: each artifact as it is;
* **ensemble**: the mean of both models' probabilities, weighted by the weight that is best on
  validation (mean ROC-AUC over labels);
* **cascade**: the linear model's scores (scaled below the settled ceiling) where every label is
  below its gate (the cascade artifact's gates, read through its gate window if it has one),
  the transformer's elsewhere: exactly what the cascade backend returns
  (:func:`classifier.cascade.combine_stages`). The gate sweep reads the same first-stage scores.

Every candidate gets flag thresholds from the same rule (:mod:`training.thresholds`, on the
validation split's natural-prevalence rows), then: ROC-AUC per label and per source on the
holdout, the natural-traffic flag rate, the identity-term check, the functional suite and the
evasion check at those thresholds, speed on natural comments in this process (batches of 64, as
a worker scores) and artifact size. Classic baselines (LSA, averaged word vectors, from
:mod:`training.baselines`) are trained on a sample of the training split and reported beside
them. It writes ``comparison.json``, ``comparison.md`` and plots (ROC of ``toxic``, functional
accuracy per function) to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from classifier.labels import LABELS
from training.evaluate import evaluate
from training.evasion import evasion_check
from training.functional import FUNCTIONS, functional_check
from training.identity import identity_check
from training.pipeline import (
    PreparedData,
    load_split_scores,
    prepare_data,
    score_texts,
    traffic_policy,
)
from training.thresholds import DEFAULT_FLAG_PRECISION

Scorer = Callable[[Sequence[str]], npt.NDArray[np.float32]]
#: Natural comments timed per candidate.
SPEED_ROWS: Final = 1024
SPEED_BATCH: Final = 64
ENSEMBLE_WEIGHTS: Final = (0.2, 0.35, 0.5, 0.65, 0.8)
#: Cascade gates tried by the sweep: (rule, share of validation positives allowed to settle).
GATE_SWEEP: Final = tuple(
    (rule, budget) for rule in ("per-label", "shared") for budget in (0.01, 0.02, 0.05, 0.1)
)


def _mean_auc(labels: npt.NDArray[Any], scores: npt.NDArray[Any]) -> float:
    from sklearn.metrics import roc_auc_score

    values = []
    for j in range(len(LABELS)):
        known = ~np.isnan(labels[:, j])
        truth = labels[known, j] >= 0.5
        if truth.any() and not truth.all():
            values.append(roc_auc_score(truth, scores[known, j]))
    return float(np.mean(values))


def _directory_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def _speed(scorer: Scorer, texts: Sequence[str]) -> float:
    scorer(list(texts[:SPEED_BATCH]))  # warm up
    started = time.perf_counter()
    for start in range(0, len(texts), SPEED_BATCH):
        scorer(list(texts[start : start + SPEED_BATCH]))
    return len(texts) / (time.perf_counter() - started)


class _Candidate:
    """One candidate: its validation and holdout scores, and a scorer for new texts."""

    def __init__(
        self,
        name: str,
        validation: npt.NDArray[np.float32],
        holdout: npt.NDArray[np.float32],
        scorer: Scorer,
        *,
        size_mb: float | None,
        note: str = "",
    ) -> None:
        self.name, self.validation, self.holdout, self.scorer = name, validation, holdout, scorer
        self.size_mb, self.note = size_mb, note


def _assess(
    candidate: _Candidate,
    prepared: PreparedData,
    *,
    flag_precision: float,
    speed_texts: Sequence[str],
    checks: bool = True,
) -> dict[str, Any]:
    policy = traffic_policy(prepared, candidate.validation, flag_precision)
    thresholds = dict(policy["flag_thresholds"])
    holdout = prepared.holdout
    metrics = evaluate(holdout.labels, candidate.holdout, holdout.sources, thresholds)
    natural = np.asarray(holdout.natural, dtype=bool)
    limits = np.array([thresholds[label] for label in LABELS])
    flagged = np.asarray((candidate.holdout >= limits).any(axis=1), dtype=bool)
    result: dict[str, Any] = {
        "note": candidate.note,
        "size_mb": None if candidate.size_mb is None else round(candidate.size_mb, 1),
        "thresholds": thresholds,
        "auto_remove_thresholds": policy["auto_remove_thresholds"],
        "expected_flag_rate": policy["expected_flag_rate"],
        "holdout_natural_flag_rate": float(flagged[natural].mean()) if natural.any() else None,
        "metrics": metrics,
    }
    if checks:
        result["identity"] = identity_check(candidate.scorer, thresholds)
        result["functional"] = functional_check(candidate.scorer, thresholds)
        result["evasion"] = evasion_check(candidate.scorer, thresholds)
        result["comments_per_second"] = round(_speed(candidate.scorer, speed_texts), 1)
    return result


def gate_sweep(
    prepared: PreparedData,
    linear: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]],
    transformer: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]],
    *,
    flag_precision: float = DEFAULT_FLAG_PRECISION,
) -> list[dict[str, Any]]:
    """What each cascade gate costs and buys, from both models' saved split scores.

    For each (rule, budget) of :data:`GATE_SWEEP` the gates are chosen on validation (as the
    cascade trainer does), thresholds by the same natural-traffic rule; then, on the holdout:
    the share of natural comments the linear stage settles (the transformer never sees them),
    the share of rows positive on any label that it settles (and so scores with the linear
    model), pooled ROC-AUC and the recall of positives at the thresholds, beside the
    transformer alone (rule ``none``).
    """
    from sklearn.metrics import roc_auc_score

    from classifier.cascade import choose_gates, combine_stages

    validation, holdout = prepared.validation, prepared.holdout
    natural = np.asarray(holdout.natural, dtype=bool)
    y = holdout.labels
    positive = np.nan_to_num(y, nan=0.0).max(axis=1) >= 0.5
    toxic = LABELS.index("toxic")
    known = ~np.isnan(y[:, toxic])

    def row(
        rule: str, budget: float | None, gates: npt.NDArray[np.float32] | None
    ) -> dict[str, Any]:
        if gates is None:
            val_scores, hold_scores = transformer
            settled: npt.NDArray[np.bool_] = np.zeros(len(holdout), dtype=bool)
        else:
            val_settled = np.asarray((linear[0] < gates[None, :]).all(axis=1), dtype=bool)
            settled = np.asarray((linear[1] < gates[None, :]).all(axis=1), dtype=bool)
            val_scores = combine_stages(linear[0], transformer[0], val_settled, gates)
            hold_scores = combine_stages(linear[1], transformer[1], settled, gates)
        policy = traffic_policy(prepared, val_scores.astype(np.float32), flag_precision)
        limits = np.array([policy["flag_thresholds"][label] for label in LABELS])
        flagged = np.asarray((hold_scores >= limits[None, :]).any(axis=1), dtype=bool)
        return {
            "rule": rule,
            "budget": budget,
            "gates": None if gates is None else [round(float(g), 4) for g in gates],
            "natural_settled_share": float(settled[natural].mean()) if natural.any() else None,
            "positives_settled_share": float(settled[positive].mean()) if positive.any() else None,
            "toxic_roc_auc": float(roc_auc_score(y[known, toxic], hold_scores[known, toxic])),
            "positives_flagged_share": float(flagged[positive].mean()) if positive.any() else None,
            "natural_flag_rate": float(flagged[natural].mean()) if natural.any() else None,
        }

    rows = [row("none (transformer alone)", None, None)]
    for rule, budget in GATE_SWEEP:
        gates = choose_gates(linear[0], validation.labels, max_settled_positives=budget, rule=rule)
        rows.append(row(rule, budget, gates))
    return rows


def gate_sweep_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    out = [
        "| gate rule | budget | natural comments settled | positives settled | "
        "toxic ROC-AUC | positives flagged | natural flagged |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        budget = "-" if r["budget"] is None else f"{r['budget']:.0%}"
        out.append(
            f"| {r['rule']} | {budget} | {pct(r['natural_settled_share'])} | "
            f"{pct(r['positives_settled_share'])} | {r['toxic_roc_auc']:.4f} | "
            f"{pct(r['positives_flagged_share'])} | {pct(r['natural_flag_rate'])} |"
        )
    return "\n".join(out) + "\n"


def _auc(result: Mapping[str, Any], label: str, source: str | None = None) -> float | None:
    group = result["metrics"]["pooled"] if source is None else result["metrics"]["per_source"]
    if source is not None:
        group = group.get(source, {})
    value = group.get(label, {}).get("roc_auc")
    return None if value is None else float(value)


def comparison_markdown(results: Mapping[str, Any], *, sources: Sequence[str]) -> str:
    """The comparison as Markdown tables (per source, per label, per function, checks, cost)."""
    names = list(results["candidates"])

    def cell(value: float | None, digits: int = 3) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    header = "| | " + " | ".join(f"**{n}**" for n in names) + " |"
    rule = "|---|" + "---:|" * len(names)
    out = [
        f"Holdout: {results['holdout_rows']:,} rows; thresholds: {results['threshold_rule']}.",
        "",
    ]
    out += ["### toxic ROC-AUC per source", "", header, rule]
    for source in sources:
        values = [_auc(results["candidates"][n], "toxic", source) for n in names]
        out.append(f"| {source} | " + " | ".join(cell(v) for v in values) + " |")
    out += ["", "### ROC-AUC per label (pooled holdout)", "", header, rule]
    for label in LABELS:
        values = [_auc(results["candidates"][n], label) for n in names]
        out.append(f"| {label} | " + " | ".join(cell(v) for v in values) + " |")
    checked = [n for n in names if "functional" in results["candidates"][n]]
    if checked:
        head = "| | " + " | ".join(f"**{n}**" for n in checked) + " |"
        line = "|---|" + "---:|" * len(checked)
        out += ["", "### Functional suite: accuracy per function at the thresholds", "", head, line]
        for function in FUNCTIONS:
            values = [
                results["candidates"][n]["functional"]["per_function"]
                .get(function, {})
                .get("accuracy")
                for n in checked
            ]
            out.append(f"| {function} | " + " | ".join(cell(v, 2) for v in values) + " |")
        rows: dict[str, Callable[[Mapping[str, Any]], float | None]] = {
            "mean over functions": lambda r: r["functional"]["mean_function_accuracy"],
            "all cases": lambda r: r["functional"]["accuracy"],
            "worst function": lambda r: r["functional"]["worst_function"]["accuracy"],
            "identity sentences flagged (share)": lambda r: r["identity"]["flagged_share"],
            "evasion: toxic still flagged (worst obfuscation)": lambda r: r["evasion"]["worst"][
                "toxic_flagged"
            ],
            "natural holdout flagged (share)": lambda r: r["holdout_natural_flag_rate"],
        }
        out += ["", "### Checks and cost", "", head, line]
        for title, get in rows.items():
            out.append(
                f"| {title} | "
                + " | ".join(cell(get(results["candidates"][n]), 3) for n in checked)
                + " |"
            )
        for title, key, digits in (
            ("comments/s, one process, batch 64", "comments_per_second", 0),
            ("artifact size (MB)", "size_mb", 1),
        ):
            out.append(
                f"| {title} | "
                + " | ".join(cell(results["candidates"][n].get(key), digits) for n in checked)
                + " |"
            )
    notes = [f"- **{n}**: {results['candidates'][n]['note']}" for n in names]
    out += ["", *notes]
    if results.get("gate_sweep"):
        out += [
            "",
            "### Cascade gates: what settling with the linear model costs and buys",
            "",
            "Gates chosen on validation as the cascade trainer does; figures on the holdout, "
            "each row with its own thresholds from the same rule.",
            "",
            gate_sweep_markdown(results["gate_sweep"]).rstrip("\n"),
        ]
    return "\n".join(out) + "\n"


def _plots(
    results: Mapping[str, Any], scores: Mapping[str, Any], prepared: PreparedData, out: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    y = prepared.holdout.labels[:, LABELS.index("toxic")]
    known = ~np.isnan(y)
    fig, ax = plt.subplots(figsize=(6, 5))
    for name, holdout in scores.items():
        fpr, tpr, _ = roc_curve(y[known] >= 0.5, holdout[known, LABELS.index("toxic")])
        auc = _auc(results["candidates"][name], "toxic")
        ax.plot(fpr, tpr, label=f"{name} ({auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.5)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="toxic, holdout")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "roc_toxic.png", dpi=110)
    plt.close(fig)

    checked = [n for n, r in results["candidates"].items() if "functional" in r]
    functions = list(FUNCTIONS)
    fig, ax = plt.subplots(figsize=(10, 6))
    width = 0.8 / max(len(checked), 1)
    for k, name in enumerate(checked):
        per = results["candidates"][name]["functional"]["per_function"]
        values = [per.get(f, {}).get("accuracy", 0.0) for f in functions]
        ax.barh(np.arange(len(functions)) + k * width, values, height=width, label=name)
    ax.set_yticks(np.arange(len(functions)) + 0.4 - width / 2, functions, fontsize=8)
    ax.axvline(0.8, color="grey", linestyle="--", linewidth=0.8)
    ax.set(xlabel="accuracy at the thresholds", xlim=(0, 1), title="functional suite")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "functional.png", dpi=110)
    plt.close(fig)


def compare(
    *,
    linear_dir: Path,
    transformer_dir: Path,
    cascade_dir: Path | None,
    out: Path,
    flag_precision: float = DEFAULT_FLAG_PRECISION,
    baseline_rows: int = 0,
    log: Callable[[str], None] = print,
    prepared: PreparedData | None = None,
    saved_scores: Mapping[str, Path] | None = None,
) -> dict[str, Any]:
    """Run the comparison; write ``comparison.json``, ``comparison.md`` and plots to ``out``.

    ``prepared`` defaults to every public set, deduplicated and split as for training;
    ``saved_scores`` names report directories whose saved scores stand in for scoring a model
    again (``{"transformer": DIR}``; the same model's training report).
    """
    from classifier.artifacts import load_model
    from classifier.cascade import combine_stages

    if prepared is None:
        prepared = prepare_data(log=log)
    validation, holdout = prepared.validation, prepared.holdout
    natural_texts = [t for t, n in zip(holdout.texts, holdout.natural, strict=True) if n]
    speed_texts = natural_texts[:SPEED_ROWS]
    linear = load_model(linear_dir)
    transformer = load_model(transformer_dir)
    scored: dict[str, tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]] = {}
    for name, model in (("linear", linear), ("transformer", transformer)):
        if name in (saved_scores or {}):
            log(f"{name}: scores saved by its training run in {saved_scores[name]}")  # type: ignore[index]
            scored[name] = load_split_scores(saved_scores[name], prepared)  # type: ignore[index]
            continue
        log(f"scoring validation and holdout with {model.version}")
        scored[name] = (
            score_texts(model.predict_proba, validation.texts, progress=True, desc=f"{name} val"),
            score_texts(model.predict_proba, holdout.texts, progress=True, desc=f"{name} holdout"),
        )
    candidates = [
        _Candidate(
            "linear",
            *scored["linear"],
            linear.predict_proba,
            size_mb=_directory_mb(linear.path),
            note=f"`{linear.version}`",
        ),
        _Candidate(
            "transformer",
            *scored["transformer"],
            transformer.predict_proba,
            size_mb=_directory_mb(transformer.path),
            note=f"`{transformer.version}`",
        ),
    ]
    best = max(
        ENSEMBLE_WEIGHTS,
        key=lambda w: _mean_auc(
            validation.labels, w * scored["transformer"][0] + (1 - w) * scored["linear"][0]
        ),
    )

    def ensemble(texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return np.asarray(
            best * transformer.predict_proba(texts) + (1 - best) * linear.predict_proba(texts),
            dtype=np.float32,
        )

    candidates.append(
        _Candidate(
            "ensemble",
            best * scored["transformer"][0] + (1 - best) * scored["linear"][0],
            best * scored["transformer"][1] + (1 - best) * scored["linear"][1],
            ensemble,
            size_mb=candidates[0].size_mb + candidates[1].size_mb,  # type: ignore[operator]
            note=f"{best:.2f} x transformer + {1 - best:.2f} x linear (weight best on validation)",
        )
    )
    # The linear stage's scores as the gates read them (the cascade's window, if it has one).
    gate_scores = scored["linear"]
    if cascade_dir is not None:
        cascade = load_model(cascade_dir)
        backend: Any = cascade.backend
        if backend.gate_window is not None:
            log(f"scoring with the cascade's first stage in windows of {backend.gate_window} words")
            gate_scores = (
                score_texts(backend.first_scores, validation.texts, progress=True, desc="gate"),
                score_texts(backend.first_scores, holdout.texts, progress=True, desc="gate"),
            )
        split_scores = []
        for part in (0, 1):
            first, second = gate_scores[part], scored["transformer"][part]
            settled = backend.settled(first)
            split_scores.append(
                combine_stages(first, second, settled, backend.gates, backend.settled_ceiling)
            )
            if part == 1:
                share = float(settled[np.asarray(holdout.natural, dtype=bool)].mean())
        candidates.append(
            _Candidate(
                "cascade",
                split_scores[0],
                split_scores[1],
                cascade.predict_proba,
                size_mb=_directory_mb(cascade.path),
                note=f"`{cascade.version}`: gates {np.round(backend.gates, 3).tolist()}; "
                f"settles {share:.1%} of natural holdout comments with the linear model",
            )
        )
    if baseline_rows:
        candidates += _baselines(prepared, baseline_rows, log)
    results: dict[str, Any] = {
        "holdout_rows": len(holdout),
        "threshold_rule": f"estimated precision >= {flag_precision} on natural traffic",
        "candidates": {},
        "gate_sweep": gate_sweep(
            prepared, gate_scores, scored["transformer"], flag_precision=flag_precision
        ),
    }
    for candidate in candidates:
        log(f"assessing {candidate.name}")
        results["candidates"][candidate.name] = _assess(
            candidate,
            prepared,
            flag_precision=flag_precision,
            speed_texts=speed_texts,
            checks=not candidate.name.startswith("baseline"),
        )
    out.mkdir(parents=True, exist_ok=True)
    from classifier.artifacts import _jsonable

    (out / "comparison.json").write_text(
        json.dumps(_jsonable(results), indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    sources = sorted(set(holdout.sources))
    (out / "comparison.md").write_text(
        comparison_markdown(results, sources=sources), encoding="utf-8"
    )
    _plots(results, {c.name: c.holdout for c in candidates}, prepared, out)
    return results


def _baselines(prepared: PreparedData, rows: int, log: Callable[[str], None]) -> list[_Candidate]:
    """LSA and averaged word vectors, fitted on a fixed sample of ``rows`` training rows."""
    import importlib

    try:
        baselines: Any = importlib.import_module("training.baselines")
    except ImportError:
        log("training.baselines is not available; no baselines")
        return []
    from training.pipeline import _sample

    train = _sample(prepared.train, rows)
    found = []
    for name, make in (
        ("LSA", baselines.LsaBaseline),
        ("word vectors", baselines.WordVectorBaseline),
    ):
        log(f"fitting baseline {name} on {len(train):,} rows")
        model = make().fit(train.texts, train.labels)
        found.append(
            _Candidate(
                f"baseline {name}",
                model.predict_proba(prepared.validation.texts),
                model.predict_proba(prepared.holdout.texts),
                model.predict_proba,
                size_mb=None,
                note=f"{name}, fitted on {len(train):,} training rows",
            )
        )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--linear", type=Path, required=True)
    parser.add_argument("--transformer", type=Path, required=True)
    parser.add_argument("--cascade", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--flag-precision", type=float, default=DEFAULT_FLAG_PRECISION)
    parser.add_argument("--baseline-rows", type=int, default=0, help="0: no baselines")
    parser.add_argument(
        "--scores",
        action="append",
        default=[],
        metavar="NAME=REPORT_DIR",
        help="linear or transformer: reuse the scores its training run saved in its report",
    )
    args = parser.parse_args(argv)
    saved = {}
    for item in args.scores:
        name, _, folder = item.partition("=")
        saved[name] = Path(folder)
    compare(
        linear_dir=args.linear,
        transformer_dir=args.transformer,
        cascade_dir=args.cascade,
        out=args.out,
        flag_precision=args.flag_precision,
        baseline_rows=args.baseline_rows,
        saved_scores=saved,
    )
    print((args.out / "comparison.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
