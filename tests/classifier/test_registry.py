"""One registry of backends: what every part of the code asks instead of comparing names."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.artifacts import write_artifact
from classifier.registry import (
    BackendSpec,
    backend_spec,
    known_backends,
    register_backend,
)


def test_every_built_in_backend_can_be_read_written_and_hashed() -> None:
    assert {"linear", "transformer", "cascade"} <= known_backends()
    for name in ("linear", "transformer", "cascade"):
        spec = backend_spec(name)
        for target in (spec.read, spec.write, spec.weights_hash):
            assert isinstance(target, str)
            module, _, function = target.partition(":")
            assert callable(getattr(__import__(module, fromlist=[function]), function))
        assert spec.explains
    assert backend_spec("transformer").uses_torch
    assert not backend_spec("linear").uses_torch


def test_unknown_and_built_in_names_are_refused() -> None:
    with pytest.raises(KeyError, match="unknown backend 'rules'"):
        backend_spec("rules")
    with pytest.raises(ValueError, match="built in"):
        register_backend(BackendSpec("linear", read=lambda path: None))


def test_a_read_only_backend_cannot_be_stored(tmp_path: Path) -> None:
    class Rules:
        name = "rules-test"

        def predict_proba(self, texts: object) -> None:
            raise NotImplementedError

    register_backend(BackendSpec("rules-test", read=lambda path: Rules()))
    assert "rules-test" in known_backends()
    with pytest.raises(TypeError, match="cannot store"):
        write_artifact(tmp_path / "m", Rules(), thresholds={}, metrics={}, training_summary={})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cannot store"):
        write_artifact(tmp_path / "m", object(), thresholds={}, metrics={}, training_summary={})  # type: ignore[arg-type]
