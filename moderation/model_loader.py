"""The model a worker process scores with: loaded once, swapped when the active version changes.

Only worker processes call this (the web process never loads a model). Loading happens on the
first batch for a version; later batches reuse it. A batch holds on to the model it started
with, so a swap never changes scores mid-batch.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

    from classifier.artifacts import LoadedModel
    from moderation.models import ModelVersion

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_loaded: dict[str, LoadedModel] = {}


def artifact_dir(model_version: ModelVersion) -> Path:
    """The artifact directory of a version; relative paths are relative to the project root."""
    path = Path(model_version.artifact_path)
    return path if path.is_absolute() else Path(settings.BASE_DIR) / path


def _limit_torch_threads() -> None:
    """Each prefork worker process is one scorer: let torch use WORKER_TORCH_THREADS cores
    (default 1) instead of all of them, so N processes do not fight over N cores."""
    import torch

    torch.set_num_threads(settings.WORKER_TORCH_THREADS)


def _timed(model: LoadedModel) -> LoadedModel:
    """The same model, each of its model calls observed in toxmod_model_call_seconds.

    Only `predict_proba` is a model call; explanations are not counted.
    """
    from classifier.artifacts import LoadedModel
    from moderation import metrics

    class TimedModel(LoadedModel):
        def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
            with metrics.model_call_timer(backend=self.manifest.backend):
                return super().predict_proba(texts)

    return TimedModel(manifest=model.manifest, backend=model.backend, path=model.path)


def model_for(model_version: ModelVersion) -> LoadedModel:
    """The loaded model for this version, loading it (and dropping any other) if needed.

    Raises classifier.artifacts.ArtifactError if the artifact is missing or does not match.
    """
    from classifier.artifacts import ArtifactError, load_model
    from classifier.registry import backend_spec, known_backends

    with _lock:
        model = _loaded.get(model_version.version)
        if model is not None:
            return model
        if (
            model_version.backend in known_backends()
            and backend_spec(model_version.backend).uses_torch
        ):
            _limit_torch_threads()
        model = _timed(load_model(artifact_dir(model_version)))
        if model.version != model_version.version:
            raise ArtifactError(
                f"Artifact at {model_version.artifact_path} holds version {model.version}, "
                f"but the database registered it as {model_version.version}."
            )
        _loaded.clear()
        _loaded[model_version.version] = model
        logger.info(
            "Loaded model %s (%s).",
            model.version,
            model_version.backend,
            extra={"model_version": model.version},
        )
        return model


def active_model() -> tuple[ModelVersion, LoadedModel]:
    """The active version and its loaded model (loaded now if this process has not yet).

    Read once per batch, with only the columns loading and recording need (a version's
    metrics can be large). Raises NoActiveModel when no version is active.
    """
    from moderation.errors import NoActiveModel
    from moderation.models import ModelVersion

    model_version = (
        ModelVersion.objects.filter(is_active=True)
        .only("pk", "version", "backend", "artifact_path")
        .first()
    )
    if model_version is None:
        raise NoActiveModel("No model version is active; run migrate or model_activate.")
    return model_version, model_for(model_version)
