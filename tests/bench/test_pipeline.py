"""The end-to-end benchmark starts the real stack, runs every phase on a few comments, prints
its table with the model-only ratio, and cleans up after itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from training.datasets import DATA_DIR_ENV, resolve_data_dir

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = resolve_data_dir()


# The benchmark draws its comments from the public sets (the realistic mix), like the dataset
# tests, so it is skipped with them where a checkout has no data beside it.
@pytest.mark.skipif(
    not DATA_DIR.is_dir(),
    reason=f"public training data not found at {DATA_DIR} (set {DATA_DIR_ENV})",
)
def test_pipeline_benchmark_runs_every_phase_and_drops_its_database(tiny_model_dir: Path) -> None:
    scratch = f"toxmod_bench_smoke_{os.getpid()}"
    # Its own Redis db: flushing the test broker's db would drop the queues' bindings.
    redis_db = 9
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "bench" / "pipeline.py"),
            "--model",
            str(tiny_model_dir),
            "--comments",
            "64",
            "--scales",
            "1,2",
            "--intake-comments",
            "100",
            "--live-seconds",
            "2",
            "--live-batch",
            "5",
            "--scratch-db",
            scratch,
            "--redis-dbs",
            f"{redis_db},{redis_db}",
            "--max-seconds",
            "240",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = result.stdout
    assert "model: tiny-v1" in table
    assert "| drain, N=64 " in table
    assert "| drain, N=128 " in table
    assert "ratio " in table
    assert "| intake, 500 per request" in table
    assert "| live, " in table
    assert "p99 " in table
    assert "peak RSS, worker pool processes" in table
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres") as admin:
        left = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [scratch]).fetchall()
    assert left == []
