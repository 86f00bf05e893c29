"""Shared fixtures: the real Postgres and Redis, factories, a tiny model, a real Celery worker."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _check_services() -> list[str]:
    """What the suite needs and cannot reach, as instructions a person can act on."""
    from django.conf import settings

    problems = []
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        import psycopg

        try:
            psycopg.connect(
                host=db.get("HOST") or "127.0.0.1",
                port=int(db.get("PORT") or 5432),
                user=db.get("USER") or "postgres",
                password=db.get("PASSWORD") or None,
                dbname="postgres",
                connect_timeout=3,
            ).close()
        except Exception as exc:
            problems.append(
                f"PostgreSQL is not reachable at {db.get('HOST')}:{db.get('PORT')} ({exc}). "
                "Start it (`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main "
                "start`) or point DATABASE_URL at one."
            )
    broker = settings.CELERY_BROKER_URL
    if broker.startswith("redis"):
        import redis

        try:
            redis.Redis.from_url(broker, socket_connect_timeout=3).ping()
        except Exception as exc:
            problems.append(
                f"Redis is not reachable at {broker} ({exc}). Start it (`redis-server "
                "--daemonize yes --port 6379`) or point REDIS_URL at one."
            )
    return problems


def pytest_sessionstart(session: pytest.Session) -> None:
    problems = _check_services()
    if problems:
        pytest.exit("The test suite needs real services:\n- " + "\n- ".join(problems), returncode=3)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove the metric samples folder that config/settings/test.py made for this run."""
    import shutil
    import tempfile

    from django.conf import settings

    folder = Path(settings.PROMETHEUS_MULTIPROC_DIR)
    if folder.parent == Path(tempfile.gettempdir()) and folder.name.startswith(
        "toxmod-prometheus-"
    ):
        shutil.rmtree(folder, ignore_errors=True)


# --- factories as fixtures ------------------------------------------------------------------


#: One factory per model (tests/factories.py), each exposed as a fixture named after it.
FACTORY_FIXTURES = {
    "platform_factory": "PlatformFactory",
    "api_key_factory": "ApiKeyFactory",
    "model_version_factory": "ModelVersionFactory",
    "comment_factory": "CommentFactory",
    "comment_score_factory": "CommentScoreFactory",
    "comment_report_factory": "CommentReportFactory",
    "user_factory": "UserFactory",
    "moderator_factory": "ModeratorFactory",
    "review_factory": "ReviewFactory",
    "review_claim_factory": "ReviewClaimFactory",
    "author_action_factory": "AuthorActionFactory",
    "webhook_endpoint_factory": "WebhookEndpointFactory",
    "webhook_delivery_factory": "WebhookDeliveryFactory",
    "webhook_attempt_factory": "WebhookAttemptFactory",
    "retrain_run_factory": "RetrainRunFactory",
}


def _factory_fixture(class_name: str) -> Any:
    @pytest.fixture
    def fixture(db: None) -> Any:
        from tests import factories

        return getattr(factories, class_name)

    return fixture


for _fixture_name, _class_name in FACTORY_FIXTURES.items():
    globals()[_fixture_name] = _factory_fixture(_class_name)


@pytest.fixture
def moderator(moderator_factory: Any) -> Any:
    """A user in the moderators group."""
    from django.contrib.auth.models import User

    return User.objects.get(pk=moderator_factory().pk)  # a fresh permission cache


@pytest.fixture
def platform(platform_factory: Any) -> Any:
    return platform_factory()


@pytest.fixture
def issued_key(platform: Any) -> Any:
    from moderation.services.platforms import api_key_issue

    return api_key_issue(platform=platform)


