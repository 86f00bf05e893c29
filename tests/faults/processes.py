"""The processes a fault scenario runs and breaks: its own Redis, a web server, Celery workers.

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

from tests.conftest import PROJECT_ROOT


def free_port() -> int:
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


class CeleryWorker(_Process):
    """`celery worker` with an embedded beat (the sweeper and the webhook dispatcher), on the
    real task code, with settings from `env`."""

    name = "worker"

    def __init__(
        self, log_path: Path, env: Mapping[str, str], *, pool: str = "solo", concurrency: int = 1
    ) -> None:
        super().__init__(log_path)
        self.env = env
        self.starts = 0
        #: "solo" runs tasks in the worker's own process; "prefork" in child processes, the
        #: only pool that enforces task time limits.
        self.pool = pool
        self.concurrency = concurrency

    def start(self) -> CeleryWorker:
        self.starts += 1
        command = [
            sys.executable, "-m", "celery", "-A", "tests.faults.worker_app", "worker",
            "--beat", "--queues", "scoring,default,webhooks", "--pool", self.pool,
            "--concurrency", str(self.concurrency),
            "--without-gossip", "--without-mingle", "--loglevel", "INFO",
            "--hostname", f"faults-{os.getpid()}-{self.starts}@%h",
        ]  # fmt: skip
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        process = self._spawn(command, self.env)

        def ready() -> bool:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                return b"ready." in log.read()

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
