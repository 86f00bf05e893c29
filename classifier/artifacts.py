"""Model artifacts: a directory with ``manifest.json`` and weight files that load without code.

Layout of a ``linear`` artifact::

    <version>/
        manifest.json            what the model is (ModelManifest), plus a SHA-256 per file
        linear_weights.npz       numpy arrays: coefficients, intercepts, calibration, idf
        linear_features.json.gz  feature settings, vocabularies (column order), training notes

and of a ``transformer`` artifact::

    <version>/
        manifest.json
        transformer_head.json        calibration, constant labels, window, stride, quantisation
        transformer/config.json      the Hugging Face model config (data, no code)
        transformer/model.safetensors
        transformer/tokenizer.json, tokenizer_config.json, ...

A ``cascade`` artifact holds ``cascade.json`` and a linear and a transformer artifact's files
under ``first/`` and ``second/`` (:mod:`classifier.cascade`). Which backend reads and writes
which files is :mod:`classifier.registry`'s to say.

Why ``.npz`` + JSON and not pickle/joblib or skops: loading them runs no code at all
(``np.load(..., allow_pickle=False)`` reads raw arrays, JSON reads data), so an artifact from an
upload or a shared volume cannot execute anything; skops would also be safe with a trusted-types
list, but it still stores scikit-learn objects whose layout changes between scikit-learn
releases, while these files hold only the numbers the model needs and rebuild the same
vectorizers on any version. Each file's SHA-256 is in the manifest and checked on load, and
:func:`load_model` refuses a directory holding any pickle-based file (by name, by content, or
an ``.npz`` array of Python objects), even one the manifest vouches for.

:func:`read_manifest` reads JSON only and imports nothing heavy, so the web process can call it
freely; numpy and scikit-learn (and torch, for a transformer artifact only) are imported by
:func:`load_model` and :func:`write_artifact`. safetensors holds raw tensors and JSON metadata,
so a transformer artifact loads without unpickling anything either.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from classifier.labels import LABEL_SCHEMA_ID, LABELS
from classifier.registry import BackendSpec, backend_spec, known_backends
from classifier.registry import register_backend as register_spec
from classifier.text import normalize_text

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from classifier.backend import ToxicityBackend

#: Bumped when the layout changes incompatibly; newer artifacts are refused by older code.
FORMAT_VERSION: Final = 1
MANIFEST_NAME: Final = "manifest.json"
#: Where the one default model ships, inside the package.
SHIPPED_MODELS_DIR: Final = Path(__file__).parent / "models"
#: Used for a label that ``write_artifact`` gets no threshold for.
DEFAULT_THRESHOLD: Final = 0.5


def register_backend(name: str, reader: Callable[[Path], ToxicityBackend]) -> None:
    """Let this process load artifacts whose manifest names backend ``name`` (read only).

    ``reader(model_dir)`` builds the backend from the artifact directory (after the manifest
    and file checksums were checked). Meant for backends that live outside this package, such
    as the fault-injection model of the test suite; the built-in names cannot be replaced. A
    backend that can also be written registers a full :class:`classifier.registry.BackendSpec`.
    """
    register_spec(BackendSpec(name, read=reader))


class ArtifactError(ValueError):
    """An artifact is missing, malformed, corrupted or does not fit this code's label schema."""


