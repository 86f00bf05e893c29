from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from classifier.artifacts import ArtifactError
from moderation.models import ModelVersion
from moderation.services.model_versions import model_version_activate, model_version_register


class Command(BaseCommand):
    help = (
        "Make a model version the active one (roll back or forward). VERSION is a registered "
        "version name, or an artifact directory to register first. Workers switch on their "
        "next batch, without a restart."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version")

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["version"]
        try:
            model_version = ModelVersion.objects.filter(version=target).first()
            if model_version is None and Path(target).is_dir():
                model_version = model_version_register(artifact_dir=Path(target))
            if model_version is None:
                known = ", ".join(ModelVersion.objects.values_list("version", flat=True))
                raise CommandError(f"No model version {target!r}. Registered: {known or 'none'}.")
            model_version = model_version_activate(model_version=model_version)
        except ArtifactError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Active model version: {model_version.version}")
