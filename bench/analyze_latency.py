"""Latency of the synchronous endpoint (`POST /api/v1/analyze`) beside the model's own time.

Starts, on loopback: gunicorn (the web app, as the Procfile runs it) and one Celery worker on
the `analyze` queue only (--pool, prefork by default, --processes of them, prefetch 1), on a scratch
PostgreSQL database (created, migrated, dropped) and the local Redis (broker and cache dbs,
flushed). Then, for one short text per request:

- model: the same artifact loaded in this process, `predict_proba` on each text alone; its
  p50 and p99 are the floor any synchronous answer stands on.
- capacity: one client sending back to back for --capacity-seconds; requests per second.
- steady: requests sent on a fixed schedule at --share (default half) of that capacity for
  --seconds, each from its own thread; latency from each request's scheduled time (so a
  backlog counts), p50, p99 and max.

Prints a table with the overhead of the endpoint over the model (p50 and p99 ratios) and
whether p99 is under --target-ms, and writes the figures as JSON under var/bench/.

    .venv/bin/python bench/analyze_latency.py                  # the shipped model, ~1 minute
    .venv/bin/python bench/analyze_latency.py --model DIR      # another artifact
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.processes import celery_worker_command, free_port  # noqa: E402 (needs ROOT on the path)

#: Short comments, as most are; a mix of the kinds a platform sees.
SHORT_TEXTS = (
    "Thanks, that fixed it!",
    "You are a complete idiot.",
    "Great photo, where was it taken?",
    "Nobody cares about your opinion, moron.",
    "I disagree, the second option is cheaper.",
    "Shut up and go away.",
    "This recipe is wonderful, will cook it again.",
    "What a stupid thing to say.",
)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def model_times(artifact: Path, rounds: int) -> list[float]:
    """Seconds of `predict_proba` on each short text alone, as the worker calls it."""
    from classifier.artifacts import load_model

    model = load_model(artifact)
    for text in SHORT_TEXTS:  # warm-up
        model.predict_proba([text])
    times = []
    for index in range(rounds):
        text = SHORT_TEXTS[index % len(SHORT_TEXTS)]
        started = time.perf_counter()
        model.predict_proba([text])
        times.append(time.perf_counter() - started)
    return times


class Stack:
    def __init__(self, env: dict[str, str], log_dir: Path, processes: int, pool: str) -> None:
        self.env, self.log_dir, self.processes_wanted, self.pool = env, log_dir, processes, pool
        self.port = free_port()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        bin_dir = Path(sys.executable).parent
        self._spawn(
            "web",
            [
                str(bin_dir / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "4",
            ],
        )  # fmt: skip
        command = celery_worker_command(
            queues="analyze",
            pool=self.pool,
            concurrency=self.processes_wanted,
            hostname="bench-analyze@%h",
            loglevel="WARNING",
        )
        self._spawn("worker", [*command, "--prefetch-multiplier", "1"])

    def _spawn(self, role: str, command: list[str]) -> None:
        log = (self.log_dir / f"{role}.log").open("wb")
        self.processes[role] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def analyze_once(session: Any, url: str, key: str, text: str) -> float:
    started = time.perf_counter()
    response = session.post(
        f"{url}/api/v1/analyze",
        json={"text": text},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    if response.status_code != 200:
        raise SystemExit(f"analyze answered {response.status_code}: {response.text[:500]}")
    return time.perf_counter() - started


def wait_ready(stack: Stack, key: str, deadline_seconds: float = 120) -> None:
    import requests

    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        for role, process in stack.processes.items():
            if process.poll() is not None:
                log = (stack.log_dir / f"{role}.log").read_text(errors="replace")[-3000:]
                raise SystemExit(f"{role} exited:\n{log}")
        try:
            analyze_once(requests.Session(), stack.url, key, "warm up")
            return
        except (requests.ConnectionError, SystemExit):
            time.sleep(0.5)
    raise SystemExit("The stack did not answer analyze in time.")


def capacity(url: str, key: str, seconds: float) -> float:
    import requests

    session = requests.Session()
    sent, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        analyze_once(session, url, key, SHORT_TEXTS[sent % len(SHORT_TEXTS)])
        sent += 1
    return sent / (time.perf_counter() - started)


def steady(url: str, key: str, rate: float, seconds: float) -> list[float]:
    """Latencies from each request's scheduled send time, at `rate` requests per second."""
    import requests

    local = threading.local()

    def send(index: int, due: float) -> float:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        analyze_once(session, url, key, SHORT_TEXTS[index % len(SHORT_TEXTS)])
        return time.perf_counter() - due

    count = max(1, int(rate * seconds))
    start = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = [pool.submit(send, i, start + i / rate) for i in range(count)]
        return [future.result() for future in futures]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", type=Path, help="artifact to activate (default: shipped)")
    parser.add_argument("--processes", type=int, default=1, help="analyze worker processes")
    parser.add_argument(
        "--pool", choices=["prefork", "solo", "threads"], default="prefork", help="worker pool"
    )
    parser.add_argument("--capacity-seconds", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=30.0, help="of the steady load")
    parser.add_argument("--share", type=float, default=0.5, help="of capacity, the steady rate")
    parser.add_argument("--model-rounds", type=int, default=400)
    parser.add_argument("--target-ms", type=float, default=150.0, help="p99 target")
    parser.add_argument("--scratch-db", default="toxmod_bench_analyze", help="created, dropped")
    parser.add_argument("--redis-dbs", default="11,10", help="broker,cache dbs (flushed)")
    args = parser.parse_args()

    from bench.pipeline import drop_database, figures_write, scratch_environment

    env, server = scratch_environment(
        args.scratch_db, args.redis_dbs, {"API_KEY_RATE_LIMIT": "100000000/min"}
    )
    var = ROOT / "var" / "bench" / args.scratch_db
    (var / "logs").mkdir(parents=True, exist_ok=True)
    stack = Stack(env, var / "logs", args.processes, args.pool)
    try:
        results = run(args, stack)
    finally:
        stack.stop()
        drop_database(server, args.scratch_db)
    figures_write("analyze", results)


