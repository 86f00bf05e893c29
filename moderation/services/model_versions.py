"""Registering model artifacts as versions and choosing the active one."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from moderation.models import ModelVersion, ModelVersionOrigin

logger = logging.getLogger(__name__)


def _stored_path(artifact_dir: Path) -> str:
    path = artifact_dir.resolve()
    try:
        return str(path.relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(path)


@transaction.atomic
def model_version_register(
    *,
    artifact_dir: Path,
    activate: bool = False,
    origin: str = ModelVersionOrigin.REGISTERED,
    using: str = DEFAULT_DB_ALIAS,
) -> ModelVersion:
    """Record an artifact directory as a model version (reads its manifest only).

    Registering the same version again returns the existing row: versions are immutable.
    Raises classifier.artifacts.ArtifactError when the directory is not a valid artifact.
    """
    from classifier.artifacts import read_manifest

    manifest = read_manifest(artifact_dir)
    model_version, created = ModelVersion.objects.using(using).get_or_create(
        version=manifest.version,
        defaults={
            "backend": manifest.backend,
            "artifact_path": _stored_path(artifact_dir),
            "label_schema": manifest.label_schema,
            "labels": list(manifest.labels),
            "thresholds": dict(manifest.thresholds),
            "auto_remove_thresholds": {
                label: value
                for label, value in manifest.auto_remove_thresholds().items()
                if value is not None
            },
            "metrics": dict(manifest.metrics),
            "training_summary": dict(manifest.training_summary),
            "origin": origin,
        },
    )
    if created:
        logger.info("Registered model version %s.", model_version.version)
    if activate:
        model_version = model_version_activate(model_version=model_version, using=using)
    return model_version


@transaction.atomic
def model_version_activate(
    *, model_version: ModelVersion, using: str = DEFAULT_DB_ALIAS
) -> ModelVersion:
    """Make this version the one active version. Workers pick it up on their next batch."""
    from classifier.artifacts import read_manifest

    read_manifest(Path(settings.BASE_DIR) / model_version.artifact_path)  # still on disk?
    versions = ModelVersion.objects.using(using)
    versions.select_for_update().filter(is_active=True).exclude(pk=model_version.pk).update(
        is_active=False
    )
    if not model_version.is_active:
        model_version.is_active = True
        model_version.activated_at = timezone.now()
        model_version.save(using=using, update_fields=["is_active", "activated_at"])
        from moderation.services.webhooks import model_promoted_events, webhook_events_emit

        webhook_events_emit(model_promoted_events(model_version))
    return model_version


def model_version_ensure_shipped(*, using: str = DEFAULT_DB_ALIAS) -> ModelVersion | None:
    """Register the model shipped in the repository; activate it if no version is active."""
    from classifier.artifacts import shipped_model_dir

    model_version = model_version_register(
        artifact_dir=shipped_model_dir(), origin=ModelVersionOrigin.SHIPPED, using=using
    )
    if not ModelVersion.objects.using(using).filter(is_active=True).exists():
        model_version = model_version_activate(model_version=model_version, using=using)
    return model_version


def register_shipped_model_after_migrate(using: str = DEFAULT_DB_ALIAS, **_: Any) -> None:
    """post_migrate hook: a fresh database starts with the shipped model active."""
    if ModelVersion._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated backwards past our tables
    from classifier.artifacts import ArtifactError

    try:
        model_version_ensure_shipped(using=using)
    except ArtifactError as exc:
        logger.warning("No shipped model registered: %s", exc)