@dataclass(frozen=True)
class ModelManifest:
    """What an artifact holds; ``manifest.json`` is this, as JSON."""

    version: str
    backend: str
    label_schema: str
    labels: list[str]
    #: Recommended per-label flag thresholds on the calibrated probabilities, in [0, 1].
    thresholds: dict[str, float]
    #: Evaluation results (JSON-able), e.g. the holdout metrics per source.
    metrics: dict[str, Any]
    #: Sources, row counts per source and label, dedupe counts, date.
    training_summary: dict[str, Any]
    #: ISO-8601, UTC.
    created_at: str
    format_version: int
    #: SHA-256 of each weight file, checked on load.
    files: dict[str, str] = field(default_factory=dict)
    #: How the thresholds were chosen for real traffic: ``rule``, ``flag_precision``,
    #: ``expected_flag_rate``, per-label ``auto_remove_thresholds`` (``None``: never remove
    #: without a moderator) and per-label details. Empty for artifacts older than the policy.
    policy: dict[str, Any] = field(default_factory=dict)

    def auto_remove_thresholds(self) -> dict[str, float | None]:
        """Per label, the recommended auto-remove threshold, or ``None`` (never)."""
        recommended = self.policy.get("auto_remove_thresholds", {})
        return {label: recommended.get(label) for label in LABELS}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: object, *, where: str = "manifest") -> ModelManifest:
        """Validate and build; raises :class:`ArtifactError` naming the first problem."""
        if not isinstance(raw, dict):
            raise ArtifactError(f"{where}: expected a JSON object")
        expected: dict[str, type | tuple[type, ...]] = {
            "version": str,
            "backend": str,
            "label_schema": str,
            "labels": list,
            "thresholds": dict,
            "metrics": dict,
            "training_summary": dict,
            "created_at": str,
            "format_version": int,
        }
        for key, kind in expected.items():
            if key not in raw:
                raise ArtifactError(f"{where}: missing field {key!r}")
            if not isinstance(raw[key], kind) or isinstance(raw[key], bool):
                raise ArtifactError(f"{where}: field {key!r} has the wrong type")
        files = raw.get("files", {})
        if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()
        ):
            raise ArtifactError(f"{where}: field 'files' must map file names to SHA-256 digests")
        policy = raw.get("policy", {})
        if not isinstance(policy, dict):
            raise ArtifactError(f"{where}: field 'policy' must be an object")
        removal = policy.get("auto_remove_thresholds", {})
        if not isinstance(removal, dict) or not all(
            value is None
            or (isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1)
            for value in removal.values()
        ):
            raise ArtifactError(
                f"{where}: policy.auto_remove_thresholds must map labels to a number in [0, 1] "
                "or null"
            )
        thresholds: dict[str, float] = {}
        for label, value in raw["thresholds"].items():
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ArtifactError(f"{where}: threshold for {label!r} is not a number")
            thresholds[str(label)] = float(value)
        return cls(
            version=raw["version"],
            backend=raw["backend"],
            label_schema=raw["label_schema"],
            labels=[str(label) for label in raw["labels"]],
            thresholds=thresholds,
            metrics=raw["metrics"],
            training_summary=raw["training_summary"],
            created_at=raw["created_at"],
            format_version=raw["format_version"],
            files=dict(files),
            policy=policy,
        )

    def check_compatible(self, *, where: str = "manifest") -> None:
        """Raise :class:`ArtifactError` unless this code can load the artifact."""
        if self.format_version > FORMAT_VERSION or self.format_version < 1:
            raise ArtifactError(
                f"{where}: format_version {self.format_version} is not supported "
                f"(this code reads 1..{FORMAT_VERSION})"
            )
        if self.backend not in known_backends():
            raise ArtifactError(
                f"{where}: unknown backend {self.backend!r}; known: {sorted(known_backends())}"
            )
        if self.label_schema != LABEL_SCHEMA_ID or tuple(self.labels) != LABELS:
            raise ArtifactError(
                f"{where}: label schema {self.label_schema!r} with labels {self.labels} does "
                f"not match this code's {LABEL_SCHEMA_ID!r}"
            )


def read_manifest(path: str | os.PathLike[str]) -> ModelManifest:
    """The manifest of the artifact at ``path`` (its directory or its ``manifest.json``).

    Reads JSON only. Raises :class:`ArtifactError` if the directory or manifest is missing or
    malformed, the backend is unknown, or the label schema is not this code's.
    """
    manifest_path = Path(path)
    if manifest_path.is_dir() or manifest_path.name != MANIFEST_NAME:
        manifest_path = manifest_path / MANIFEST_NAME
    if not manifest_path.parent.is_dir():
        raise ArtifactError(f"model directory not found: {manifest_path.parent}")
    try:
        raw = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"no {MANIFEST_NAME} in {manifest_path.parent}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{manifest_path}: unreadable manifest ({exc})") from exc
    manifest = ModelManifest.from_dict(raw, where=str(manifest_path))
    manifest.check_compatible(where=str(manifest_path))
    return manifest


def shipped_model_dir() -> Path:
    """The directory of the default model shipped in :data:`SHIPPED_MODELS_DIR`.

    Raises :class:`ArtifactError` unless exactly one subdirectory there (hidden ones, such as
    an interrupted write's staging directory, do not count) has a manifest.
    """
    candidates = (
        sorted(
            p
            for p in SHIPPED_MODELS_DIR.iterdir()
            if not p.name.startswith(".") and (p / MANIFEST_NAME).is_file()  # skip staging dirs
        )
        if SHIPPED_MODELS_DIR.is_dir()
        else []
    )
    if not candidates:
        raise ArtifactError(f"no shipped model (no */{MANIFEST_NAME}) in {SHIPPED_MODELS_DIR}")
    if len(candidates) > 1:
        names = ", ".join(p.name for p in candidates)
        raise ArtifactError(f"expected one shipped model in {SHIPPED_MODELS_DIR}, found {names}")
    return candidates[0]


