from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifier.artifacts import (
    DEFAULT_THRESHOLD,
    MANIFEST_NAME,
    ArtifactError,
    ModelManifest,
    load_model,
    read_manifest,
    shipped_model_dir,
    write_artifact,
)
from classifier.labels import LABEL_SCHEMA_ID, LABELS
from classifier.linear import LinearBackend

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = [
    "you are a stupid idiot",
    "thank you for the helpful edit",
    "",
    "I will hurt you",
    "\uff33\uff34\uff35\uff30\uff29\uff24  @someone https://example.com",  # fullwidth,
]


@pytest.fixture
def artifact_dir(tmp_path: Path, tiny_backend: LinearBackend) -> Path:
    out = tmp_path / "model"
    write_artifact(
        out,
        tiny_backend,
        thresholds={"toxic": 0.4},
        metrics={"holdout": {"toxic": {"roc_auc": np.float64(0.9), "pr_auc": float("nan")}}},
        training_summary={"sources": {"made_up": 20}},
    )
    return out


def _edit_manifest(model_dir: Path, **changes: object) -> None:
    path = model_dir / MANIFEST_NAME
    raw = json.loads(path.read_text())
    raw.update(changes)
    path.write_text(json.dumps(raw))


def test_round_trip_gives_identical_probabilities(
    artifact_dir: Path, tiny_backend: LinearBackend
) -> None:
    loaded = load_model(artifact_dir)
    np.testing.assert_array_equal(loaded.predict_proba(SAMPLE), tiny_backend.predict_proba(SAMPLE))
    assert loaded.predict_proba(SAMPLE).dtype == np.float32


def test_manifest_describes_the_model(artifact_dir: Path) -> None:
    manifest = read_manifest(artifact_dir)
    assert re.fullmatch(r"linear-\d{8}-[0-9a-f]{8}", manifest.version)
    assert manifest.backend == "linear"
    assert manifest.label_schema == LABEL_SCHEMA_ID
    assert manifest.labels == list(LABELS)
    assert manifest.thresholds == {
        label: 0.4 if label == "toxic" else DEFAULT_THRESHOLD for label in LABELS
    }
    assert manifest.metrics["holdout"]["toxic"] == {"roc_auc": 0.9, "pr_auc": None}
    assert manifest.training_summary == {"sources": {"made_up": 20}}
    assert manifest.created_at.endswith("+00:00")
    assert load_model(artifact_dir / MANIFEST_NAME).version == manifest.version


def test_default_version_depends_on_the_weights_only(
    tmp_path: Path, tiny_backend: LinearBackend
) -> None:
    first = write_artifact(
        tmp_path / "a", tiny_backend, thresholds={}, metrics={}, training_summary={}
    )
    second = write_artifact(
        tmp_path / "b", tiny_backend, thresholds={}, metrics={"x": 1}, training_summary={}
    )
    assert first.version == second.version


def test_refuses_to_overwrite_unless_asked(artifact_dir: Path, tiny_backend: LinearBackend) -> None:
    with pytest.raises(FileExistsError):
        write_artifact(artifact_dir, tiny_backend, thresholds={}, metrics={}, training_summary={})
    manifest = write_artifact(
        artifact_dir,
        tiny_backend,
        version="replaced",
        thresholds={},
        metrics={},
        training_summary={},
        overwrite=True,
    )
    assert read_manifest(artifact_dir).version == manifest.version == "replaced"
    assert sorted(p.name for p in artifact_dir.parent.iterdir()) == ["model"]  # no staging left


def test_rejects_bad_thresholds(tmp_path: Path, tiny_backend: LinearBackend) -> None:
    with pytest.raises(ValueError, match="outside"):
        write_artifact(
            tmp_path / "m", tiny_backend, thresholds={"toxic": 1.5}, metrics={}, training_summary={}
        )
    with pytest.raises(ValueError, match="unknown labels"):
        write_artifact(
            tmp_path / "m", tiny_backend, thresholds={"spam": 0.5}, metrics={}, training_summary={}
        )


