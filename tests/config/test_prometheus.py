"""Each server's metric samples: a folder of its own, emptied when that server starts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from config.prometheus import prometheus_dir_prepare, prometheus_root


def test_a_starting_server_empties_its_own_folder_and_no_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # prometheus_dir_prepare sets both variables: set them here first, so that monkeypatch puts
    # back what they were (or removes them) after the test.
    monkeypatch.setenv("TOXMOD_PROMETHEUS_ROOT", "unset below")
    monkeypatch.delenv("TOXMOD_PROMETHEUS_ROOT")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "counter_1.db").write_bytes(b"web samples")
    worker = tmp_path / "worker-celery_host-a"
    worker.mkdir()
    (worker / "counter_2.db").write_bytes(b"samples of the last run")

    folder = prometheus_dir_prepare(server="worker-celery@host-a")

    assert folder == worker
    assert list(worker.iterdir()) == []
    assert (tmp_path / "web" / "counter_1.db").read_bytes() == b"web samples"
    # The server's processes write into its folder; /metrics still reads the root.
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(worker)
    assert prometheus_root() == tmp_path
