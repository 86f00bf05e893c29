from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from moderation.errors import NoActiveModel
from moderation.models import Comment, CommentStatus, ModelVersion, Platform
from moderation.services.scoring import comments_rescore


class Command(BaseCommand):
    help = (
        "Score flagged, unreviewed comments again with the active model (after a promotion). "
        "Old scores stay in each comment's history; comments that no longer cross a threshold "
        "leave the review queue. Safe to run again: already rescored comments are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--platform", help="Only this platform's comments.")
        parser.add_argument("--limit", type=int, help="At most this many comments.")
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        platform = None
        if options["platform"]:
            platform = Platform.objects.filter(name=options["platform"]).first()
            if platform is None:
                raise CommandError(f"No platform named {options['platform']!r}.")
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        active = ModelVersion.objects.filter(is_active=True).first()
        if active is None:
            raise CommandError("No model version is active.")
        todo = Comment.objects.filter(status=CommentStatus.FLAGGED, decision="").exclude(
            model_version=active
        )
        if platform is not None:
            todo = todo.filter(platform=platform)
        total = todo.count() if options["limit"] is None else min(todo.count(), options["limit"])
        with tqdm(total=total, unit="comment", desc="rescoring", disable=total == 0) as bar:
            try:
                result = comments_rescore(
                    platform=platform,
                    limit=options["limit"],
                    batch_size=options["batch_size"],
                    on_batch=bar.update,
                )
            except NoActiveModel as exc:
                raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Rescored {result.rescored} comment(s) with {result.model_version}: "
            f"{result.now_allowed} no longer flagged, {result.now_auto_removed} auto-removed."
        )
