"""The synchronous-endpoint benchmark starts web and an analyze worker, measures the model
alone, the capacity and a steady load, prints the overhead ratio, and cleans up after itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_analyze_benchmark_prints_latency_beside_the_model_and_drops_its_database(
    tiny_model_dir: Path,
) -> None:
    scratch = f"toxmod_bench_analyze_smoke_{os.getpid()}"
    redis_db = 8  # its own: the bench flushes it
    result = subprocess.run(
        [
            sys.executable, str(PROJECT_ROOT / "bench" / "analyze_latency.py"),
            "--model", str(tiny_model_dir),
            "--capacity-seconds", "1", "--seconds", "2", "--model-rounds", "20",
            "--scratch-db", scratch, "--redis-dbs", f"{redis_db},{redis_db}",
        ],
        capture_output=True, text=True, timeout=300, check=False, cwd=PROJECT_ROOT,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = result.stdout
    assert "model: tiny-v1" in table
    assert "model alone" in table
    assert "POST /api/v1/analyze" in table
    assert "overhead over the model: x" in table
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres") as admin:
        left = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [scratch]).fetchall()
    assert left == []
