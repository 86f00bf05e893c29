"""Comments per second and peak memory per backend and batch size, on real comments.

Run ``python bench/model_throughput.py [--model DIR ...] [--minilm] [--rows N]``.

Every candidate runs in its own fresh process (so peak memory, ``ru_maxrss``, is its own),
on the same fixed sample of holdout comments from ``../shared/data`` (a seeded random sample,
raw text as a platform would send it), at batch sizes 1, 8, 32 and 128, one process scoring
batches one after another, as a worker does. The baseline, measured in the same run, is
alt-profanity-check when it is installed (else the first model); the table gives each rate as a
ratio to the baseline's rate at the same batch size.

``--minilm`` adds the all-MiniLM-L6-v2 architecture with a six-label head (float32 and dynamic
int8), which measures what a fine-tuned MiniLM would cost whatever its weights.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

BATCH_SIZES = (1, 8, 32, 128)


def machine() -> dict[str, str]:
    """nproc, CPU model and RAM, as recorded in docs/model.md."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
    }


def sample_comments(rows: int, data_dir: str | None) -> list[str]:
    import numpy as np

    from training.pipeline import prepare_data

    holdout = prepare_data(data_dir).holdout
    index = np.random.default_rng(0).permutation(len(holdout))[:rows]
    return [holdout.texts[i] for i in sorted(index)]


def _scorer(spec: str) -> Any:
    """A callable texts -> scores for a candidate spec."""
    if spec == "alt-profanity-check":
        import warnings

        warnings.simplefilter("ignore")
        from profanity_check import predict_prob

        return lambda texts: predict_prob(list(texts))
    if spec.startswith("minilm"):
        import numpy as np
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from classifier.transformer import TransformerBackend, resolve_base_model

        base = resolve_base_model(None)
        model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=6, ignore_mismatched_sizes=True
        )
        backend = TransformerBackend(
            model,
            AutoTokenizer.from_pretrained(base),
            calibration=np.tile([1.0, 0.0], (6, 1)),
            constants=np.full(6, np.nan),
            max_length=int(spec.split(":")[1]) if ":" in spec else 128,
            stride=16,
            quantization="dynamic-int8" if "int8" in spec else None,
        )
        return backend.predict_proba
    from classifier.artifacts import load_model

    return load_model(spec).predict_proba


def _measure(spec: str, texts: Sequence[str], batch_sizes: Sequence[int], queue: Any) -> None:
    started = time.perf_counter()
    score = _scorer(spec)
    load_seconds = time.perf_counter() - started
    rates: dict[int, float] = {}
    for batch in batch_sizes:
        score(texts[:batch])  # warm-up
        start = time.perf_counter()
        for i in range(0, len(texts), batch):
            score(texts[i : i + batch])
        rates[batch] = len(texts) / (time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"spec": spec, "rates": rates, "peak_mb": peak_mb, "load_seconds": load_seconds})


def measure(spec: str, texts: Sequence[str], batch_sizes: Sequence[int]) -> dict[str, Any]:
    """Run one candidate in a fresh process; its rates per batch size and peak RSS."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_measure, args=(spec, list(texts), batch_sizes, queue))
    process.start()
    result: dict[str, Any] = queue.get()
    process.join()
    return result


def _label(spec: str) -> str:
    if spec == "alt-profanity-check" or spec.startswith("minilm"):
        return spec
    return Path(spec).name


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", default=[], help="artifact dir (repeatable)")
    parser.add_argument("--minilm", action="store_true", help="add MiniLM-L6 fp32 and int8")
    parser.add_argument("--minilm-window", type=int, default=128)
    parser.add_argument("--rows", type=int, default=512)
    parser.add_argument("--data", help="data directory (default ../shared/data)")
    parser.add_argument("--sample-file", help="comments, one per line, instead of the holdout")
    parser.add_argument(
        "--batch-sizes", default=",".join(map(str, BATCH_SIZES)), help="comma-separated"
    )
    args = parser.parse_args(argv)

    from classifier.artifacts import shipped_model_dir

    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    specs: list[str] = []
    try:
        import profanity_check  # noqa: F401

        specs.append("alt-profanity-check")
    except ImportError:
        pass
    specs += [str(Path(m)) for m in args.model] or [str(shipped_model_dir())]
    if args.minilm:
        specs += [f"minilm:{args.minilm_window}", f"minilm-int8:{args.minilm_window}"]
    if args.sample_file:
        lines = Path(args.sample_file).read_text(encoding="utf-8").splitlines()
        texts = [line for line in lines if line.strip()][: args.rows]
    else:
        texts = sample_comments(args.rows, args.data)
    info = machine()
    mean_chars = sum(len(t) for t in texts) / len(texts)
    print(
        f"machine: nproc {info['nproc']}, CPU {info['cpu']}, RAM {info['ram']}, "
        f"Python {info['python']}"
    )
    print(f"sample: {len(texts)} holdout comments, mean {mean_chars:.0f} characters\n")
    results = []
    for spec in specs:
        print(f"measuring {_label(spec)} ...", file=sys.stderr)
        results.append(measure(spec, texts, batch_sizes))
    baseline = results[0]
    header = "| backend | " + " | ".join(f"batch {b}" for b in batch_sizes)
    print(header + " | peak RSS | load |")
    print("|---|" + "---:|" * len(batch_sizes) + "---:|---:|")
    for result in results:
        cells = []
        for b in batch_sizes:
            rate = result["rates"][b]
            ratio = rate / baseline["rates"][b]
            cells.append(f"{rate:,.0f}/s ({ratio:.2f}x)")
        print(
            f"| {_label(result['spec'])} | "
            + " | ".join(cells)
            + f" | {result['peak_mb']:.0f} MB | {result['load_seconds']:.1f} s |"
        )
    print(f"\nratios are against {_label(baseline['spec'])}, measured in the same run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