# --- loading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedModel:
    """A model read from an artifact, ready to score."""

    manifest: ModelManifest
    backend: ToxicityBackend
    path: Path

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def labels(self) -> tuple[str, ...]:
        return LABELS

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Normalise ``texts`` and score them: float32 ``(n, 6)`` in [0, 1], LABELS order."""
        return self.backend.predict_proba([normalize_text(text) for text in texts])

    @property
    def can_explain(self) -> bool:
        """Whether :meth:`explain_many` works for this model's backend (its registry entry)."""
        return backend_spec(self.manifest.backend).explains

    def explain(self, text: str, *, top_k: int = 8) -> dict[str, list[dict[str, object]]]:
        """The spans of ``text`` that push each label's score up.

        Maps every label to at most ``top_k`` spans ``{"start", "end", "text", "weight"}``,
        sorted by weight descending; ``start``/``end`` are character offsets into ``text`` as
        given (not normalised) and ``text == text[start:end]``; ``weight`` is the span's positive
        contribution to the label's calibrated logit (exact for the linear backend, the drop in
        logit when the span is removed for the transformer). A label nothing pushes up (or one
        the model predicts as a constant) gets an empty list.
        """
        return self.explain_many([text], top_k=top_k)[0]

    def explain_many(
        self,
        texts: Sequence[str],
        *,
        labels_per_text: Sequence[Sequence[str]] | None = None,
        top_k: int = 8,
    ) -> list[dict[str, list[dict[str, object]]]]:
        """:meth:`explain` for a batch, computing only ``labels_per_text[i]`` for text ``i``.

        Every result still maps all six labels; labels not asked for get an empty list. Raises
        ``ValueError`` for an unknown label or a ``labels_per_text`` of the wrong length.
        """
        from classifier.explain import ExplainingBackend, resolve_labels, to_spans
        from classifier.text import align_text

        wanted = resolve_labels(len(texts), labels_per_text)
        if not self.can_explain or not isinstance(self.backend, ExplainingBackend):
            raise TypeError(f"backend {self.backend.name!r} cannot explain its scores")
        # Texts with no label asked for cost nothing, not even their alignment.
        asked = [i for i, labels in enumerate(wanted) if labels]
        aligned = {i: align_text(texts[i]) for i in asked}
        found = self.backend.contributions([aligned[i] for i in asked], [wanted[i] for i in asked])
        results: list[dict[str, list[dict[str, object]]]] = [
            {label: [] for label in LABELS} for _ in texts
        ]
        for i, contributions in zip(asked, found, strict=True):
            results[i] = to_spans(aligned[i], contributions, wanted[i], top_k=top_k)
        return results


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


#: Names that say "pickle inside": plain pickles, joblib, torch.save files, old HF weights.
PICKLE_SUFFIXES: Final = frozenset(
    {".pkl", ".pickle", ".joblib", ".pt", ".pth", ".bin", ".ckpt", ".dill", ".skops"}
)
_ZIP_MAGIC: Final = b"PK\x03\x04"


def _pickle_in(file_path: Path) -> str | None:
    """Why ``file_path`` holds something that unpickles (runs code) when loaded, or None."""
    if file_path.suffix.lower() in PICKLE_SUFFIXES:
        return f"its name ({file_path.suffix}) is a pickle-based format"
    with file_path.open("rb") as handle:
        head = handle.read(4)
    # Pickle protocols 2 to 5 start with PROTO (0x80) and the protocol number.
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "it is a pickle"
    if head == _ZIP_MAGIC:
        import zipfile

        import numpy as np

        try:
            with zipfile.ZipFile(file_path) as archive:
                for member in archive.namelist():
                    if member.endswith(".pkl"):  # torch.save's zip format: data.pkl
                        return f"it holds {member}, a pickle"
                    if member.endswith(".npy"):
                        with archive.open(member) as array:
                            version = np.lib.format.read_magic(array)
                            header = (
                                np.lib.format.read_array_header_1_0
                                if version == (1, 0)
                                else np.lib.format.read_array_header_2_0
                            )
                            _, _, dtype = header(array)
                        if dtype.hasobject:
                            return f"its array {member} holds pickled Python objects"
        except (zipfile.BadZipFile, ValueError, OSError):
            return None  # not a readable archive: its checksum or its reader refuses it
    return None


def refuse_pickles(model_dir: Path) -> None:
    """Raise :class:`ArtifactError` if any file in the artifact would unpickle when loaded.

    The loaders never unpickle anything (``np.load(allow_pickle=False)``, JSON, safetensors),
    so such a file is never read; its presence means the artifact is not one this code wrote
    (tampered, or exported by another tool), and it is refused whole rather than half-trusted.
    """
    for file_path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        reason = _pickle_in(file_path)
        if reason is not None:
            name = file_path.relative_to(model_dir)
            raise ArtifactError(
                f"{model_dir}: refusing to load {name}: {reason}. Artifacts hold only JSON, "
                ".npz arrays of numbers and .safetensors, because loading a pickle runs code."
            )


