"""End-to-end throughput and latency of the whole stack, beside the model's own limit.

Starts the real stack on this machine, all on loopback: gunicorn (the web app, as the Procfile
runs it), a Celery worker (prefork, one process per core by default), the local PostgreSQL (a
scratch database, created, migrated and dropped) and the local Redis (broker db 13, cache db 12,
both flushed; --scratch-db and --redis-dbs change them). Feeds it real comments from
../shared/data (a seeded sample of distinct texts from every set), and measures in one run:

- drain: N comments already stored and queued, then the workers start consuming; scored
  comments/s until none is pending, next to the model-only comments/s of the same model, in
  the same number of processes, on the same texts and batches (scores, the platform policy, and
  explanations of the flagged labels: everything the worker asks of the model, and nothing of
  the queue or the database). The ratio drain / model-only is what the pipeline keeps of the
  model's speed. Repeated at 2N and 4N: the seconds per 1,000 comments should stay flat.
- intake: accepted comments/s through POST /api/v1/comments (one per request) and
  /api/v1/comments/batch (500 per request) with --clients concurrent clients, workers idle.
- live: POST-to-scored latency (p50, p95, p99, from each request's scheduled send time, so a
  backlog counts) at a fixed offered load of --live-share of the drain rate, sent as batches
  of --live-batch comments, with intake and scoring running together.
- memory: peak RSS of every process of the stack; with --soak SECONDS, the live load runs that
  long and each worker process's RSS is sampled over it (flat means no leak).

Everything stops by itself (--max-seconds bounds the whole run). Prints a table and writes the
figures as JSON under var/bench/.

    .venv/bin/python bench/pipeline.py                     # N=4096, about 3 minutes
    .venv/bin/python bench/pipeline.py --soak 600          # plus the 10-minute memory run
    .venv/bin/python bench/pipeline.py --model DIR         # another artifact (e.g. a transformer)
    .venv/bin/python bench/pipeline.py --profile           # where the workers' time goes (py-spy)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.processes import celery_worker_command, free_port  # noqa: E402 (needs ROOT on the path)

WORKER_NAME = "bench-pipeline@%h"
MIB = 1024 * 1024


class TextSupply:
    """Distinct real texts, a seeded shuffle of every public set, handed out in order.

    ``mix="natural"`` takes only natural-prevalence rows (Wikipedia talk comments sampled at
    random: a few percent toxic, like a real stream); ``"all"`` every set (about half toxic).
    No text is handed out twice: once the data is used up (a long soak), texts come round
    again with a counter appended, so the score cache never answers for the model."""

    def __init__(self, seed: int, mix: str = "all") -> None:
        import random

        from training.datasets import load_all

        data = load_all()
        wanted = data.natural if mix == "natural" else [True] * len(data)
        self.texts = sorted(
            {text for text, keep in zip(data.texts, wanted, strict=True) if keep and text.strip()}
        )
        random.Random(seed).shuffle(self.texts)
        self.handed_out = 0

    def take(self, count: int) -> list[str]:
        taken = []
        for index in range(self.handed_out, self.handed_out + count):
            round_, position = divmod(index, len(self.texts))
            text = self.texts[position]
            taken.append(text if round_ == 0 else f"{text} ({round_})")
        self.handed_out += count
        return taken


# --- the stack --------------------------------------------------------------------------------


@dataclass
class Stack:
    """gunicorn and a Celery worker as child processes, in their own process groups."""

    env: dict[str, str]
    log_dir: Path
    web_workers: int
    worker_processes: int
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self) -> None:
        bin_dir = Path(sys.executable).parent
        self._spawn(
            "web",
            [
                str(bin_dir / "gunicorn"),
                "-c",
                "config/gunicorn.py",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.web_workers),
                "--backlog",
                "2048",
            ],
        )
        self._spawn(
            "worker",
            celery_worker_command(
                pool="prefork",
                concurrency=self.worker_processes,
                hostname=WORKER_NAME,
                loglevel="WARNING",
            ),
        )

    def _spawn(self, role: str, command: list[str]) -> None:
        log = (self.log_dir / f"{role}.log").open("wb")
        self.processes[role] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def check_alive(self) -> None:
        for role, process in self.processes.items():
            if process.poll() is not None:
                log = (self.log_dir / f"{role}.log").read_text(errors="replace")[-3000:]
                raise SystemExit(f"{role} exited with {process.returncode}:\n{log}")

    def role_processes(self) -> dict[str, list[Any]]:
        """psutil processes per role: web master/workers, worker main/pool processes."""
        import psutil

        found: dict[str, list[Any]] = {}
        for role, process in self.processes.items():
            try:
                main = psutil.Process(process.pid)
                children = main.children(recursive=True)
            except psutil.NoSuchProcess:
                continue
            found[f"{role} main"] = [main]
            found[f"{role} {'workers' if role == 'web' else 'pool processes'}"] = children
        return found


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU seconds used so far by each part: the stack's roles, PostgreSQL's and Redis's
    server processes (all of them: the bench is alone on the machine), and the machine."""
    import psutil

    used: dict[str, float] = {}
    for role, processes in stack.role_processes().items():
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            used[role] = used.get(role, 0.0) + times.user + times.system
    for process in psutil.process_iter(["name"]):
        name = process.info["name"] or ""
        part = "postgres" if name.startswith("postgres") else "redis" if "redis" in name else None
        if part is None:
            continue
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        used[part] = used.get(part, 0.0) + times.user + times.system
    total = psutil.cpu_times()
    used["machine busy"] = total.user + total.system + total.nice + total.irq + total.softirq
    used["machine idle"] = total.idle + total.iowait
    used["machine steal"] = getattr(total, "steal", 0.0)
    return used