def test_label_schema_mismatch_is_refused(artifact_dir: Path) -> None:
    _edit_manifest(artifact_dir, label_schema="jigsaw-6:toxic,obscene")
    with pytest.raises(ArtifactError, match="label schema"):
        read_manifest(artifact_dir)
    with pytest.raises(ArtifactError, match="label schema"):
        load_model(artifact_dir)


def test_reordered_labels_are_refused(artifact_dir: Path) -> None:
    _edit_manifest(artifact_dir, labels=list(reversed(LABELS)))
    with pytest.raises(ArtifactError, match="label schema"):
        load_model(artifact_dir)


def test_unknown_backend_is_refused(artifact_dir: Path) -> None:
    _edit_manifest(artifact_dir, backend="transformer-9000")
    with pytest.raises(ArtifactError, match="unknown backend"):
        load_model(artifact_dir)


def test_newer_format_is_refused(artifact_dir: Path) -> None:
    _edit_manifest(artifact_dir, format_version=99)
    with pytest.raises(ArtifactError, match="format_version"):
        read_manifest(artifact_dir)


def test_missing_and_malformed_artifacts_raise_artifact_error(
    tmp_path: Path, artifact_dir: Path
) -> None:
    with pytest.raises(ArtifactError, match="not found"):
        load_model(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArtifactError, match=r"no manifest\.json"):
        read_manifest(tmp_path / "empty")
    (artifact_dir / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(ArtifactError, match="unreadable"):
        read_manifest(artifact_dir)
    (artifact_dir / MANIFEST_NAME).write_text(json.dumps({"version": "x"}))
    with pytest.raises(ArtifactError, match="missing field"):
        read_manifest(artifact_dir)
    assert issubclass(ArtifactError, ValueError)


def test_corrupted_weights_are_refused(artifact_dir: Path) -> None:
    weights = artifact_dir / "linear_weights.npz"
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ArtifactError, match="checksum"):
        load_model(artifact_dir)
    weights.unlink()
    with pytest.raises(ArtifactError, match="missing"):
        load_model(artifact_dir)


def test_weights_hold_no_pickles(artifact_dir: Path) -> None:
    with np.load(artifact_dir / "linear_weights.npz", allow_pickle=False) as weights:
        assert all(weights[key].dtype != object for key in weights.files)


