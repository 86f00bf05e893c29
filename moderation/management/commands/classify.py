"""``manage.py classify``: score a CSV or JSONL file of any size with a model, in batches."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from classifier.labels import LABELS

_EXTENSIONS = (".csv", ".jsonl")


def _kind(path: Path, role: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in _EXTENSIONS:
        raise CommandError(
            f"{role} {path} has an unknown extension {suffix or '(none)'!r}; use .csv or .jsonl"
        )
    return suffix


def _records(handle: TextIO, kind: str, text_column: str, path: Path) -> Iterator[dict[str, Any]]:
    if kind == ".csv":
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            return
        if text_column not in reader.fieldnames:
            raise CommandError(
                f"{path} has no column {text_column!r} (columns: {', '.join(reader.fieldnames)})"
            )
        yield from reader
        return
    for line_no, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise CommandError(f"{path}:{line_no}: expected a JSON object")
        if text_column not in record:
            raise CommandError(f"{path}:{line_no}: no field {text_column!r}")
        yield record


class Command(BaseCommand):
    help = (
        "Score every row of IN (.csv or .jsonl) and write OUT (.csv or .jsonl) with the input "
        "columns plus score_<label> for each label. Uses the active model unless --model names "
        "an artifact directory. Streams in batches, so any file size works."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", type=Path)
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--model", type=Path, help="artifact directory (default: active)")
        parser.add_argument("--batch-size", type=int, default=256)

    def _model_dir(self, named: Path | None) -> Path:
        if named is not None:
            return named
        from django.db import DatabaseError

        from moderation.model_loader import artifact_dir
        from moderation.models import ModelVersion

        try:
            return artifact_dir(ModelVersion.objects.get(is_active=True))
        except ModelVersion.DoesNotExist:
            raise CommandError(
                "No active model version; pass --model DIR or run model_activate."
            ) from None
        except DatabaseError as exc:
            raise CommandError(
                f"Cannot read the active model from the database ({exc}); run "
                "`python manage.py migrate` first, or pass --model DIR."
            ) from None

    def handle(self, *args: Any, **options: Any) -> None:
        from tqdm.auto import tqdm

        from classifier.artifacts import ArtifactError, load_model

        source: Path = options["input"]
        target: Path = options["out"]
        text_column: str = options["text_column"]
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        in_kind, out_kind = _kind(source, "input"), _kind(target, "output")
        if not source.is_file():
            raise CommandError(f"Input file not found: {source}")
        if source.resolve() == target.resolve():
            raise CommandError("--out must not be the input file")
        try:
            model = load_model(self._model_dir(options["model"]))
        except ArtifactError as exc:
            raise CommandError(str(exc)) from exc
        score_columns = [f"score_{label}" for label in LABELS]
        partial = target.with_name(f".{target.name}.partial")
        rows = 0
        try:
            with (
                source.open(encoding="utf-8-sig", newline="") as handle,
                partial.open("w", encoding="utf-8", newline="") as out,
            ):
                writer: csv.DictWriter[str] | None = None
                bar = tqdm(
                    unit="rows",
                    desc="classify",
                    disable=options["verbosity"] == 0,
                    file=self.stderr,
                )

                def flush(batch: list[dict[str, Any]]) -> None:
                    nonlocal writer, rows
                    texts = [
                        "" if r.get(text_column) is None else str(r[text_column]) for r in batch
                    ]
                    scores = model.predict_proba(texts)
                    for record, row_scores in zip(batch, scores, strict=True):
                        scored = {**record}
                        for column, score in zip(score_columns, row_scores, strict=True):
                            scored[column] = round(float(score), 6)
                        if out_kind == ".jsonl":
                            out.write(json.dumps(scored, ensure_ascii=False) + "\n")
                            continue
                        if writer is None:
                            fields = [k for k in record if k not in score_columns]
                            writer = csv.DictWriter(
                                out,
                                fieldnames=[*fields, *score_columns],
                                extrasaction="ignore",
                                restval="",
                            )
                            writer.writeheader()
                        writer.writerow(scored)
                    rows += len(batch)
                    bar.update(len(batch))

                batch: list[dict[str, Any]] = []
                for record in _records(handle, in_kind, text_column, source):
                    batch.append(record)
                    if len(batch) >= batch_size:
                        flush(batch)
                        batch = []
                if batch:
                    flush(batch)
                bar.close()
                if out_kind == ".csv" and writer is None:
                    csv.writer(out).writerow([text_column, *score_columns])
            os.replace(partial, target)
        except UnicodeDecodeError as exc:
            raise CommandError(f"{source} is not UTF-8 text ({exc.reason})") from None
        finally:
            if partial.exists():
                partial.unlink()
        self.stdout.write(f"Scored {rows} rows with {model.version} -> {target}")