class MemorySampler(threading.Thread):
    """Samples the RSS of every stack process every `interval` seconds; keeps peaks per role
    and, per worker pool process, the series over time (for the soak run)."""

    def __init__(self, stack: Stack, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.stack, self.interval = stack, interval
        self.peak_mib: dict[str, float] = {}
        self.series: dict[int, list[tuple[float, float]]] = {}
        self.record_series = False
        self._stop_event = threading.Event()

    def run(self) -> None:
        import psutil

        while not self._stop_event.wait(self.interval):
            now = time.monotonic()
            for role, processes in self.stack.role_processes().items():
                for process in processes:
                    try:
                        rss = process.memory_info().rss / MIB
                    except psutil.Error:
                        continue
                    self.peak_mib[role] = max(self.peak_mib.get(role, 0.0), rss)
                    if self.record_series and role == "worker pool processes":
                        self.series.setdefault(process.pid, []).append((now, rss))

    def stop(self) -> None:
        self._stop_event.set()


# --- model-only: the same work without the queue and the database -----------------------------

_pool_model: Any = None
_pool_platform: Any = None


def _pool_init(
    artifact: str, thresholds: dict[str, float], remove_at: dict[str, float], ready: Any
) -> None:
    global _pool_model, _pool_platform
    import django

    django.setup()
    from classifier.artifacts import load_model
    from moderation.models import Platform

    _pool_model = load_model(Path(artifact))
    from classifier.registry import backend_spec

    if backend_spec(_pool_model.manifest.backend).uses_torch:  # transformer, cascade
        import torch
        from django.conf import settings

        torch.set_num_threads(settings.WORKER_TORCH_THREADS)  # as a worker process does
    _pool_platform = Platform(flag_thresholds=thresholds, auto_remove_thresholds=remove_at)
    _pool_model.predict_proba(["warm up the vectorisers"])
    ready.wait()  # every process has its model before the first batch is timed


def _pool_score(texts: list[str]) -> int:
    """What a worker asks of the model for one batch: scores, policy, explanations."""
    from django.conf import settings

    from classifier.labels import LABELS
    from moderation.services.scoring import policy_apply

    probabilities = _pool_model.predict_proba(texts)
    wanted = [
        policy_apply(
            platform=_pool_platform,
            scores={label: float(v) for label, v in zip(LABELS, row, strict=True)},
        ).flagged_labels
        for row in probabilities
    ]
    if settings.SCORING_EXPLAIN and any(wanted):
        _pool_model.explain_many(texts, labels_per_text=wanted)
    return sum(1 for labels in wanted if labels)


def model_only_rate(
    artifact: Path, texts: Sequence[str], batch: int, processes: int, platform: Any
) -> tuple[float, float]:
    """(comments/s, flagged share) of the model alone, `processes` processes in parallel."""
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(processes)
    batches = [list(texts[i : i + batch]) for i in range(0, len(texts), batch)]
    init_args = (
        str(artifact),
        dict(platform.flag_thresholds),
        dict(platform.auto_remove_thresholds),
        ready,
    )
    with context.Pool(processes, initializer=_pool_init, initargs=init_args) as pool:
        pool.map(time.sleep, [0.05] * processes)  # all processes through their initializer
        started = time.perf_counter()
        flagged = sum(pool.imap_unordered(_pool_score, batches))
        elapsed = time.perf_counter() - started
    return len(texts) / elapsed, flagged / len(texts)


# --- where the workers' time goes ------------------------------------------------------------

#: Sample categories of the pool processes, by the file of the innermost frame that names one
#: (py-spy writes frames as "function (package/module.py:line)").
PROFILE_CATEGORIES = (
    ("waiting for a task", ("(billiard/connection.py", "(billiard/queues.py")),
    ("model", ("(classifier/", "(sklearn/", "(numpy/", "(scipy/", "(torch/", "(transformers/")),
    ("database", ("(psycopg", "(django/db/")),
    ("score cache", ("(django/core/cache", "(redis/")),
    ("celery, kombu", ("(kombu/", "(celery/", "(billiard/")),
    ("pipeline code", ("(moderation/", "(workers/", "(json/")),
)


class Profiler:
    """py-spy sampling the worker and its pool processes while it runs; no code change."""

    def __init__(self, pid: int, out: Path) -> None:
        self.out = out
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(pid),
                "--subprocesses",
                "--nonblocking",
                "--rate",
                "250",
                "--format",
                "raw",
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # attached before the clock starts

    def stop(self) -> dict[str, float]:
        """Share of the samples per category: the pool processes' by what they were doing,
        and the main process's as one figure."""
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        counts: dict[str, int] = {}
        for line in self.out.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            frames = stack.split(";")
            if sum(frame.startswith("process ") for frame in frames) < 2:
                # The main process: it takes tasks from the broker and hands them out.
                counts["worker main process"] = counts.get("worker main process", 0) + int(count)
                continue
            category = "other"
            for frame in reversed(frames):
                found = next(
                    (name for name, marks in PROFILE_CATEGORIES if any(m in frame for m in marks)),
                    None,
                )
                if found is not None:
                    category = found
                    break
            counts[category] = counts.get(category, 0) + int(count)
        total = sum(counts.values()) or 1
        return {name: count / total for name, count in sorted(counts.items())}


# --- phases --------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class Bench:
    def __init__(self, args: argparse.Namespace, stack: Stack) -> None:
        from config.celery import app
        from moderation.models import ModelVersion
        from moderation.services.platforms import api_key_issue, platform_create

        self.args, self.stack, self.app = args, stack, app
        self.platform = platform_create(name="bench")
        self.key = api_key_issue(platform=self.platform).secret
        self.model_version = ModelVersion.objects.get(is_active=True)
        self.destination = [WORKER_NAME.replace("%h", socket.gethostname())]
        self.sequence = 0

    def next_ids(self, count: int, prefix: str) -> list[str]:
        self.sequence += count
        return [f"{prefix}-{self.sequence - count + i}" for i in range(count)]

    # consumers ---------------------------------------------------------------------------

    def scoring(self, on: bool) -> None:
        control = self.app.control
        if on:
            replies = control.add_consumer("scoring", destination=self.destination, reply=True)
        else:
            replies = control.cancel_consumer("scoring", destination=self.destination, reply=True)
        if not replies:
            raise SystemExit("the worker did not answer a control command")

    def wait_for_worker(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.stack.check_alive()
            if self.app.control.ping(destination=self.destination, timeout=1.0):
                return
        raise SystemExit("the worker did not start")

    def wait_for_web(self, timeout: float = 60) -> None:
        import urllib3

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.stack.check_alive()
            try:
                urllib3.request("GET", f"http://127.0.0.1:{self.stack.port}/healthz", timeout=1)
                return
            except urllib3.exceptions.HTTPError:
                time.sleep(0.3)
        raise SystemExit("gunicorn did not start")

    def wait_until_scored(self, external_ids: Sequence[str], timeout: float) -> None:
        from moderation.models import Comment, CommentStatus

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.stack.check_alive()
            if not Comment.objects.filter(status=CommentStatus.PENDING).exists():
                return
            time.sleep(0.1)
        pending = Comment.objects.filter(
            external_id__in=external_ids, status=CommentStatus.PENDING
        ).count()
        raise SystemExit(f"{pending} comment(s) still pending after {timeout:.0f} s")

    # drain ---------------------------------------------------------------------------------

    def drain(self, texts: Sequence[str], profile: Path | None = None) -> dict[str, Any]:
        from django.db.models import Max
        from django.utils import timezone

        from moderation.models import Comment
        from moderation.services.scoring_queue import comments_publish

        self.scoring(on=False)
        now = timezone.now()
        external_ids = self.next_ids(len(texts), "drain")
        rows = [
            Comment(
                platform=self.platform,
                external_id=external_id,
                text=text,
                enqueued_at=now,
                enqueue_count=1,
            )
            for external_id, text in zip(external_ids, texts, strict=True)
        ]
        created = Comment.objects.bulk_create(rows, batch_size=2000)
        if not comments_publish([comment.pk for comment in created]):
            raise SystemExit("could not enqueue the drain comments")
        profiler = None
        if profile is not None:
            profiler = Profiler(self.stack.processes["worker"].pid, profile)
        time.sleep(0.5)  # the broker holds every task before the clock starts
        cpu_before = cpu_seconds(self.stack)
        started = time.time()
        self.scoring(on=True)
        self.wait_until_scored(external_ids, timeout=self.args.max_seconds)
        cpu_after = cpu_seconds(self.stack)
        finished = Comment.objects.filter(external_id__in=external_ids).aggregate(
            last=Max("scored_at")
        )["last"]
        seconds = finished.timestamp() - started
        result: dict[str, Any] = {
            "comments": len(texts),
            "seconds": seconds,
            "rate": len(texts) / seconds,
            # CPU milliseconds per comment spent by each part during the drain.
            "cpu_ms_per_comment": {
                part: (cpu_after[part] - cpu_before.get(part, 0.0)) * 1000 / len(texts)
                for part in cpu_after
            },
        }
        if profiler is not None:
            result["profile"] = profiler.stop()
        return result

    # intake --------------------------------------------------------------------------------

    def _post(self, http: Any, path: str, body: dict[str, Any]) -> int:
        response = http.request(
            "POST",
            path,
            body=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
            retries=False,
            timeout=30,
        )
        if response.status != 202:
            raise SystemExit(f"POST {path} answered {response.status}: {response.data[:300]!r}")
        return int(response.status)

    def intake(self, texts: Sequence[str], per_request: int, clients: int) -> dict[str, float]:
        import urllib3

        path = "/api/v1/comments" if per_request == 1 else "/api/v1/comments/batch"
        external_ids = self.next_ids(len(texts), f"intake{per_request}")
        requests: list[dict[str, Any]] = []
        for start in range(0, len(texts), per_request):
            items: list[dict[str, Any]] = [
                {"external_id": external_id, "text": text}
                for external_id, text in zip(
                    external_ids[start : start + per_request],
                    texts[start : start + per_request],
                    strict=True,
                )
            ]
            body: dict[str, Any] = items[0] if per_request == 1 else {"comments": items}
            requests.append(body)
        local = threading.local()

        def send(body: dict[str, Any]) -> int:
            if not hasattr(local, "http"):
                local.http = urllib3.HTTPConnectionPool("127.0.0.1", self.stack.port, maxsize=1)
            return self._post(local.http, path, body)

        with ThreadPoolExecutor(clients) as pool:
            started = time.perf_counter()
            list(pool.map(send, requests))
            elapsed = time.perf_counter() - started
        return {"comments": len(texts), "seconds": elapsed, "rate": len(texts) / elapsed}

    def forget_pending(self) -> None:
        """Drop what intake stored and queued, so the next phase starts from an empty queue."""
        from moderation.models import Comment, CommentStatus

        self.app.control.purge()
        Comment.objects.filter(status=CommentStatus.PENDING).delete()

    # live ----------------------------------------------------------------------------------

    def live(
        self,
        texts: Sequence[str],
        rate: float,
        seconds: float,
        per_request: int,
    ) -> dict[str, float]:
        """Open-loop load: request i is due at start + i * per_request / rate."""
        import urllib3

        from moderation.models import Comment

        interval = per_request / rate
        count = min(len(texts) // per_request, int(seconds / interval))
        external_ids = self.next_ids(count * per_request, "live")
        due: dict[str, float] = {}
        local = threading.local()
        started = time.time() + 0.5

        def send(index: int) -> None:
            if not hasattr(local, "http"):
                local.http = urllib3.HTTPConnectionPool("127.0.0.1", self.stack.port, maxsize=1)
            at = started + index * interval
            ids = external_ids[index * per_request : (index + 1) * per_request]
            for external_id in ids:
                due[external_id] = at
            items = [
                {"external_id": external_id, "text": text}
                for external_id, text in zip(
                    ids, texts[index * per_request : (index + 1) * per_request], strict=True
                )
            ]
            self._post(local.http, "/api/v1/comments/batch", {"comments": items})

        with ThreadPoolExecutor(self.args.clients) as pool:
            futures = []
            for index in range(count):
                delay = started + index * interval - time.time()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(send, index))
            for future in futures:
                future.result()
        self.wait_until_scored(external_ids, timeout=120)
        scored = dict(
            Comment.objects.filter(external_id__in=external_ids).values_list(
                "external_id", "scored_at"
            )
        )
        latencies = [
            scored_at.timestamp() - due[external_id]
            for external_id, scored_at in scored.items()
            if scored_at is not None
        ]
        return {
            "offered_rate": rate,
            "comments": len(latencies),
            "seconds": count * interval,
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99),
            "max": max(latencies),
        }


# --- the run ----------------------------------------------------------------------------------


def scratch_environment(
    scratch_db: str, redis_dbs: str, extra: dict[str, str]
) -> tuple[dict[str, str], str]:
    """A scratch database (dropped and created) and flushed Redis dbs (``"broker,cache"``);
    the environment for the stack's processes, also set in this one, and the server URL.
    ``extra`` adds or overrides variables. Shared by every bench that starts the stack."""
    import psycopg
    import redis

    server = os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {scratch_db} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {scratch_db}")
    redis_url = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")
    broker_db, cache_db = (int(db) for db in redis_dbs.split(","))
    for db in (broker_db, cache_db):
        redis.Redis.from_url(f"{redis_url}/{db}").flushdb()
    var = ROOT / "var" / "bench" / scratch_db
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"{server}/{scratch_db}",
        "CELERY_BROKER_URL": f"{redis_url}/{broker_db}",
        "CACHE_URL": f"{redis_url}/{cache_db}",
        "API_RATE_LIMIT": "100000000/min",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "TOXMOD_VAR_DIR": str(var),
        "PROMETHEUS_MULTIPROC_DIR": str(var / "prometheus"),
        **extra,
    }
    os.environ.update(env)
    return env, server


