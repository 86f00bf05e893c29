"""Processes the tests and the benchmarks start: a Redis of their own, a web server, Celery
workers, and a free port for any of them. The one place that knows how to start a worker
(`celery_worker_command`) and find a free port (`free_port`).

Each runs in its own process group, so a kill reaches every process it started (the
embedded beat of a worker, gunicorn's workers).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import redis
import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(
    what: str, ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.2)


class _Process:
    name = "process"

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def _spawn(self, command: list[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for kill()
            )
        return self.process

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> int:
        """SIGKILL the whole process group, as the OOM killer or a lost host would."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.wait(timeout=10)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class RedisServer(_Process):
    """A redis-server of our own on a free port, without persistence: stopping it loses every
    message in it, the harshest broker outage."""

    name = "redis"

    def __init__(self, log_path: Path, workdir: Path) -> None:
        super().__init__(log_path)
        self.port = free_port()
        self.workdir = workdir

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        command = [
            "redis-server",
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
        ]  # fmt: skip
        process = self._spawn(command, os.environ)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)

        def ready() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        _wait("redis-server", ready, process, self.log_path)
        return self


def celery_worker_command(
    *,
    app: str = "config",
    queues: str = "scoring,analyze,default,webhooks",
    pool: str = "solo",
    concurrency: int = 1,
    beat: bool = False,
    hostname: str,
    loglevel: str = "INFO",
) -> list[str]:
    """The command line of a `celery worker` on the project's tasks (`app` may be
    tests.faults.worker_app, which can also load the fault-injection model). Only the prefork
    pool enforces task time limits."""
    return [
        sys.executable, "-m", "celery", "-A", app, "worker",
        *(["--beat"] if beat else []),
        "--queues", queues, "--pool", pool, "--concurrency", str(concurrency),
        "--without-gossip", "--without-mingle", "--loglevel", loglevel,
        "--hostname", hostname,
    ]  # fmt: skip


class CeleryWorker(_Process):
    """`celery worker` on the real task code, with settings from `env`; by default the fault
    suite's: with an embedded beat (the sweeper and the webhook dispatcher) and the
    fault-injection model loadable. `ready_marker` is the log line that says it started."""

    name = "worker"

    def __init__(
        self,
        log_path: Path,
        env: Mapping[str, str],
        *,
        pool: str = "solo",
        concurrency: int = 1,
        app: str = "tests.faults.worker_app",
        queues: str = "scoring,analyze,default,webhooks",
        beat: bool = True,
        name: str = "faults",
        ready_marker: bytes = b"ready.",
    ) -> None:
        super().__init__(log_path)
        self.env = env
        self.starts = 0
        self.app, self.queues, self.beat, self.name = app, queues, beat, name
        self.ready_marker = ready_marker
        #: "solo" runs tasks in the worker's own process; "prefork" in child processes, the
        #: only pool that enforces task time limits.
        self.pool = pool
        self.concurrency = concurrency

    def start(self) -> CeleryWorker:
        self.starts += 1
        command = celery_worker_command(
            app=self.app,
            queues=self.queues,
            pool=self.pool,
            concurrency=self.concurrency,
            beat=self.beat,
            hostname=f"{self.name}-{os.getpid()}-{self.starts}@%h",
        )
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        process = self._spawn(command, self.env)

        def ready() -> bool:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                return self.ready_marker in log.read()

        _wait("celery worker", ready, process, self.log_path)
        return self


class WebServer(_Process):
    """gunicorn serving the project's WSGI app, as in production."""

    name = "web"

    def __init__(self, log_path: Path, env: Mapping[str, str]) -> None:
        super().__init__(log_path)
        self.env = env
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebServer:
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi",
            "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--timeout", "60",
        ]  # fmt: skip
        process = self._spawn(command, self.env)

        def ready() -> bool:
            try:
                requests.get(f"{self.url}/healthz", timeout=5)
            except requests.ConnectionError:
                return False
            return True

        _wait("gunicorn", ready, process, self.log_path)
        return self
