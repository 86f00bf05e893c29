from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from classifier.labels import LABELS
from moderation.errors import InvalidPolicy
from moderation.services.platforms import api_key_issue, platform_create


def _threshold(value: str) -> tuple[str, float]:
    label, _, number = value.partition("=")
    if label not in LABELS or not number:
        raise CommandError(f"--flag-threshold takes LABEL=VALUE with LABEL in {list(LABELS)}.")
    try:
        return label, float(number)
    except ValueError as exc:
        raise CommandError(f"Not a number: {number!r}.") from exc


class Command(BaseCommand):
    help = "Create a platform (tenant) and print its first API key on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Short unique name (letters, digits, - and _).")
        parser.add_argument("--display-name", default="")
        parser.add_argument(
            "--flag-threshold",
            action="append",
            default=[],
            metavar="LABEL=VALUE",
            help="Per-label flag threshold in (0, 1]; repeat for several labels.",
        )
        parser.add_argument("--auto-remove-threshold", type=float, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        thresholds = dict(_threshold(value) for value in options["flag_threshold"])
        try:
            platform = platform_create(
                name=options["name"],
                display_name=options["display_name"],
                flag_thresholds=thresholds,
                auto_remove_threshold=options["auto_remove_threshold"],
            )
        except InvalidPolicy as exc:
            raise CommandError(exc.message) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        issued = api_key_issue(platform=platform, name="created with the platform")
        self.stdout.write(
            f"Created platform {platform.name!r}; thresholds {platform.flag_thresholds}, "
            f"auto-remove at {platform.auto_remove_threshold}."
        )
        self.stdout.write("API key (shown once; store it now):")
        self.stdout.write(issued.secret)
