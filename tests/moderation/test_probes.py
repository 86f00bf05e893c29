"""Liveness and readiness: what an orchestrator sees when the database, the broker or the
model is missing."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from moderation.models import ModelVersion
from tests.conftest import PROJECT_ROOT, _database_url_for_test_db
from tests.processes import free_port

closed_port = free_port  # a local port nothing listens on


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """A TCP server that accepts connections and never answers (a hung broker)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_healthz_answers_without_touching_the_database(client: Client) -> None:
    # No django_db mark: any query in the view would raise here.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_with_database_broker_and_an_active_model(
    client: Client, tiny_model: Any
) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"] == {"ok": True, "transport": "redis"}
    assert body["checks"]["model"] == {"ok": True, "version": "tiny-v1"}
    assert "Retry-After" not in response


@pytest.mark.django_db
def test_readyz_names_a_broker_nobody_listens_on(
    client: Client, tiny_model: Any, settings: Any
) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"] == {"ok": True}
    assert body["error"]["code"] == "not_ready"
    assert response["Retry-After"] == "10"


@pytest.mark.django_db
def test_readyz_gives_up_on_a_hung_broker_after_its_timeout(
    client: Client, tiny_model: Any, settings: Any, silent_broker: str
) -> None:
    settings.CELERY_BROKER_URL = silent_broker
    settings.READINESS_TIMEOUT_SECONDS = 0.3

    started = time.monotonic()
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
    # A probe that hangs is as bad as none; generous bound, the point is "not forever".
    assert time.monotonic() - started < 10


@pytest.mark.django_db
def test_readyz_is_ready_on_the_embedded_filesystem_broker(
    client: Client, tiny_model: Any, settings: Any, tmp_path: Path
) -> None:
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
    }

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == {"ok": True, "transport": "filesystem"}


@pytest.mark.django_db
def test_readyz_without_an_active_model(client: Client, tiny_model: Any) -> None:
    ModelVersion.objects.update(is_active=False)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["model"]
    assert "No model version is active" in body["checks"]["model"]["error"]


@pytest.mark.django_db
def test_readyz_when_the_active_artifact_is_gone(client: Client, tiny_model: Any) -> None:
    ModelVersion.objects.filter(pk=tiny_model.pk).update(artifact_path="/nonexistent/tiny-v1")

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["model"]
    assert body["checks"]["model"]["version"] == "tiny-v1"
    assert "/nonexistent" not in response.content.decode()  # paths stay in the log


@pytest.mark.django_db(transaction=True)
def test_readyz_never_loads_a_model_or_torch(tiny_model: Any) -> None:
    """The web process only checks that the artifact is there (a fresh process, so nothing
    another test imported counts)."""
    script = (
        "import sys, django; django.setup();"
        "from django.test import Client;"
        "status = Client().get('/readyz').status_code;"
        "print(status, 'torch' in sys.modules, 'classifier.artifacts' in sys.modules)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url_for_test_db(),
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.split() == ["200", "False", "False"]


@pytest.mark.django_db
def test_probes_need_no_key_and_are_not_throttled(
    client: Client, tiny_model: Any, settings: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"platform": "1/min"},
    }

    statuses = [client.get(path).status_code for path in ["/readyz"] * 3 + ["/healthz"] * 3]

    assert statuses == [200] * 6


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_refuse_writes_with_a_json_error(client: Client, path: str) -> None:
    response = client.post(path, data="{}", content_type="application/json")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, HEAD"


def test_with_the_database_down_only_readiness_fails(settings: Any) -> None:
    """A web process whose database refuses connections: alive, not ready, metrics still
    served (without the database readings)."""
    script = (
        "import json, logging, django; django.setup(); logging.disable(logging.CRITICAL);"
        "from django.test import Client; c = Client();"
        "ready = c.get('/readyz'); metrics = c.get('/metrics');"
        "print(json.dumps([c.get('/healthz').status_code, ready.status_code,"
        " ready.json()['failing'], metrics.status_code,"
        " 'toxmod_comments_pending ' in metrics.content.decode()]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port()}/toxmod",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [200, 503, ["database", "model"], 200, False]


def test_readyz_answers_503_on_time_when_the_database_hangs(
    settings: Any, silent_broker: str, tmp_path: Path
) -> None:
    """A database that accepts connections and never answers (the silent server stands in
    for it): `/readyz` is 503 naming the database, bounded by its own timeout, not by the
    driver's. The connect timeout is raised to 60 s here, so a readiness check without its
    own bound would take a minute; the bound checked (20 s) is far from both, so machine load
    cannot make the test fail. The statement timeout is there by default."""
    port = silent_broker.rsplit(":", 1)[1].split("/")[0]
    script = (
        "import json, logging, time, django; django.setup(); logging.disable(logging.CRITICAL);"
        "from django.conf import settings; from django.test import Client;"
        "started = time.monotonic(); ready = Client().get('/readyz');"
        "options = settings.DATABASES['default']['OPTIONS'];"
        "print(json.dumps([ready.status_code, ready.json()['failing'],"
        " time.monotonic() - started, options['connect_timeout'], options['options']]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "false",
        "TOXMOD_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/toxmod?connect_timeout=60",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "READINESS_TIMEOUT_SECONDS": "1.5",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    status, failing, seconds, connect_timeout, options = json.loads(result.stdout)
    assert (status, failing) == (503, ["database", "model"])
    assert seconds < 20  # its own 1.5 s timeout (and the broker's check), not the driver's 60 s
    assert int(connect_timeout) == 60  # DATABASE_URL's setting wins over the default of 5
    assert options == "-c statement_timeout=30000"