@pytest.fixture
def api_client(issued_key: Any) -> Any:
    """A DRF test client authenticated as `platform`."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued_key.secret}")
    return client


# --- models -----------------------------------------------------------------------------------

TINY_TRAINING_SET = [
    ("thanks for the helpful answer", [0, 0, 0, 0, 0, 0]),
    ("i agree with this point completely", [0, 0, 0, 0, 0, 0]),
    ("what a lovely photo of the lake", [0, 0, 0, 0, 0, 0]),
    ("the meeting moved to tuesday", [0, 0, 0, 0, 0, 0]),
    ("great recipe, will cook it again", [0, 0, 0, 0, 0, 0]),
    ("could you share the source please", [0, 0, 0, 0, 0, 0]),
    ("nice work on the new release", [0, 0, 0, 0, 0, 0]),
    ("the weather is mild today", [0, 0, 0, 0, 0, 0]),
    ("you are a stupid worthless idiot", [1, 0, 0, 0, 1, 0]),
    ("shut up you pathetic moron", [1, 0, 0, 0, 1, 0]),
    ("you idiot, nobody wants you here", [1, 0, 0, 0, 1, 0]),
    ("what a stupid moron", [1, 0, 0, 0, 1, 0]),
    ("i will hurt you and your family", [1, 1, 0, 1, 0, 0]),
    ("i am going to kill you", [1, 1, 0, 1, 0, 0]),
    ("this crap is damn shitty garbage", [1, 0, 1, 0, 0, 0]),
    ("damn this shitty crap", [1, 0, 1, 0, 0, 0]),
    ("those people are vermin and should leave", [1, 0, 0, 0, 0, 1]),
    ("their whole group are vermin", [1, 0, 0, 0, 1, 1]),
]


def build_tiny_model(out_dir: Path, *, version: str) -> Path:
    """Train a linear model on a few made-up sentences and write it as an artifact."""
    import numpy as np

    from classifier.artifacts import write_artifact
    from classifier.linear import train_linear

    texts = [text for text, _ in TINY_TRAINING_SET]
    labels = np.array([row for _, row in TINY_TRAINING_SET], dtype=np.float32)
    backend = train_linear(texts, labels, progress=False)
    write_artifact(
        out_dir,
        backend,
        version=version,
        thresholds={},
        metrics={},
        training_summary={"sources": {"tests": len(texts)}},
    )
    return out_dir


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-v1", version="tiny-v1")


@pytest.fixture
def tiny_model(db: None, tiny_model_dir: Path) -> Any:
    """The tiny model registered and active (instead of the shipped one)."""
    from moderation.services.model_versions import model_version_register

    return model_version_register(artifact_dir=tiny_model_dir, activate=True)


# --- a real Celery worker on the real broker ---------------------------------------------------


def _database_url_for_test_db() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = db.get("USER") or "postgres"
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return (
        f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[subprocess.Popen[bytes]]:
    """`celery worker` as a separate process, on the test database and the test broker."""
    from django.conf import settings

    from config.celery import app

    app.control.purge()  # leftovers of an earlier run would touch rows that no longer exist
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url_for_test_db(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
        # Retries a second apart, so a receiver that is down for a few seconds still gets
        # every event within the test.
        "WEBHOOK_RETRY_SCHEDULE_SECONDS": "0.5,1,1,1,1,1,1,1,1,1,1,1",
    }
    log = log_path.open("wb")
    from tests.processes import celery_worker_command

    process = subprocess.Popen(
        celery_worker_command(app="config", hostname=f"tests-{os.getpid()}@%h"),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while "ready." not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("Celery worker did not start:\n" + log_path.read_text())
        time.sleep(0.2)
    process.log_path = log_path  # type: ignore[attr-defined]
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def wait_for(predicate: Any, *, timeout: float = 30.0, interval: float = 0.2) -> Any:
    """Poll until `predicate()` is truthy; return its value or fail with a clear message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Condition not met within {timeout} s")


@pytest.fixture
def webhook_receiver() -> Iterator[Any]:
    """A real HTTP server on 127.0.0.1 (allowed by the test settings' SSRF allow-list)."""
    from tests.webhook_receiver import WebhookReceiver

    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def retrain_settings(settings: Any, tmp_path: Path) -> Any:
    """Retraining on a small made-up base set, with candidates written under tmp_path."""
    from tests.retraining_data import write_base_set

    settings.RETRAIN_SOURCES = []
    settings.RETRAIN_LABELED_FILES = [str(write_base_set(tmp_path / "base.csv"))]
    settings.MODEL_STORE_DIR = tmp_path / "models"
    settings.RETRAIN_MIN_NEW_CORRECTIONS = 20
    settings.RETRAIN_MIN_HELDOUT = 10
    settings.RETRAIN_HELDOUT_SHARE = 0.4
    settings.RETRAIN_HOLDOUT_TOLERANCE = 0.25  # the tiny base set's holdout is a handful of rows
    return settings