def load_model(path: str | os.PathLike[str]) -> LoadedModel:
    """Load the artifact at ``path``; nothing in it is executed.

    Raises :class:`ArtifactError` for everything :func:`read_manifest` does, when any file in
    the directory is pickle-based (:func:`refuse_pickles`), and when a weight file is missing,
    fails its checksum or does not fit the model.
    """
    model_dir = Path(path)
    if model_dir.name == MANIFEST_NAME:
        model_dir = model_dir.parent
    manifest = read_manifest(model_dir)
    for name, expected in manifest.files.items():
        file_path = model_dir / name
        if not file_path.is_file():
            raise ArtifactError(f"{model_dir}: weight file {name} is missing")
        if _sha256(file_path) != expected:
            raise ArtifactError(f"{model_dir}: {name} does not match its checksum (corrupted?)")
    # After the checksums: they catch corruption; this catches what a checksum cannot, a
    # tampered manifest vouching for a pickle, or a pickle the manifest does not list.
    refuse_pickles(model_dir)
    try:
        backend = backend_spec(manifest.backend).read_backend(model_dir)
    except ArtifactError:
        raise
    except (OSError, KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ArtifactError(f"{model_dir}: cannot read {manifest.backend} weights ({exc})") from exc
    return LoadedModel(manifest=manifest, backend=backend, path=model_dir)


# --- writing --------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """Plain JSON types; numpy scalars and arrays become Python ones, NaN and inf become None."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if hasattr(value, "tolist"):  # numpy scalar or array
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def artifact_version(backend: ToxicityBackend, *, when: datetime | None = None) -> str:
    """``"<backend>-<YYYYMMDD>-<first 8 hex of a hash of the weights>"`` (date in UTC)."""
    digest = backend_spec(backend.name).hash_weights(backend)
    day = (when or datetime.now(UTC)).strftime("%Y%m%d")
    return f"{backend.name}-{day}-{digest[:8]}"


def write_artifact(
    out_dir: str | os.PathLike[str],
    backend: ToxicityBackend,
    *,
    version: str | None = None,
    thresholds: Mapping[str, float],
    metrics: Mapping[str, Any],
    training_summary: Mapping[str, Any],
    overwrite: bool = False,
    policy: Mapping[str, Any] | None = None,
) -> ModelManifest:
    """Write ``backend`` as an artifact directory at ``out_dir`` and return its manifest.

    ``policy`` (JSON-able) records how the thresholds were chosen for real traffic, with the
    per-label auto-remove recommendation (:attr:`ModelManifest.policy`).

    ``version`` defaults to ``"<backend>-<YYYYMMDD>-<first 8 hex of a hash of the weights>"``.
    ``thresholds`` are per-label flag thresholds in [0, 1]; a label without one gets
    :data:`DEFAULT_THRESHOLD`. ``metrics`` and ``training_summary`` must be JSON-able (numpy
    values are converted, NaN becomes null). The directory is written next to ``out_dir`` and
    moved into place, so a reader never sees half an artifact.

    Raises ``FileExistsError`` if ``out_dir`` exists and is not empty (unless ``overwrite``),
    ``ValueError`` on an unknown label or a threshold outside [0, 1], ``TypeError`` for a
    backend the registry (:mod:`classifier.registry`) cannot store.
    """
    try:
        spec = backend_spec(getattr(backend, "name", ""))
    except KeyError:
        raise TypeError(f"cannot store a {type(backend).__name__}") from None
    if spec.write is None:
        raise TypeError(f"cannot store a {type(backend).__name__}")
    unknown = [label for label in thresholds if label not in LABELS]
    if unknown:
        raise ValueError(f"thresholds for unknown labels {unknown}")
    resolved: dict[str, float] = {}
    for label in LABELS:
        value = float(thresholds.get(label, DEFAULT_THRESHOLD))
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"threshold for {label} is {value}, outside [0, 1]")
        resolved[label] = value

    target = Path(out_dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())) and not overwrite:
        raise FileExistsError(f"{target} exists and is not empty (pass overwrite=True)")

    now = datetime.now(UTC).replace(microsecond=0)
    if version is None:
        version = artifact_version(backend, when=now)

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        written = spec.write_files(backend, staging)
        manifest = ModelManifest(
            version=version,
            backend=backend.name,
            label_schema=LABEL_SCHEMA_ID,
            labels=list(LABELS),
            thresholds=resolved,
            metrics=_jsonable(metrics),
            training_summary=_jsonable(training_summary),
            created_at=now.isoformat(),
            format_version=FORMAT_VERSION,
            files={name: _sha256(staging / name) for name in written},
            policy=_jsonable(policy or {}),
        )
        text = json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
        (staging / MANIFEST_NAME).write_text(text + "\n", encoding="utf-8")
        staging.chmod(0o755)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest
