from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from moderation.models import Platform
from moderation.services.corrections import (
    EXPORT_FORMATS,
    corrections_lines,
    corrections_records,
    corrections_reviews,
)


def _since(value: str) -> datetime:
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is not None:
                moment = datetime.combine(day, time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(
            f"--since {value!r} is not a date or datetime; use ISO 8601, e.g. 2026-11-01 or "
            "2026-11-01T10:00:00+00:00 (no offset means UTC)."
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


class Command(BaseCommand):
    help = (
        "Write moderators' corrections (one record per reviewed comment, its latest final "
        "decision) in the toxmod-corrections/1 format of docs/corrections-format.md, streamed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="Only decisions at or after this ISO 8601 time.")
        parser.add_argument("--platform", help="Only this platform's comments (its name).")
        parser.add_argument("--format", choices=EXPORT_FORMATS, default="jsonl")
        parser.add_argument(
            "--out",
            help="Write to this file (atomically, with a progress bar) instead of stdout.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        since = _since(options["since"]) if options["since"] else None
        platform = options["platform"]
        if platform is not None and not Platform.objects.filter(name=platform).exists():
            known = ", ".join(Platform.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No platform named {platform!r} (known: {known}).")
        reviews = corrections_reviews(since=since, platform=platform)
        lines = corrections_lines(corrections_records(reviews), export_format=options["format"])

        if not options["out"]:
            for chunk in lines:
                self.stdout.write(chunk, ending="")
            return

        out = Path(options["out"])
        if out.parent and not out.parent.is_dir():
            raise CommandError(f"--out {out}: the folder {out.parent} does not exist.")
        from tqdm import tqdm

        total = reviews.count()
        partial = out.with_name(out.name + ".partial")
        written = 0
        # The CSV header is one chunk more than the records; count records only.
        header = options["format"] == "csv"
        try:
            with (
                partial.open("w", encoding="utf-8", newline="") as handle,
                tqdm(
                    total=total, unit="rec", file=sys.stderr, mininterval=0.5, desc=out.name
                ) as progress,
            ):
                for chunk in lines:
                    handle.write(chunk)
                    if header:
                        header = False
                        continue
                    written += 1
                    progress.update(1)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, out)
        self.stderr.write(f"Wrote {written} correction(s) to {out}.")
