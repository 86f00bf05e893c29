from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from moderation.models import RetrainStatus
from moderation.services.retraining import RetrainLocked, RetrainOptions, retrain_run
from training.trainers import TRAINERS


def _since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--since takes an ISO date or time, got {value!r}.") from exc
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = (
        "Train a candidate model on the base data plus every moderator correction, compare it "
        "with the active model on the fixed holdout and on held-out corrections, and promote it "
        "only if it is better (see docs/retraining.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--backend", choices=sorted(TRAINERS), default=None)
        parser.add_argument("--since", type=_since, help="Only corrections decided since then.")
        parser.add_argument("--dry-run", action="store_true", help="Say what would happen.")
        parser.add_argument(
            "--no-promote", action="store_true", help="Register the candidate, never activate it."
        )
        parser.add_argument(
            "--force", action="store_true", help="Train even with few new corrections."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = retrain_run(
                options=RetrainOptions(
                    backend=options["backend"] or settings.RETRAIN_BACKEND,
                    since=options["since"],
                    dry_run=options["dry_run"],
                    promote=not options["no_promote"],
                    force=options["force"],
                    progress=True,
                ),
                log=self.stdout.write,
            )
        except RetrainLocked as exc:
            raise CommandError(exc.message) from exc
        style = self.style.SUCCESS if run.status == RetrainStatus.PROMOTED else self.style.WARNING
        self.stdout.write(style(f"{run.get_status_display()}: {run.reason}"))
        if run.candidate is not None:
            self.stdout.write(f"Candidate {run.candidate.version}; report in {run.report_path}")
