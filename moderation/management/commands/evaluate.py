"""``manage.py evaluate``: a thin wrapper around :func:`training.pipeline.evaluate_model`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Evaluate a model artifact on the fixed holdout split of ../shared/data (or --data) and "
        "write the report: per label and source ROC-AUC, PR-AUC, precision/recall/F1 at the "
        "model's thresholds, curves and confusion matrices (PNG), metrics.json, summary.md, "
        "the identity-term check and the alt-profanity-check anchor."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("model_dir", type=Path)
        parser.add_argument("--data", type=Path, help="data directory (default ../shared/data)")
        parser.add_argument("--sources", help="comma-separated public sets (default: all)")
        parser.add_argument(
            "--labeled-file",
            action="append",
            type=Path,
            default=[],
            dest="labeled_files",
            help="your own CSV/TSV/JSONL with a text column and schema-named label columns",
        )
        parser.add_argument("--text-column", default="text", help="text column of --labeled-file")
        parser.add_argument("--report", type=Path, help="report directory (reports/<version>)")
        parser.add_argument("--max-rows", type=int, help="evaluate a fixed sample of N rows")
        parser.add_argument("--no-anchor", action="store_true", help="skip alt-profanity-check")
        parser.add_argument(
            "--folds",
            type=int,
            help="also k-fold cross-validate the model's recipe (linear models): mean and "
            "spread of per-label ROC-AUC, in crossval.md",
        )
        parser.add_argument(
            "--folds-max-rows", type=int, help="cross-validate on a fixed sample of N rows"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from classifier.artifacts import ArtifactError
        from training.pipeline import evaluate_model

        sources = None
        if options["sources"] is not None:
            sources = [s.strip() for s in options["sources"].split(",") if s.strip()]
        try:
            metrics, report_dir = evaluate_model(
                options["model_dir"],
                data_dir=options["data"],
                report_dir=options["report"],
                sources=sources,
                labeled_files=options["labeled_files"],
                text_column=options["text_column"],
                max_rows=options["max_rows"],
                anchor=not options["no_anchor"],
                progress=options["verbosity"] > 0,
                folds=options["folds"],
                folds_max_rows=options["folds_max_rows"],
            )
        except (ArtifactError, FileNotFoundError, KeyError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        auc = metrics["pooled"].get("toxic", {}).get("roc_auc")
        self.stdout.write(f"Report -> {report_dir} ({metrics['rows']} holdout rows)")
        if auc is not None:
            self.stdout.write(f"Pooled toxic ROC-AUC {auc:.3f}")
