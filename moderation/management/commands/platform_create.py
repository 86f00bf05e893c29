from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from classifier.labels import LABELS
from moderation.errors import InvalidPolicy
from moderation.services.platforms import api_key_issue, platform_create


def _threshold(value: str, option: str = "--flag-threshold") -> tuple[str, float]:
    label, _, number = value.partition("=")
    if label not in LABELS or not number:
        raise CommandError(f"{option} takes LABEL=VALUE with LABEL in {list(LABELS)}.")
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
        parser.add_argument(
            "--auto-remove",
            action="append",
            default=None,
            metavar="LABEL=VALUE",
            help="Per-label auto-remove threshold in (0, 1]; repeat for several labels "
            "(default: the active model's recommendation; --no-auto-remove for none).",
        )
        parser.add_argument(
            "--no-auto-remove", action="store_true", help="Never remove without a moderator."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        thresholds = dict(_threshold(value) for value in options["flag_threshold"])
        removal: dict[str, float] | None = None
        if options["no_auto_remove"]:
            removal = {}
        elif options["auto_remove"] is not None:
            removal = dict(_threshold(v, "--auto-remove") for v in options["auto_remove"])
        try:
            platform = platform_create(
                name=options["name"],
                display_name=options["display_name"],
                flag_thresholds=thresholds,
                auto_remove_thresholds=removal,
            )
        except InvalidPolicy as exc:
            raise CommandError(exc.message) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        issued = api_key_issue(platform=platform, name="created with the platform")
        self.stdout.write(
            f"Created platform {platform.name!r}; thresholds {platform.flag_thresholds}, "
            f"auto-remove {platform.auto_remove_thresholds or 'never (a moderator decides)'}."
        )
        self.stdout.write("API key (shown once; store it now):")
        self.stdout.write(issued.secret)
