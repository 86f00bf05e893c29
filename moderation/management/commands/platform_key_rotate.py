from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from moderation.models import Platform
from moderation.services.platforms import api_key_rotate


class Command(BaseCommand):
    help = "Issue a new API key for a platform; its old keys stop working (now or after --grace)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=0.0,
            help="Keep the old keys working this many hours so clients can switch (default 0).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        platform = Platform.objects.filter(name=options["name"]).first()
        if platform is None:
            raise CommandError(f"No platform named {options['name']!r}.")
        if options["grace_hours"] < 0:
            raise CommandError("--grace-hours must not be negative.")
        issued = api_key_rotate(platform=platform, grace=timedelta(hours=options["grace_hours"]))
        when = "now" if options["grace_hours"] == 0 else f"in {options['grace_hours']:g} hour(s)"
        self.stdout.write(f"Old keys of {platform.name!r} stop working {when}.")
        self.stdout.write("New API key (shown once; store it now):")
        self.stdout.write(issued.secret)
