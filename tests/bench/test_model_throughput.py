"""The throughput benchmark runs end to end on a few comments and prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_prints_a_table_with_a_baseline_ratio(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    sample = tmp_path / "comments.txt"
    sample.write_text("you are an idiot\nthanks for the edit\nnice photo\n" * 6)
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "bench" / "model_throughput.py"),
            "--model",
            str(tiny_model_dir),
            "--rows",
            "16",
            "--batch-sizes",
            "1,8",
            "--sample-file",
            str(sample),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=PROJECT_ROOT,
    )
    assert "machine: nproc" in result.stdout
    assert "| backend | batch 1 | batch 8 | peak RSS | load |" in result.stdout
    assert "tiny-v1" in result.stdout
    assert "x)" in result.stdout
