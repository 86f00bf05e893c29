"""Every model backend, registered in one place: how to read, write, hash and explain it.

An artifact names its backend in ``manifest.json``; everything that must know what a backend
is (loading, writing, versioning, explanations, whether it needs torch) asks this registry
instead of comparing names. Adding a backend means writing its module, with the functions of a
:class:`BackendSpec`, and adding one line to :data:`BUILT_IN` below; training it is the one
registration in :mod:`training.trainers`.

The functions are referenced by dotted path and imported only when called, so importing this
module (the web process does, to read manifests) imports neither numpy nor torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from classifier.backend import ToxicityBackend


@dataclass(frozen=True)
class BackendSpec:
    """One backend: its name in manifests and the functions that handle its artifacts.

    ``read(model_dir) -> backend`` builds it from an artifact directory whose manifest and
    checksums were checked (raise ``ValueError``/``OSError``/``KeyError`` on bad files);
    ``write(backend, directory) -> [file names]`` writes its weight files into a directory;
    ``weights_hash(backend) -> hex`` hashes what the model is (not file bytes). Each is a
    ``"module:function"`` path or a callable. ``explains``: its backends implement
    :class:`classifier.explain.ExplainingBackend`. ``uses_torch``: loading it starts torch, so
    a worker limits torch's threads first.
    """

    name: str
    read: str | Callable[[Path], Any]
    write: str | Callable[[Any, Path], list[str]] | None = None
    weights_hash: str | Callable[[Any], str] | None = None
    explains: bool = False
    uses_torch: bool = False
    description: str = ""

    def _resolve(self, target: str | Callable[..., Any] | None, what: str) -> Callable[..., Any]:
        if target is None:
            raise TypeError(f"backend {self.name!r} cannot {what}")
        if callable(target):
            return target
        module, _, attribute = target.partition(":")
        function: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
        return function

    def read_backend(self, model_dir: Path) -> ToxicityBackend:
        backend: ToxicityBackend = self._resolve(self.read, "be read")(model_dir)
        return backend

    def write_files(self, backend: Any, directory: Path) -> list[str]:
        files: list[str] = self._resolve(self.write, "be written")(backend, directory)
        return files

    def hash_weights(self, backend: Any) -> str:
        digest: str = self._resolve(self.weights_hash, "be hashed")(backend)
        return digest


#: The backends this package ships. Extra ones (such as the fault-injection model of the test
#: suite) are added at run time with :func:`register_backend`.
BUILT_IN: Final = (
    BackendSpec(
        "linear",
        read="classifier.linear:read_artifact_files",
        write="classifier.linear:write_artifact_files",
        weights_hash="classifier.linear:weights_hash",
        explains=True,
        description="TF-IDF word and character n-grams, logistic regression per label",
    ),
    BackendSpec(
        "transformer",
        read="classifier.transformer:read_artifact_files",
        write="classifier.transformer:write_artifact_files",
        weights_hash="classifier.transformer:weights_hash",
        explains=True,
        uses_torch=True,
        description="a fine-tuned encoder (MiniLM by default), six sigmoid outputs",
    ),
    BackendSpec(
        "cascade",
        read="classifier.cascade:read_artifact_files",
        write="classifier.cascade:write_artifact_files",
        weights_hash="classifier.cascade:weights_hash",
        explains=True,
        uses_torch=True,
        description="the linear model settles clearly benign texts, a transformer the rest",
    ),
)

_REGISTRY: dict[str, BackendSpec] = {spec.name: spec for spec in BUILT_IN}
BUILT_IN_NAMES: Final = frozenset(_REGISTRY)


def register_backend(spec: BackendSpec) -> None:
    """Let this process load (and, if ``spec`` can write, store) artifacts of ``spec.name``.

    The built-in names cannot be replaced; registering the same extra name again replaces it.
    """
    if spec.name in BUILT_IN_NAMES:
        raise ValueError(f"backend {spec.name!r} is built in")
    _REGISTRY[spec.name] = spec


def backend_spec(name: str) -> BackendSpec:
    """The spec registered as ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown backend {name!r}; known: {sorted(_REGISTRY)}") from None


def known_backends() -> frozenset[str]:
    """Every backend name this process can load."""
    return frozenset(_REGISTRY)
