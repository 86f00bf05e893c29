"""Train and evaluate a model of any backend: the logic behind ``manage.py train`` / ``evaluate``.

Steps of :func:`train_model`: load every set in the data directory (plus the user's own labelled
files and moderator corrections, if given), deduplicate on normalised text, split by the fixed
hash of the text (:mod:`training.splits`), train on the training part, calibrate and choose
per-label thresholds on the validation part (the threshold that maximises F1 per label), then
evaluate on the holdout part and write the artifact and the report.

:func:`evaluate_model` writes the same report for any artifact directory. A report holds, per
label and per source, ROC-AUC, PR-AUC, precision/recall/F1 at the model's thresholds, ROC/PR
curves and confusion matrices as PNG, ``metrics.json`` with every number, ``summary.md``, the
identity-term check and, where ``alt-profanity-check`` is installed, its toxic ROC-AUC on the
same holdout as an anchor.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from classifier.labels import LABELS
from training.datasets import (
    LOADERS,
    SOURCE_LICENSES,
    LabeledSet,
    load_corrections,
    load_labeled_file,
    resolve_data_dir,
)
from training.evaluate import POOLED, choose_thresholds, write_report
from training.evasion import evasion_check, evasion_markdown
from training.functional import functional_check, functional_markdown
from training.identity import identity_check, identity_markdown
from training.splits import (
    SPLIT_SALT,
    TRAIN_SHARE,
    VALIDATION_SHARE,
    DedupeReport,
    Split,
    assign_splits,
    dedupe,
    split_counts,
)
from training.thresholds import (
    DEFAULT_FLAG_PRECISION,
    choose_policy,
    natural_prevalence,
    policy_markdown,
)
from training.trainers import TRAINERS

BACKENDS: Final = tuple(TRAINERS)
#: Sources made by the project itself, not read from the data directory.
GENERATED_SOURCES: Final = frozenset({"templates"})
PROJECT_ROOT: Final = Path(__file__).resolve().parents[1]
DEFAULT_OUT_ROOT: Final = PROJECT_ROOT / "var" / "models"
DEFAULT_REPORTS_DIR: Final = PROJECT_ROOT / "reports"
#: Texts per model call when scoring a split.
SCORING_BATCH: Final = 64
#: The anchor model's source data: its Davidson figure is reported but not compared.
ANCHOR_TRAINED_ON: Final = ("davidson", "jigsaw_samples")

Log = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


@dataclass
class PreparedData:
    """Deduplicated rows and their fixed split."""

    data_dir: Path
    raw: LabeledSet
    data: LabeledSet
    dedupe_report: DedupeReport
    parts: list[Split]
    splits: dict[Split, LabeledSet] = field(default_factory=dict)

    @property
    def train(self) -> LabeledSet:
        return self.splits[Split.TRAIN]

    @property
    def validation(self) -> LabeledSet:
        return self.splits[Split.VALIDATION]

    @property
    def holdout(self) -> LabeledSet:
        return self.splits[Split.HOLDOUT]


def prepare_data(
    data_dir: str | Path | None = None,
    *,
    sources: Sequence[str] | None = None,
    labeled_files: Sequence[Path] = (),
    text_column: str = "text",
    corrections: Sequence[Path] = (),
    log: Log = _quiet,
) -> PreparedData:
    """Load, deduplicate and split. Raises ``FileNotFoundError`` for a missing data directory.

    ``sources`` picks public sets by name (default: all); ``labeled_files`` are a user's own
    CSV/TSV/JSONL files (:func:`training.datasets.load_labeled_file`, schema-named label
    columns); ``corrections`` are moderator exports (:func:`training.datasets.load_corrections`).
    """
    root = resolve_data_dir(data_dir)
    parts: list[LabeledSet] = []
    names = list(LOADERS) if sources is None else list(sources)
    if names:
        if not root.is_dir():
            raise FileNotFoundError(f"training data directory not found: {root}")
        unknown = [name for name in names if name not in LOADERS]
        if unknown:
            raise KeyError(f"unknown data sources {unknown}; known: {list(LOADERS)}")
        missing: list[str] = []
        for name in names:
            try:
                parts.append(LOADERS[name](root))
            except FileNotFoundError:
                if sources is not None:  # asked for by name: its files must be there
                    raise FileNotFoundError(f"data set {name!r} not found in {root}") from None
                missing.append(name)
                continue
            log(f"loaded {name}: {len(parts[-1]):,} rows")
        if missing:
            log(f"not in {root}: {', '.join(missing)}")
        if not any(part.sources and part.sources[0] not in GENERATED_SOURCES for part in parts):
            raise FileNotFoundError(
                f"no known data set in {root}; expected folders of the sets listed in "
                f"../shared/data/README.md ({', '.join(sorted(set(LOADERS) - GENERATED_SOURCES))})"
            )
    for path in labeled_files:
        parts.append(load_labeled_file(path, text_column=text_column))
        log(f"loaded {path.name}: {len(parts[-1]):,} rows")
    for path in corrections:
        parts.append(load_corrections(path))
        log(f"loaded corrections {path.name}: {len(parts[-1]):,} rows")
    raw = LabeledSet.concat(parts)
    data, report = dedupe(raw)
    log(f"dedupe: {report.rows_in:,} -> {report.rows_out:,} rows")
    split_parts = assign_splits(data.texts, data.groups)
    splits = {
        split: data.subset([i for i, p in enumerate(split_parts) if p is split]) for split in Split
    }
    log(
        f"split: train {len(splits[Split.TRAIN]):,}, validation "
        f"{len(splits[Split.VALIDATION]):,}, holdout {len(splits[Split.HOLDOUT]):,}"
    )
    return PreparedData(root, raw, data, report, split_parts, splits)


def _sample(
    data: LabeledSet,
    max_rows: int | None,
    seed: int = 0,
    *,
    per_source: int | None = None,
    keep_positives: Sequence[str] = (),
) -> LabeledSet:
    """A fixed random sample: at most ``per_source`` rows of each source, then at most
    ``max_rows`` rows in all (``None``: no limit).

    Where ``per_source`` cuts a source, its rows positive on any label in ``keep_positives``
    are kept first (a random share of them if they alone exceed the cap) and the rest of the
    cap is filled at random, so that a rare label's few examples are not thinned out with the
    source."""
    rng = np.random.default_rng(seed)
    if per_source is not None:
        keep: list[int] = []
        sources = np.asarray(data.sources)
        columns = [LABELS.index(label) for label in keep_positives]
        for source in sorted(set(data.sources)):
            rows = np.flatnonzero(sources == source)
            if len(rows) <= per_source:
                keep += rows.tolist()
                continue
            order = rows[rng.permutation(len(rows))]
            if columns:
                positive = (data.labels[order][:, columns] == 1.0).any(axis=1)
                order = np.concatenate([order[positive], order[~positive]])
            keep += order[:per_source].tolist()
        data = data.subset(np.sort(np.asarray(keep, dtype=np.intp)))
    if max_rows is None or len(data) <= max_rows:
        return data
    rows = np.sort(rng.permutation(len(data))[:max_rows])
    return data.subset(rows)


def training_rows(options: TrainOptions, prepared: PreparedData) -> LabeledSet:
    """The training split as the options sample it (what the backend is trained on)."""
    return _sample(
        prepared.train,
        options.max_rows,
        options.seed,
        per_source=options.max_rows_per_source,
        keep_positives=options.keep_positives,
    )


def score_texts(
    predict_proba: Callable[[Sequence[str]], npt.NDArray[np.float32]],
    texts: Sequence[str],
    *,
    batch_size: int = SCORING_BATCH,
    progress: bool = False,
    desc: str = "scoring",
) -> npt.NDArray[np.float32]:
    """Scores ``(n, 6)`` in batches, with a progress bar if asked."""
    out = np.empty((len(texts), len(LABELS)), dtype=np.float32)
    starts = range(0, len(texts), batch_size)
    iterator: Any = starts
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(starts, desc=desc, unit="batch")
    for start in iterator:
        out[start : start + batch_size] = predict_proba(texts[start : start + batch_size])
    return out


def anchor_scores(texts: Sequence[str]) -> npt.NDArray[np.float64] | None:
    """alt-profanity-check's one probability per text, or ``None`` if it is not installed."""
    try:
        from profanity_check import predict_prob
    except ImportError:
        return None
    import warnings

    from classifier.text import normalize_text

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its pickled scikit-learn objects warn about versions
        return np.asarray(predict_prob([normalize_text(t) for t in texts]), dtype=np.float64)


def anchor_comparison(
    holdout: LabeledSet, ours_toxic: npt.NDArray[Any], anchor: npt.NDArray[Any]
) -> dict[str, Any]:
    """Toxic ROC-AUC per source (and pooled) of our model and of the anchor on the same rows."""
    from sklearn.metrics import roc_auc_score

    toxic = holdout.labels[:, LABELS.index("toxic")]
    sources = np.asarray(holdout.sources)
    groups = [(POOLED, np.ones(len(sources), dtype=bool))] + [
        (str(s), sources == s) for s in sorted(set(holdout.sources))
    ]
    result: dict[str, Any] = {}
    for name, rows in groups:
        known = rows & ~np.isnan(toxic)
        truth = toxic[known] >= 0.5
        if not (truth.any() and not truth.all()):
            continue
        result[name] = {
            "n": int(known.sum()),
            "ours": float(roc_auc_score(truth, ours_toxic[known])),
            "anchor": float(roc_auc_score(truth, anchor[known])),
            "anchor_trained_on_it": name in ANCHOR_TRAINED_ON,
        }
    return result


def anchor_markdown(comparison: dict[str, Any]) -> str:
    lines = [
        "## Anchor: alt-profanity-check on the same holdout",
        "",
        "Its one probability against our `toxic`. It was trained on Davidson tweets and "
        "Wikipedia comments (Jigsaw), so those rows are not a fair comparison (marked *).",
        "",
        "| source | rows | ours ROC-AUC | alt-profanity-check ROC-AUC |",
        "|---|---:|---:|---:|",
    ]
    for name, m in comparison.items():
        mark = " *" if m["anchor_trained_on_it"] else ""
        lines.append(f"| {name}{mark} | {m['n']} | {m['ours']:.3f} | {m['anchor']:.3f} |")
    return "\n".join(lines) + "\n"


