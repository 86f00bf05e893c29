"""Fault injection: the real web server, workers, Redis and Postgres, with one of them broken.

Every scenario posts comments through gunicorn, lets real Celery workers (with the sweeper
and the webhook dispatcher running in their embedded beat) score them, counts what happened
with `outcome_count` and records the counts with `fault_counts`; the table is printed at
the end of the run and written to var/fault-counts.md.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import astuple, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import PROJECT_ROOT, _database_url_for_test_db, build_tiny_model
from tests.faults.fault_model import register, write_fault_model
from tests.faults.tcp_proxy import TcpProxy
from tests.processes import CeleryWorker, RedisServer, WebServer
from tests.webhook_receiver import WebhookReceiver

register()  # this process registers fault-injection model versions

COUNTS_FILE = PROJECT_ROOT / "var" / "fault-counts.md"
COMMENT_EVENTS = ("comment.flagged", "comment.auto_removed")

#: Short timeouts, so that every recovery path runs within seconds.
WORKER_SETTINGS = {
    "SCORING_BATCH_SIZE": "8",
    "SCORING_PENDING_TIMEOUT_SECONDS": "2",
    "SCORING_SWEEP_INTERVAL_SECONDS": "1",
    "SCORING_MAX_ATTEMPTS": "3",
    "CELERY_VISIBILITY_TIMEOUT": "5",
    "WEBHOOK_DISPATCH_INTERVAL_SECONDS": "1",
    "WEBHOOK_RETRY_SCHEDULE_SECONDS": ",".join(["0.5"] + ["1"] * 20),
    "WEBHOOK_TIMEOUT_SECONDS": "2",
    "WEBHOOK_QUEUE_CLAIM_SECONDS": "3",
    "RETRAIN_INTERVAL_SECONDS": "0",
}


# --- the counts table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultCounts:
    scenario: str
    posted: int
    accepted: int
    scored: int
    failed: int
    duplicated: int
    lost: int


_recorded: list[FaultCounts] = []


@pytest.fixture
def fault_counts() -> Callable[[FaultCounts], FaultCounts]:
    """Record a scenario's counts for the table (before asserting on them)."""

    def record(counts: FaultCounts) -> FaultCounts:
        _recorded.append(counts)
        return counts

    return record


def _table(rows: Sequence[FaultCounts]) -> str:
    header = [field.name for field in fields(FaultCounts)]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "--:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(str(value) for value in astuple(row)) + " |" for row in rows]
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _recorded:
        return
    table = _table(_recorded)
    terminalreporter.write_sep("=", "fault injection: comments per scenario")
    terminalreporter.write_line(table)
    COUNTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    COUNTS_FILE.write_text(
        f"Fault-injection counts, {stamp}, on {os.uname().nodename}\n\n{table}\n"
    )
    terminalreporter.write_line(f"(written to {COUNTS_FILE.relative_to(PROJECT_ROOT)})")


def outcome_count(
    *,
    scenario: str,
    posted: int,
    accepted_ids: Sequence[str],
    receivers: Sequence[WebhookReceiver] = (),
) -> FaultCounts:
    """What became of the accepted comments (API ids), read from the database and from what
    the webhook receivers got.

    duplicated: score-history rows beyond one per (comment, model version), deliveries beyond
    one per (comment, event), and webhook ids beyond one per (comment, event) at a receiver
    (the same webhook id received again is a retry the receiver dedupes, not a duplicate).
    lost: accepted but neither scored nor failed.
    """
    from django.db.models import Count

    from moderation.models import Comment, CommentScore, CommentStatus, WebhookDelivery

    comments = Comment.objects.filter(public_id__in=list(accepted_ids))
    statuses = Counter(comments.values_list("status", flat=True))
    scored = sum(
        statuses[s]
        for s in (CommentStatus.ALLOWED, CommentStatus.FLAGGED, CommentStatus.AUTO_REMOVED)
    )
    failed = statuses[CommentStatus.FAILED]
    extra_scores = sum(
        row["n"] - 1
        for row in CommentScore.objects.filter(comment__in=comments)
        .values("comment", "model_version")
        .annotate(n=Count("id"))
        if row["n"] > 1
    )
    extra_deliveries = sum(
        row["n"] - 1
        for row in WebhookDelivery.objects.filter(
            comment__in=comments, event_type__in=COMMENT_EVENTS
        )
        .values("comment", "event_type", "endpoint")
        .annotate(n=Count("id"))
        if row["n"] > 1
    )
    webhook_ids: dict[tuple[str, str], set[str]] = {}
    for receiver in receivers:
        for request in receiver.requests:
            payload = json.loads(request.body)
            if payload["type"] in COMMENT_EVENTS:
                key = (payload["type"], payload["data"]["comment"]["id"])
                webhook_ids.setdefault(key, set()).add(request.webhook_id)
    extra_receipts = sum(len(ids) - 1 for ids in webhook_ids.values())
    return FaultCounts(
        scenario=scenario,
        posted=posted,
        accepted=len(accepted_ids),
        scored=scored,
        failed=failed,
        duplicated=extra_scores + extra_deliveries + extra_receipts,
        lost=len(accepted_ids) - scored - failed,
    )


def settled_outcome_count(
    *, scenario: str, posting: Posting, receiver: WebhookReceiver
) -> FaultCounts:
    """`outcome_count` once the system has settled: nothing pending any more, and an event of
    every flagged or removed comment received (retries may still be on their way)."""
    from moderation.models import Comment, CommentStatus
    from tests.conftest import wait_for

    wait_for(lambda: not Comment.objects.filter(status=CommentStatus.PENDING).exists(), timeout=90)
    flagged = Comment.objects.filter(
        status__in=[CommentStatus.FLAGGED, CommentStatus.AUTO_REMOVED]
    ).count()
    wait_for(lambda: len({r.webhook_id for r in receiver.requests}) >= flagged)
    return outcome_count(
        scenario=scenario,
        posted=posting.posted,
        accepted_ids=posting.accepted,
        receivers=[receiver],
    )


# --- the system under test ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def fault_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A Redis of our own as the broker: scenarios stop it; the machine's Redis is never touched."""
    if shutil.which("redis-server") is None:
        pytest.fail("tests/faults needs redis-server on the PATH (apt-get install redis-server).")
    folder = tmp_path_factory.mktemp("redis")
    server = RedisServer(folder / "redis.log", folder).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def db_proxy(django_db_setup: None) -> Iterator[TcpProxy]:
    """A cuttable TCP proxy in front of the test database (the web server connects through it)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    proxy = TcpProxy((db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432))).start()
    yield proxy
    proxy.stop()


def _database_url(port: int | None = None) -> str:
    url = _database_url_for_test_db()
    if port is None:
        return url
    head, _, tail = url.rpartition("@")
    database = tail.split("/", 1)[1]
    return f"{head}@127.0.0.1:{port}/{database}"


@pytest.fixture(scope="session")
def web_server(
    django_db_setup: None,
    db_proxy: TcpProxy,
    fault_redis: RedisServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WebServer]:
    """gunicorn with the base (production-like) settings: persistent database connections
    with health checks, DEBUG off, through the proxy, publishing to our Redis."""
    folder = tmp_path_factory.mktemp("web")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": _database_url(db_proxy.port),
        "CELERY_BROKER_URL": fault_redis.url(),
        "TOXMOD_VAR_DIR": str(folder),
        "PYTHONUNBUFFERED": "1",
    }
    server = WebServer(folder / "web.log", env).start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(fault_redis: RedisServer, tmp_path: Path) -> Iterator[Callable[..., CeleryWorker]]:
    """Start a worker (with beat) on the test database and our Redis; stopped at the end."""
    started: list[CeleryWorker] = []

    def start(pool: str = "solo", concurrency: int = 1, **settings: str) -> CeleryWorker:
        folder = tmp_path / f"worker-{len(started)}"
        folder.mkdir()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": fault_redis.url(),
            "TOXMOD_VAR_DIR": str(folder),
            "PYTHONUNBUFFERED": "1",
            **WORKER_SETTINGS,
            **settings,
        }
        worker = CeleryWorker(folder / "worker.log", env, pool=pool, concurrency=concurrency)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="session")
def inner_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("models") / "inner", version="faults-inner")


@pytest.fixture
def activate_fault_model(inner_model_dir: Path, tmp_path: Path) -> Callable[..., Any]:
    """Register and activate a fault-injection version of the tiny model (see fault_model)."""
    from moderation.services.model_versions import model_version_register

    def activate(version: str, **faults: Any) -> Any:
        artifact = write_fault_model(
            tmp_path / version, inner_dir=inner_model_dir, version=version, **faults
        )
        return model_version_register(artifact_dir=artifact, activate=True)

    return activate


@dataclass
class PlatformApi:
    """A platform's view of the system: its key, and requests to the web server."""

    base_url: str
    key: str
    platform: Any

    def post_comment(self, external_id: str, text: str) -> requests.Response:
        return requests.post(
            f"{self.base_url}/api/v1/comments",
            json={"external_id": external_id, "text": text},
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        )

    def post_batch(self, comments: Sequence[tuple[str, str]]) -> requests.Response:
        return requests.post(
            f"{self.base_url}/api/v1/comments/batch",
            json={"comments": [{"external_id": e, "text": t} for e, t in comments]},
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        )

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(
            f"{self.base_url}/api/v1/{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        )


@pytest.fixture
def platform_api(web_server: WebServer, platform: Any, issued_key: Any) -> PlatformApi:
    return PlatformApi(web_server.url, issued_key.secret, platform)


@dataclass
class Posting:
    """Comments posted in a scenario: how many were sent, and the API ids of those accepted."""

    posted: int = 0
    accepted: list[str] = field(default_factory=list)

    def record(self, response: requests.Response) -> requests.Response:
        """Count one posted comment, and keep its id if it was accepted (2xx)."""
        self.posted += 1
        if 200 <= response.status_code < 300:
            self.accepted.append(response.json()["id"])
        return response

    def record_batch(self, size: int, response: requests.Response) -> requests.Response:
        """Count a batch request of `size` comments (all accepted or none)."""
        self.posted += size
        if 200 <= response.status_code < 300:
            self.accepted += [item["id"] for item in response.json()["comments"]]
        return response


ABUSIVE = [
    "you are a stupid worthless idiot",
    "shut up you pathetic moron",
    "i am going to kill you",
    "this crap is damn shitty garbage",
]
KIND = [
    "thanks for the helpful answer",
    "what a lovely photo of the lake",
    "the meeting moved to tuesday",
    "great recipe, will cook it again",
]


def comment_text(n: int) -> str:
    """A distinct text per n, every other one abusive (so flagged ones send webhooks)."""
    pool = ABUSIVE if n % 2 == 0 else KIND
    return f"{pool[(n // 2) % len(pool)]} {n}"
