"""Train the shipped default model on every public data set.

Run ``python -m training.train_default [--data DIR] [--out DIR] [--report DIR]``.

Steps: load every set in the data directory, deduplicate on normalised text, split by a stable
hash of the text (70/15/15), train the linear backend on the training part, calibrate and choose
per-label thresholds (maximum F1) on the validation part, evaluate on the holdout per source,
then write the artifact (default ``classifier/models/<version>/``) and a report with curves
(default ``reports/<version>/``). Deterministic: the same data gives the same weights and version
hash on the same day.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from tqdm.auto import tqdm

from classifier.artifacts import (
    MANIFEST_NAME,
    SHIPPED_MODELS_DIR,
    artifact_version,
    load_model,
    write_artifact,
)
from classifier.labels import LABELS
from classifier.linear import train_linear
from training.datasets import LOADERS, SOURCE_LICENSES, LabeledSet, resolve_data_dir
from training.evaluate import choose_thresholds, labels_table, summary_table, write_report
from training.splits import (
    SPLIT_SALT,
    TRAIN_SHARE,
    VALIDATION_SHARE,
    Split,
    assign_splits,
    dedupe,
    split_counts,
)

PROJECT_ROOT: Final = Path(__file__).resolve().parents[1]
DEFAULT_REPORTS_DIR: Final = PROJECT_ROOT / "reports"
RANDOM_STATE: Final = 0
BENCHMARK_BATCH: Final = 64
BENCHMARK_ROWS: Final = 4096


def _log(message: str) -> None:
    tqdm.write(message, file=sys.stderr)


def _load_sources(data_dir: Path) -> LabeledSet:
    if not data_dir.is_dir():
        raise SystemExit(f"data directory not found: {data_dir} (use --data or TOXMOD_DATA_DIR)")
    parts = []
    for name in tqdm(LOADERS, desc="loading", unit="set"):
        parts.append(LOADERS[name](data_dir))
    return LabeledSet.concat(parts)


def _directory_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _benchmark(model_dir: Path, texts: Sequence[str]) -> float:
    """Comments per second, one process, batches of :data:`BENCHMARK_BATCH` raw texts."""
    model = load_model(model_dir)
    model.predict_proba(texts[:BENCHMARK_BATCH])  # warm-up
    start = time.perf_counter()
    for i in tqdm(range(0, len(texts), BENCHMARK_BATCH), desc="benchmark", unit="batch"):
        model.predict_proba(texts[i : i + BENCHMARK_BATCH])
    return len(texts) / (time.perf_counter() - start)


def _non_empty(path: Path) -> bool:
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


def _other_shipped_models(keep: Path) -> list[Path]:
    if not SHIPPED_MODELS_DIR.is_dir():
        return []
    return [
        p
        for p in SHIPPED_MODELS_DIR.iterdir()
        if (p / MANIFEST_NAME).is_file() and p.resolve() != keep.resolve()
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.train_default", description=__doc__)
    parser.add_argument("--data", type=Path, help="data directory (default: ../shared/data)")
    parser.add_argument("--out", type=Path, help="artifact dir (default classifier/models/<ver>)")
    parser.add_argument("--report", type=Path, help="report dir (default reports/<version>)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    parser.add_argument(
        "--replace-shipped",
        action="store_true",
        help="with the default --out, delete the previously shipped model after writing",
    )
    args = parser.parse_args(argv)

    if args.out is not None and _non_empty(args.out) and not args.overwrite:
        raise SystemExit(f"{args.out} exists and is not empty (pass --overwrite to replace it)")
    started = time.perf_counter()
    data_dir = resolve_data_dir(args.data)
    raw = _load_sources(data_dir)
    _log(f"loaded {len(raw):,} rows from {len(set(raw.sources))} sources in {data_dir}")

    data, dedupe_report = dedupe(raw)
    _log(f"dedupe: {dedupe_report.rows_in:,} -> {dedupe_report.rows_out:,} rows")
    parts = assign_splits(data.texts, data.groups)
    index = {split: [i for i, p in enumerate(parts) if p is split] for split in Split}
    train, validation, holdout = (data.subset(index[s]) for s in Split)
    _log(f"split: train {len(train):,}, validation {len(validation):,}, holdout {len(holdout):,}")

    train_started = time.perf_counter()
    backend = train_linear(
        train.texts,
        train.labels,
        validation=(validation.texts, validation.labels),
        random_state=RANDOM_STATE,
        log=_log,
    )
    train_seconds = time.perf_counter() - train_started

    validation_scores = backend.predict_proba(validation.texts)
    thresholds = choose_thresholds(validation.labels, validation_scores)
    holdout_scores = backend.predict_proba(holdout.texts)

    version = artifact_version(backend)
    out_dir: Path = args.out or SHIPPED_MODELS_DIR / version
    report_dir: Path = args.report or DEFAULT_REPORTS_DIR / version
    if _non_empty(out_dir) and not args.overwrite:
        raise SystemExit(f"{out_dir} exists and is not empty (pass --overwrite to replace it)")
    previous = _other_shipped_models(out_dir) if args.out is None else []
    if previous and not args.replace_shipped:
        raise SystemExit(
            f"{SHIPPED_MODELS_DIR} already ships {[p.name for p in previous]}; pass "
            "--replace-shipped to replace it, or --out to write elsewhere"
        )

    untrained = [label for label, s in backend.label_status.items() if s == "constant"]
    notes = (
        f"Model `{version}`, trained on {len(train):,} rows; thresholds and calibration from "
        f"{len(validation):,} validation rows; metrics on {len(holdout):,} holdout rows.\n\n"
        + (
            f"Not learnable from these sources (predicted as a constant prior): "
            f"{', '.join(untrained)}."
            if untrained
            else ""
        )
    )
    metrics = write_report(
        report_dir,
        holdout.labels,
        holdout_scores,
        holdout.sources,
        thresholds,
        title=f"Holdout evaluation of {version}",
        notes=notes,
    )
    validation_metrics = write_report(
        report_dir / "validation",
        validation.labels,
        validation_scores,
        validation.sources,
        thresholds,
        title=f"Validation evaluation of {version} (thresholds chosen here)",
    )
    training_summary: dict[str, Any] = {
        "date": datetime.now(UTC).date().isoformat(),
        "data_dir": data_dir.name,
        "sources": {
            name: {"license": SOURCE_LICENSES.get(name, "unknown")} for name in sorted(LOADERS)
        },
        "rows_loaded_per_source": raw.label_counts_per_source(),
        "loader_notes": raw.notes,
        "dedupe": dedupe_report.as_dict(),
        "split": {
            "rule": f"sha256('{SPLIT_SALT}' + NUL + split-group key, else normalised text)",
            "shares": [TRAIN_SHARE, VALIDATION_SHARE, round(1 - TRAIN_SHARE - VALIDATION_SHARE, 2)],
            "rows_per_source": split_counts(data, parts),
        },
        "train_label_counts": train.label_counts(),
        "backend": backend.info,
        "constant_labels": untrained,
        "random_state": RANDOM_STATE,
        "train_seconds": round(train_seconds, 1),
    }
    manifest = write_artifact(
        out_dir,
        backend,
        version=version,
        thresholds=thresholds,
        metrics={
            "split": "holdout",
            "threshold_rule": "max F1 per label on the validation split",
            **metrics,
            "validation_pooled": validation_metrics["pooled"],
        },
        training_summary=training_summary,
        overwrite=args.overwrite,
    )
    for old in previous:
        shutil.rmtree(old)
        _log(f"removed previously shipped model {old.name}")

    rate = _benchmark(out_dir, holdout.texts[:BENCHMARK_ROWS])
    total_seconds = time.perf_counter() - started
    size = _directory_size(out_dir)
    with (report_dir / "summary.md").open("a", encoding="utf-8") as handle:
        handle.write(
            f"\n## Run\n\n- training: {train_seconds:.0f} s; whole run: {total_seconds:.0f} s\n"
            f"- artifact: {size / 1e6:.2f} MB\n"
            f"- throughput: {rate:,.0f} comments/s (one process, batch {BENCHMARK_BATCH})\n"
        )

    print(f"\nmodel {manifest.version} -> {out_dir} ({size / 1e6:.2f} MB)")
    print(f"report -> {report_dir}")
    print(f"training {train_seconds:.0f} s, whole run {total_seconds:.0f} s")
    print(f"throughput {rate:,.0f} comments/s (one process, batch {BENCHMARK_BATCH})\n")
    print("Holdout, toxic, per source:\n" + summary_table(metrics, "toxic") + "\n")
    print("Holdout, every label, pooled:\n" + labels_table(metrics))
    thresholds_text = ", ".join(f"{label} {thresholds[label]:.3f}" for label in LABELS)
    print(f"\nthresholds (max F1 on validation): {thresholds_text}")
    if untrained:
        print(f"constant (not learnable from these sources): {', '.join(untrained)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