def write_full_report(
    report_dir: Path,
    holdout: LabeledSet,
    scores: npt.NDArray[np.float32],
    thresholds: dict[str, float],
    predict_proba: Callable[[Sequence[str]], npt.NDArray[np.float32]],
    *,
    title: str,
    notes: str = "",
    anchor: bool = True,
    extra: dict[str, Any] | None = None,
    policy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Curves, confusion matrices, ``summary.md`` and ``metrics.json``; returns the metrics.

    ``metrics.json`` holds the per-label/per-source metrics, the threshold policy (when given),
    the identity check, the functional suite and the evasion check at ``thresholds``, the anchor
    comparison (when alt-profanity-check is installed and ``anchor``) and ``extra``.
    """
    metrics = write_report(
        report_dir,
        holdout.labels,
        scores,
        holdout.sources,
        thresholds,
        title=title,
        notes=notes,
    )
    identity = identity_check(predict_proba, thresholds)
    functional = functional_check(predict_proba, thresholds)
    evasion = evasion_check(predict_proba, thresholds)
    sections = [identity_markdown(identity), functional_markdown(functional)]
    sections.append(evasion_markdown(evasion))
    result: dict[str, Any] = {
        "split": "holdout",
        "threshold_rule": policy["rule"] if policy else "the artifact's thresholds",
        **metrics,
        "identity_check": identity,
        "functional_suite": functional,
        "evasion": evasion,
    }
    if policy:
        result["policy"] = policy
        sections.insert(0, "## Thresholds for natural traffic\n\n" + policy_markdown(policy))
    if anchor:
        anchor_raw = anchor_scores(holdout.texts)
        if anchor_raw is not None:
            comparison = anchor_comparison(holdout, scores[:, LABELS.index("toxic")], anchor_raw)
            result["anchor_alt_profanity_check"] = comparison
            sections.append(anchor_markdown(comparison))
    if extra:
        result.update(extra)
    with (report_dir / "summary.md").open("a", encoding="utf-8") as handle:
        handle.write("\n" + "\n".join(sections))
    (report_dir / "metrics.json").write_text(
        json.dumps(_jsonable(result), indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    return result


#: Scores of the validation and holdout rows, saved beside a training report for later
#: comparisons (``python -m training.compare --scores NAME=DIR``), in split row order.
SCORE_FILES: Final = {"validation": "validation_scores.npy", "holdout": "holdout_scores.npy"}


def save_split_scores(report_dir: Path, **scores: npt.NDArray[np.float32]) -> None:
    report_dir.mkdir(parents=True, exist_ok=True)
    for split, matrix in scores.items():
        np.save(report_dir / SCORE_FILES[split], np.asarray(matrix, dtype=np.float32))


def load_split_scores(
    report_dir: Path, prepared: PreparedData
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Saved (validation, holdout) scores; ``ValueError`` unless they fit these splits."""
    found = []
    for split, part in (("validation", prepared.validation), ("holdout", prepared.holdout)):
        matrix = np.load(report_dir / SCORE_FILES[split], allow_pickle=False)
        if matrix.shape != (len(part), len(LABELS)):
            raise ValueError(f"{report_dir}: {split} scores do not fit this data ({matrix.shape})")
        found.append(matrix.astype(np.float32))
    return found[0], found[1]


def traffic_policy(
    prepared: PreparedData, validation_scores: npt.ArrayLike, flag_precision: float
) -> dict[str, Any]:
    """Flag and auto-remove thresholds for natural traffic (:mod:`training.thresholds`).

    Prevalence comes from the natural-prevalence rows of the training and validation splits
    (never the holdout); the thresholds from the validation split. Labels the validation split
    cannot support keep the best-F1 threshold.
    """
    validation = prepared.validation
    seen = prepared.train.labels, prepared.validation.labels
    natural = list(prepared.train.natural) + list(validation.natural)
    prevalence = natural_prevalence(np.concatenate(seen), natural)
    return choose_policy(
        validation.labels,
        validation_scores,
        validation.natural,
        prevalence=prevalence,
        flag_precision=flag_precision,
        fallback=choose_thresholds(validation.labels, np.asarray(validation_scores)),
    )


def _jsonable(value: Any) -> Any:
    from classifier.artifacts import _jsonable as convert

    return convert(value)


def evaluate_model(
    model_dir: Path,
    *,
    data_dir: str | Path | None = None,
    report_dir: Path | None = None,
    sources: Sequence[str] | None = None,
    labeled_files: Sequence[Path] = (),
    text_column: str = "text",
    max_rows: int | None = None,
    anchor: bool = True,
    progress: bool = True,
    log: Log = _quiet,
    folds: int | None = None,
    folds_max_rows: int | None = None,
) -> tuple[dict[str, Any], Path]:
    """Evaluate the artifact at ``model_dir`` on the holdout split; return metrics and report dir.

    ``folds``: also k-fold cross-validate the artifact's recipe on the training and validation
    rows (a fixed sample of ``folds_max_rows`` of them, when given): mean and spread of per-label
    ROC-AUC over the folds, in ``crossval.md`` and under ``cross_validation`` in the metrics.
    Only backends cheap enough to refit k times (linear) can; others raise ``ValueError``.

    Thresholds are the artifact's own (chosen on validation data when it was trained).
    ``max_rows`` evaluates a fixed random sample of the holdout. Raises
    ``classifier.artifacts.ArtifactError`` for a bad artifact, ``FileNotFoundError`` for a
    missing data directory.
    """
    from classifier.artifacts import load_model

    model = load_model(model_dir)
    if folds is not None and (folds < 2 or model.manifest.backend != "linear"):
        raise ValueError(
            "--folds needs at least 2 folds and a linear model (refitting a transformer k times "
            f"takes hours on a CPU); this one is {model.manifest.backend}"
        )
    prepared = prepare_data(
        data_dir, sources=sources, labeled_files=labeled_files, text_column=text_column, log=log
    )
    holdout = _sample(prepared.holdout, max_rows)
    target = report_dir or DEFAULT_REPORTS_DIR / model.version
    started = time.perf_counter()
    scores = score_texts(model.predict_proba, holdout.texts, progress=progress, desc="holdout")
    seconds = time.perf_counter() - started
    metrics = write_full_report(
        target,
        holdout,
        scores,
        dict(model.manifest.thresholds),
        model.predict_proba,
        title=f"Holdout evaluation of {model.version}",
        notes=f"Model `{model.version}` ({model.manifest.backend}) on {len(holdout):,} holdout "
        f"rows of {prepared.data_dir.name}; thresholds from the artifact.",
        anchor=anchor,
        extra={"scoring_seconds": round(seconds, 2), "rows_per_second": len(holdout) / seconds},
        policy=dict(model.manifest.policy) or None,
    )
    if folds is not None:
        from training.crossval import cross_validate, crossval_markdown, linear_fit_predict

        pool = LabeledSet.concat([prepared.train, prepared.validation])
        pool = _sample(pool, folds_max_rows)
        log(f"cross-validating the linear recipe on {len(pool):,} rows, {folds} folds")
        crossval = cross_validate(pool, linear_fit_predict(), k=folds, progress=progress)
        metrics["cross_validation"] = crossval
        (target / "crossval.md").write_text(crossval_markdown(crossval) + "\n", encoding="utf-8")
        (target / "metrics.json").write_text(
            json.dumps(_jsonable(metrics), indent=2, allow_nan=False) + "\n", encoding="utf-8"
        )
    return metrics, target


@dataclass
class TrainOptions:
    """What ``manage.py train`` passes; every field has the default used for docs/model.md."""

    backend: str = "linear"
    data_dir: Path | None = None
    out_dir: Path | None = None
    report_dir: Path | None = None
    sources: Sequence[str] | None = None
    labeled_files: Sequence[Path] = ()
    text_column: str = "text"
    corrections: Sequence[Path] = ()
    max_rows: int | None = None
    #: At most this many training rows of each source (a fixed sample), before ``max_rows``.
    max_rows_per_source: int | None = None
    #: Labels whose positive rows ``max_rows_per_source`` keeps first when it cuts a source.
    keep_positives: Sequence[str] = ()
    overwrite: bool = False
    anchor: bool = True
    progress: bool = True
    #: Flag thresholds are chosen for this precision on natural traffic (training.thresholds).
    flag_precision: float = DEFAULT_FLAG_PRECISION
    # linear
    word_max_features: int = 50_000
    char_max_features: int = 100_000
    c: float = 1.0
    #: Per-source row weights for the linear backend (``{"civil_comments": 3.0}``); default 1.
    source_weights: dict[str, float] = field(default_factory=dict)
    # transformer
    base_model: str | None = None
    epochs: float = 1.0
    batch_size: int = 16
    learning_rate: float | None = None
    max_length: int = 128
    #: Tokens shared by neighbouring windows; default a quarter of ``max_length``.
    stride: int | None = None
    lora: bool = False
    quantize: str | None = None
    #: "float16" stores the transformer's weights at half the size (rounded before evaluation).
    weights_dtype: str = "float32"
    checkpoint_dir: Path | None = None
    seed: int = 0
    # cascade: each stage loaded from an artifact when given, trained otherwise
    cascade_first: Path | None = None
    cascade_second: Path | None = None
    #: At most this share of each label's validation positives may be settled by the first stage.
    cascade_max_settled: float = 0.01
    #: ``per-label`` or ``shared`` (:data:`classifier.cascade.GATE_RULES`).
    cascade_gate_rule: str = "per-label"
    #: Words per window in which the first stage also reads a long text (None: whole only).
    cascade_gate_window: int | None = None


def _train_backend(options: TrainOptions, prepared: PreparedData, log: Log) -> Any:
    if options.backend not in TRAINERS:
        raise ValueError(f"unknown backend {options.backend!r}; choose from {BACKENDS}")
    return TRAINERS[options.backend](options, prepared, log)


def train_model(options: TrainOptions, *, log: Log = _quiet) -> dict[str, Any]:
    """Train, write the artifact and its report; return paths, version and headline numbers.

    Raises ``FileExistsError`` when the output directory is not empty (unless ``overwrite``),
    ``FileNotFoundError`` for missing data, ``ValueError`` for an unknown backend.
    """
    from classifier.artifacts import artifact_version, write_artifact

    if options.backend not in BACKENDS:
        raise ValueError(f"unknown backend {options.backend!r}; choose from {BACKENDS}")
    out = options.out_dir
    if out is not None and out.exists() and any(out.iterdir()) and not options.overwrite:
        raise FileExistsError(f"{out} exists and is not empty (pass --overwrite to replace it)")
    started = time.perf_counter()
    prepared = prepare_data(
        options.data_dir,
        sources=options.sources,
        labeled_files=options.labeled_files,
        text_column=options.text_column,
        corrections=options.corrections,
        log=log,
    )
    if len(prepared.train) == 0 or len(prepared.validation) == 0:
        raise ValueError("not enough rows to train: the training or validation split is empty")
    train_started = time.perf_counter()
    backend = _train_backend(options, prepared, log)
    train_seconds = time.perf_counter() - train_started

    validation, holdout = prepared.validation, prepared.holdout
    val_scores = score_texts(
        backend.predict_proba, validation.texts, progress=options.progress, desc="validation"
    )
    policy = traffic_policy(prepared, val_scores, options.flag_precision)
    thresholds = dict(policy["flag_thresholds"])
    score_started = time.perf_counter()
    holdout_scores = score_texts(
        backend.predict_proba, holdout.texts, progress=options.progress, desc="holdout"
    )
    holdout_seconds = time.perf_counter() - score_started

    version = artifact_version(backend)
    out_dir = out or DEFAULT_OUT_ROOT / version
    report_dir = options.report_dir or DEFAULT_REPORTS_DIR / version
    save_split_scores(report_dir, validation=val_scores, holdout=holdout_scores)
    constant = [label for j, label in enumerate(LABELS) if not np.isnan(backend.constants[j])]
    trained_on = training_rows(options, prepared)  # sampled once for the notes and the summary
    notes = (
        f"Model `{version}` ({options.backend}), trained on "
        f"{len(trained_on):,} rows; "
        f"thresholds and calibration from {len(validation):,} validation rows; metrics on "
        f"{len(holdout):,} holdout rows."
        + (
            f"\n\nPredicted as a constant prior (too few positives): {', '.join(constant)}."
            if constant
            else ""
        )
    )
    metrics = write_full_report(
        report_dir,
        holdout,
        holdout_scores,
        thresholds,
        backend.predict_proba,
        title=f"Holdout evaluation of {version}",
        notes=notes,
        anchor=options.anchor,
        extra={"holdout_rows_per_second": len(holdout) / max(holdout_seconds, 1e-9)},
        policy=policy,
    )
    sources = sorted(set(prepared.raw.sources))
    training_summary: dict[str, Any] = {
        "date": datetime.now(UTC).date().isoformat(),
        "data_dir": prepared.data_dir.name,
        "sources": {name: {"license": SOURCE_LICENSES.get(name, "user data")} for name in sources},
        "rows_loaded_per_source": prepared.raw.label_counts_per_source(),
        "loader_notes": prepared.raw.notes,
        "dedupe": prepared.dedupe_report.as_dict(),
        "split": {
            "rule": f"sha256('{SPLIT_SALT}' + NUL + split-group key, else normalised text)",
            "shares": [TRAIN_SHARE, VALIDATION_SHARE, round(1 - TRAIN_SHARE - VALIDATION_SHARE, 2)],
            "rows_per_source": split_counts(prepared.data, prepared.parts),
        },
        "max_train_rows": options.max_rows,
        "max_train_rows_per_source": options.max_rows_per_source,
        "kept_positives_of": list(options.keep_positives),
        "train_label_counts": trained_on.label_counts(),
        "backend": backend.info,
        "constant_labels": constant,
        "train_seconds": round(train_seconds, 1),
    }
    manifest_metrics = {
        key: value for key, value in metrics.items() if key not in ("identity_check",)
    }
    manifest_metrics["identity_check"] = {
        "per_label": metrics["identity_check"]["per_label"],
        "worst": metrics["identity_check"]["worst"][:3],
    }
    write_artifact(
        out_dir,
        backend,
        version=version,
        thresholds=thresholds,
        policy=policy,
        metrics=manifest_metrics,
        training_summary=training_summary,
        overwrite=options.overwrite,
    )
    size = sum(f.stat().st_size for f in out_dir.rglob("*") if f.is_file())
    return {
        "version": version,
        "out_dir": out_dir,
        "report_dir": report_dir,
        "size_bytes": size,
        "train_seconds": train_seconds,
        "total_seconds": time.perf_counter() - started,
        "holdout_rows_per_second": len(holdout) / max(holdout_seconds, 1e-9),
        "metrics": metrics,
        "thresholds": thresholds,
    }