def run(args: argparse.Namespace, stack: Stack) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.pipeline_throughput import machine
    from moderation import model_loader
    from moderation.models import ModelVersion
    from moderation.services.model_versions import model_version_register
    from moderation.services.platforms import api_key_issue, platform_create

    call_command("migrate", verbosity=0)
    if args.model is not None:
        model_version_register(artifact_dir=args.model.resolve(), activate=True)
    model_version = ModelVersion.objects.get(is_active=True)
    key = api_key_issue(platform=platform_create(name="bench")).secret
    stack.start()
    wait_ready(stack, key)

    own = model_times(model_loader.artifact_dir(model_version), args.model_rounds)
    served = capacity(stack.url, key, args.capacity_seconds)
    rate = args.share * served
    latencies = steady(stack.url, key, rate, args.seconds)
    figures = {
        "machine": machine(),
        "model": model_version.version,
        "processes": args.processes,
        "pool": args.pool,
        "model_p50_ms": percentile(own, 0.5) * 1000,
        "model_p99_ms": percentile(own, 0.99) * 1000,
        "capacity_per_second": served,
        "steady_rate_per_second": rate,
        "requests": len(latencies),
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000,
    }
    figures["overhead_p50"] = figures["p50_ms"] / figures["model_p50_ms"]
    figures["overhead_p99"] = figures["p99_ms"] / figures["model_p99_ms"]
    figures["p99_under_target"] = figures["p99_ms"] < args.target_ms
    print(f"machine: {figures['machine']}")
    print(
        f"model: {figures['model']}; analyze worker: {args.pool} pool, concurrency {args.processes}"
    )
    print(f"{'':24}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'model alone':24}{figures['model_p50_ms']:10.2f}{figures['model_p99_ms']:10.2f}")
    print(
        f"{'POST /api/v1/analyze':24}{figures['p50_ms']:10.2f}{figures['p99_ms']:10.2f}"
        f"   at {rate:.1f}/s ({args.share:.0%} of {served:.1f}/s), {len(latencies)} requests"
    )
    print(
        f"overhead over the model: x{figures['overhead_p50']:.1f} at p50, "
        f"x{figures['overhead_p99']:.1f} at p99; p99 "
        f"{'under' if figures['p99_under_target'] else 'OVER'} {args.target_ms:.0f} ms"
    )
    return figures


if __name__ == "__main__":
    main()
