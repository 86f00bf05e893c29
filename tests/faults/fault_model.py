"""A model artifact for fault injection: the tiny linear model, made slow or made to raise.

Its manifest names the backend `fault_injection`, which only processes that call
`register()` can load (this test suite, and the worker it starts through
`tests.faults.worker_app`); production code never knows the name. The artifact holds the real
linear artifact in `inner/` and a `fault_injection.json` with what to inject:

- `started_marker`: a file touched when a model call starts (the test waits for it);
- `hold_file`: while this file exists, a model call waits (up to a minute) before scoring:
  a batch stays in the middle of its model call, rows locked, until the test kills the worker
  or deletes the file;
- `poison_token`: a model call raises ValueError if any of its texts contains this token
  (every call, with an empty token: a broken model);
- `hang_token`: a model call with a text containing this token never returns on its own (it
  sleeps for an hour), as a pathological input in a slow model step would: only the scoring
  task's time limit ends it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.artifacts import MANIFEST_NAME, load_model, read_manifest, register_backend
from classifier.backend import ToxicityBackend

FAULT_BACKEND = "fault_injection"
_FAULTS_FILE = "fault_injection.json"


@dataclass
class FaultInjectionBackend:
    inner: ToxicityBackend
    started_marker: str | None = None
    hold_file: str | None = None
    poison_token: str | None = None
    hang_token: str | None = None
    name: str = FAULT_BACKEND

    def predict_proba(self, texts: Sequence[str]) -> Any:
        if self.started_marker:
            Path(self.started_marker).touch()
        if self.poison_token is not None and any(self.poison_token in text for text in texts):
            raise ValueError(f"fault injection: a text contains the poison {self.poison_token!r}")
        if self.hang_token and any(self.hang_token in text for text in texts):
            hang_until = time.monotonic() + 3600
            while time.monotonic() < hang_until:
                time.sleep(0.05)
        deadline = time.monotonic() + 60
        while self.hold_file and Path(self.hold_file).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.inner.predict_proba(texts)


def read_fault_model(model_dir: Path) -> FaultInjectionBackend:
    faults = json.loads((model_dir / _FAULTS_FILE).read_text())
    return FaultInjectionBackend(inner=load_model(model_dir / "inner").backend, **faults)


def register() -> None:
    """Let this process load fault-injection artifacts."""
    register_backend(FAULT_BACKEND, read_fault_model)


def write_fault_model(
    out_dir: Path,
    *,
    inner_dir: Path,
    version: str,
    started_marker: Path | None = None,
    hold_file: Path | None = None,
    poison_token: str | None = None,
    hang_token: str | None = None,
) -> Path:
    """Write a fault-injection artifact around the linear artifact at `inner_dir`."""
    out_dir.mkdir(parents=True)
    shutil.copytree(inner_dir, out_dir / "inner")
    faults = {
        "started_marker": str(started_marker) if started_marker else None,
        "hold_file": str(hold_file) if hold_file else None,
        "poison_token": poison_token,
        "hang_token": hang_token,
    }
    faults_path = out_dir / _FAULTS_FILE
    faults_path.write_text(json.dumps(faults))
    manifest = dataclasses.replace(
        read_manifest(inner_dir),
        version=version,
        backend=FAULT_BACKEND,
        files={_FAULTS_FILE: hashlib.sha256(faults_path.read_bytes()).hexdigest()},
    )
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest.to_dict(), indent=2))
    return out_dir