def test_reading_a_manifest_imports_nothing_heavy(artifact_dir: Path) -> None:
    code = (
        "import sys\n"
        "from classifier.artifacts import read_manifest\n"
        f"read_manifest({str(artifact_dir)!r})\n"
        "heavy = [m for m in ('numpy', 'scipy', 'sklearn', 'matplotlib', 'django') "
        "if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)


def test_manifest_from_dict_round_trips(artifact_dir: Path) -> None:
    manifest = read_manifest(artifact_dir)
    assert ModelManifest.from_dict(manifest.to_dict()) == manifest


# --- the shipped default model ----------------------------------------------------------------


def test_exactly_one_shipped_model_loads_and_is_small() -> None:
    model_dir = shipped_model_dir()
    model = load_model(model_dir)
    assert model.version == model_dir.name
    size = sum(f.stat().st_size for f in model_dir.rglob("*") if f.is_file())
    assert size <= 50_000_000  # at most 50 MB of committed weights
    assert model.manifest.metrics["per_source"]  # evaluated per source on the holdout
    assert set(model.manifest.training_summary["sources"]) >= {"civil_comments", "olid", "gab"}


def test_shipped_model_ranks_abuse_above_neutral_text() -> None:
    model = load_model(shipped_model_dir())
    abusive, neutral, threat = model.predict_proba(
        [
            "you are a pathetic worthless idiot and everyone hates you",
            "thanks for the update, the new schedule works for me",
            "I know where you live and I will hurt you",
        ]
    )
    toxic, insult, threat_col = (
        LABELS.index("toxic"),
        LABELS.index("insult"),
        LABELS.index("threat"),
    )
    assert abusive[toxic] > 0.5 > neutral[toxic]
    assert abusive[insult] > neutral[insult]
    assert threat[threat_col] > neutral[threat_col]
    assert abusive[toxic] >= model.manifest.thresholds["toxic"] > neutral[toxic]


# --- nothing is ever unpickled ---------------------------------------------------------------


class _Tripwire:
    """Unpickling this creates a file: proof that code from the artifact ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def _set_checksum(model_dir: Path, name: str) -> None:
    """Make the manifest vouch for a tampered file, as an attacker who can write both would."""
    import hashlib

    raw = json.loads((model_dir / MANIFEST_NAME).read_text())
    raw["files"][name] = hashlib.sha256((model_dir / name).read_bytes()).hexdigest()
    (model_dir / MANIFEST_NAME).write_text(json.dumps(raw))


def test_an_artifact_holding_a_pickle_file_is_refused(artifact_dir: Path, tmp_path: Path) -> None:
    import pickle

    marker = tmp_path / "code-ran"
    (artifact_dir / "extra.pkl").write_bytes(pickle.dumps(_Tripwire(marker)))

    with pytest.raises(ArtifactError, match=r"refusing to load extra\.pkl: .*pickle"):
        load_model(artifact_dir)
    assert not marker.exists()


def test_weights_replaced_by_a_pickle_are_refused_even_with_a_matching_checksum(
    artifact_dir: Path, tmp_path: Path
) -> None:
    import pickle

    marker = tmp_path / "code-ran"
    (artifact_dir / "linear_weights.npz").write_bytes(pickle.dumps(_Tripwire(marker)))
    _set_checksum(artifact_dir, "linear_weights.npz")

    with pytest.raises(ArtifactError, match=r"linear_weights\.npz: it is a pickle"):
        load_model(artifact_dir)
    assert not marker.exists()


def test_an_npz_with_an_object_array_is_refused(artifact_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    with np.load(artifact_dir / "linear_weights.npz") as weights:
        arrays = {key: weights[key] for key in weights.files}
    arrays["coef"] = np.array([_Tripwire(marker)], dtype=object)
    np.savez(artifact_dir / "linear_weights.npz", **arrays)
    _set_checksum(artifact_dir, "linear_weights.npz")

    with pytest.raises(ArtifactError, match=r"array coef\.npy holds pickled Python objects"):
        load_model(artifact_dir)
    assert not marker.exists()


@pytest.mark.parametrize(
    "name", ["transformer/pytorch_model.bin", "model.joblib", "weights.pt", "model.skops"]
)
def test_pickle_based_file_names_are_refused(artifact_dir: Path, name: str) -> None:
    (artifact_dir / name).parent.mkdir(exist_ok=True)
    (artifact_dir / name).write_bytes(b"not even a pickle")

    with pytest.raises(ArtifactError, match="pickle-based format"):
        load_model(artifact_dir)


def test_a_torch_save_file_is_refused_whatever_its_name(artifact_dir: Path) -> None:
    import torch

    torch.save({"weights": torch.zeros(2)}, artifact_dir / "extra.safetensors")

    with pytest.raises(ArtifactError, match=r"holds .*data\.pkl, a pickle"):
        load_model(artifact_dir)


_UNSAFE_CALLS = {
    ("pickle", "load"),
    ("pickle", "loads"),
    ("pickle", "Unpickler"),
    ("joblib", "load"),
    ("cloudpickle", "load"),
    ("cloudpickle", "loads"),
    ("dill", "load"),
    ("dill", "loads"),
    ("skops.io", "load"),
    ("sio", "load"),
}


def test_no_code_path_loads_a_pickle() -> None:
    """Every load in the project's code: no pickle/joblib/dill/skops load at all, torch.load
    only with weights_only=True, np.load never with allow_pickle=True, Hugging Face never
    with trust_remote_code=True."""
    import ast

    problems = []
    folders = ("classifier", "training", "moderation", "workers", "config", "bench")
    for path in sorted(p for folder in folders for p in (PROJECT_ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            owner = ast.unparse(node.func.value)
            name = node.func.attr
            keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
            where = f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}"
            if (owner, name) in _UNSAFE_CALLS:
                problems.append(f"{where}: {owner}.{name}")
            if owner == "torch" and name == "load" and keywords.get("weights_only") != "True":
                problems.append(f"{where}: torch.load without weights_only=True")
            if name == "load" and keywords.get("allow_pickle") == "True":
                problems.append(f"{where}: allow_pickle=True")
            if keywords.get("trust_remote_code") == "True":
                problems.append(f"{where}: trust_remote_code=True")
    assert problems == []