def prepare_environment(args: argparse.Namespace) -> tuple[dict[str, str], str]:
    extra = {"SCORING_BATCH_SIZE": str(args.batch_size)}
    if args.no_explain:
        extra["SCORING_EXPLAIN"] = "false"
    return scratch_environment(args.scratch_db, args.redis_dbs, extra)


def drop_database(server: str, name: str) -> None:
    """Close this process's Django connections, then drop the scratch database."""
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def figures_write(kind: str, results: dict[str, Any]) -> Path:
    """Write a bench's figures as ``var/bench/<kind>-<time>.json`` and say where."""
    out = ROOT / "var" / "bench" / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nfigures written to {out.relative_to(ROOT)}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--comments", type=int, default=4096, help="N of the drain (also 2N, 4N)")
    parser.add_argument("--scales", default="1,2,4", help="drain sizes as multiples of N")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--batch-size", type=int, default=64, help="SCORING_BATCH_SIZE")
    parser.add_argument("--intake-comments", type=int, default=20_000)
    parser.add_argument("--live-seconds", type=float, default=30.0)
    parser.add_argument("--live-share", type=float, default=0.5, help="of the drain rate")
    parser.add_argument("--live-batch", type=int, default=10, help="comments per live request")
    parser.add_argument("--soak", type=float, default=0.0, help="seconds of live load (memory)")
    parser.add_argument("--model", type=Path, help="artifact to activate (default: shipped)")
    parser.add_argument("--no-explain", action="store_true", help="SCORING_EXPLAIN=false")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--mix",
        choices=["all", "natural"],
        default="all",
        help="texts: every public set, or natural-prevalence comments only (a realistic stream)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the workers during the first drain"
    )
    parser.add_argument("--scratch-db", default="toxmod_bench_pipeline", help="created, dropped")
    parser.add_argument("--redis-dbs", default="13,12", help="broker,cache dbs (flushed)")
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="bound on the run")
    args = parser.parse_args()

    scales = [int(s) for s in args.scales.split(",")]
    env, server = prepare_environment(args)
    log_dir = ROOT / "var" / "bench" / args.scratch_db / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(env, log_dir, args.web_workers, args.workers)
    watchdog = threading.Timer(args.max_seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    watchdog.daemon = True
    watchdog.start()
    try:
        results = run(args, scales, stack)
    finally:
        stack.stop()
        drop_database(server, args.scratch_db)
    figures_write("pipeline", results)


def run(args: argparse.Namespace, scales: list[int], stack: Stack) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.pipeline_throughput import machine
    from moderation import model_loader
    from moderation.services.model_versions import model_version_register

    call_command("migrate", verbosity=0)
    if args.model is not None:
        model_version_register(artifact_dir=args.model.resolve(), activate=True)
    n = args.comments
    supply = TextSupply(args.seed, args.mix)
    take = supply.take
    stack.start()
    sampler = MemorySampler(stack)
    bench = Bench(args, stack)
    artifact = model_loader.artifact_dir(bench.model_version)
    bench.wait_for_web()
    bench.wait_for_worker()
    sampler.start()
    print(f"machine: {machine()}")
    print(
        f"model: {bench.model_version.version} ({bench.model_version.backend}); "
        f"{args.workers} worker processes, batch {args.batch_size}, "
        f"explanations {'off' if args.no_explain else 'on'}; {args.web_workers} gunicorn "
        f"workers; {args.clients} clients; texts: {args.mix} "
        f"({len(supply.texts):,} distinct)"
    )
    results: dict[str, Any] = {
        "machine": machine(),
        "model": bench.model_version.version,
        "backend": bench.model_version.backend,
        "args": {k: str(v) for k, v in vars(args).items()},
    }

    # Warm-up: every pool process scores a batch (models loaded, connections open).
    bench.drain(take(args.batch_size * args.workers * 2))

    drains, model_only = [], []
    for index, scale in enumerate(scales):
        chunk = take(n * scale)
        rate, flagged = model_only_rate(
            artifact, chunk, args.batch_size, args.workers, bench.platform
        )
        model_only.append({"comments": len(chunk), "rate": rate, "flagged_share": flagged})
        profile = None
        if args.profile and index == 0:
            profile = ROOT / "var" / "bench" / f"pipeline-profile-{time.strftime('%H%M%S')}.txt"
        drains.append(bench.drain(chunk, profile))
        print(
            f"  drain {len(chunk):>6}: {drains[-1]['rate']:8.0f}/s   model-only "
            f"{rate:8.0f}/s   ratio {drains[-1]['rate'] / rate:.2f}   flagged {flagged:.0%}",
            flush=True,
        )
    results["drain"] = drains
    results["model_only"] = model_only

    bench.scoring(on=False)
    intake = {}
    for per_request in (1, 500):
        count = min(args.intake_comments, 3000) if per_request == 1 else args.intake_comments
        intake[per_request] = bench.intake(take(count), per_request, args.clients)
        bench.forget_pending()
        print(
            f"  intake {per_request:>3}/request: {intake[per_request]['rate']:8.0f}/s", flush=True
        )
    results["intake"] = {str(k): v for k, v in intake.items()}

    bench.scoring(on=True)
    live_rate = args.live_share * drains[0]["rate"]
    live = bench.live(
        take(int(live_rate * args.live_seconds) + 10), live_rate, args.live_seconds, args.live_batch
    )
    results["live"] = live
    print(
        f"  live at {live_rate:.0f}/s: p50 {live['p50'] * 1000:.0f} ms, p95 "
        f"{live['p95'] * 1000:.0f} ms, p99 {live['p99'] * 1000:.0f} ms",
        flush=True,
    )

    if args.soak > 0:
        sampler.record_series = True
        soak_texts = take(int(live_rate * args.soak) + 10)
        results["soak"] = bench.live(soak_texts, live_rate, args.soak, args.live_batch)
        sampler.record_series = False
        results["soak_memory"] = {
            str(pid): {
                "first_mib": series[0][1],
                "last_mib": series[-1][1],
                "max_mib": max(rss for _, rss in series),
                "minutes": (series[-1][0] - series[0][0]) / 60,
                # RSS at the start of each minute, to see whether growth levels off.
                "per_minute_mib": [
                    round(next(rss for at, rss in series if at >= series[0][0] + 60 * m), 1)
                    for m in range(int((series[-1][0] - series[0][0]) // 60) + 1)
                ],
            }
            for pid, series in sampler.series.items()
            if series
        }
    sampler.stop()
    results["peak_rss_mib"] = sampler.peak_mib
    print_table(results)
    return results


def print_table(results: dict[str, Any]) -> None:
    rows: list[tuple[str, str, str]] = []
    for drain, model in zip(results["drain"], results["model_only"], strict=True):
        n = drain["comments"]
        rows.append(
            (
                f"drain, N={n}",
                f"{drain['rate']:,.0f}/s vs model-only {model['rate']:,.0f}/s",
                f"ratio {drain['rate'] / model['rate']:.2f}; "
                f"{drain['seconds'] / n * 1000:.2f} s per 1k",
            )
        )
    cpu = results["drain"][0]["cpu_ms_per_comment"]
    model_cpu = len(os.sched_getaffinity(0)) * 1000 / results["model_only"][0]["rate"]
    rows.append(("CPU per comment, model-only", f"{model_cpu:.2f} ms", "all cores busy"))
    for part, ms in sorted(cpu.items()):
        rows.append((f"CPU per comment, {part}", f"{ms:.2f} ms", "first drain"))
    for name, share in results["drain"][0].get("profile", {}).items():
        rows.append((f"worker time, {name}", f"{share:.0%}", "py-spy samples, first drain"))
    single, batch = results["intake"]["1"], results["intake"]["500"]
    rows.append(("intake, 1 per request", f"{single['rate']:,.0f}/s", "baseline"))
    rows.append(
        (
            "intake, 500 per request",
            f"{batch['rate']:,.0f}/s",
            f"{batch['rate'] / single['rate']:.1f}x the single endpoint",
        )
    )
    live = results["live"]
    rows.append(
        (
            f"live, {live['offered_rate']:,.0f}/s offered",
            f"p50 {live['p50'] * 1000:,.0f} ms, p95 {live['p95'] * 1000:,.0f} ms",
            f"p99 {live['p99'] * 1000:,.0f} ms, max {live['max'] * 1000:,.0f} ms",
        )
    )
    for role, mib in sorted(results["peak_rss_mib"].items()):
        rows.append((f"peak RSS, {role}", f"{mib:,.0f} MiB", "largest process"))
    for pid, memory in results.get("soak_memory", {}).items():
        rows.append(
            (
                f"soak, worker process {pid}",
                f"{memory['first_mib']:,.0f} -> {memory['last_mib']:,.0f} MiB",
                f"max {memory['max_mib']:,.0f} MiB over {memory['minutes']:.1f} min; per "
                f"minute {' '.join(f'{m:.0f}' for m in memory['per_minute_mib'])}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    print()
    print(
        "| "
        + " | ".join(h.ljust(w) for h, w in zip(("what", "figure", "against"), widths, strict=True))
        + " |"
    )
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


if __name__ == "__main__":
    main()
