"""The deployment files say what the README promises."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from django.test import Client

from tests.conftest import PROJECT_ROOT


def test_docker_compose_parses_and_runs_every_promised_service() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    assert {"postgres", "redis", "web", "worker", "worker-webhooks", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "beat" in services["beat"]["command"]
    queues = {
        name: service["command"][service["command"].index("--queues") + 1]
        for name, service in services.items()
        if "--queues" in service.get("command", [])
    }
    assert sorted(",".join(queues.values()).split(",")) == [
        "analyze",
        "default",
        "scoring",
        "training",
        "webhooks",
    ]
    assert services["web"]["environment"]["DATABASE_URL"].startswith("postgres://")
    assert services["worker"]["environment"]["CELERY_BROKER_URL"].startswith("redis://")


def test_docker_compose_probes_readiness_and_shares_the_metrics_folder() -> None:
    services = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())["services"]

    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "config/gunicorn.py" in services["web"]["command"]
    # /metrics on the web serves the workers' samples only if they write where it reads.
    for name, service in services.items():
        if name == "web" or "worker" in service.get("command", []):
            folder = service["environment"]["PROMETHEUS_MULTIPROC_DIR"]
            assert f"metrics:{folder}" in service["volumes"], name


def test_procfile_starts_web_worker_and_beat() -> None:
    procfile = (PROJECT_ROOT / "Procfile").read_text()
    assert set(re.findall(r"^(\w+):", procfile, re.M)) == {"web", "worker", "beat"}
    worker = next(line for line in procfile.splitlines() if line.startswith("worker:"))
    # No --queues: the worker consumes every queue of CELERY_TASK_QUEUES.
    assert "--queues" not in worker
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    assert "-c config/gunicorn.py" in web  # the hook that gives the web its metrics folder


def test_a_worker_without_queues_consumes_every_queue_the_project_sends_to() -> None:
    from celery import Celery
    from django.conf import settings

    # A fresh app configured as config/celery.py does: the shared one also holds queues that
    # earlier tests created by sending to them.
    app = Celery("config")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    schedule: dict[str, Any] = settings.CELERY_BEAT_SCHEDULE
    scheduled = {entry["options"]["queue"] for entry in schedule.values()}
    sent_by_name = {settings.ANALYZE_QUEUE, settings.CELERY_TASK_DEFAULT_QUEUE}

    assert routed | scheduled | sent_by_name <= declared
    # What `celery -A config worker` with no --queues consumes: all of them.
    assert {queue.name for queue in app.conf.task_queues} == declared == {
        "scoring", "analyze", "default", "webhooks", "training"
    }  # fmt: skip


def test_make_run_prints_the_address_the_procfile_binds() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    procfile = (PROJECT_ROOT / "Procfile").read_text()

    default = re.search(r"^WEB_BIND \?= (\S+)$", makefile, re.M)
    assert default is not None
    assert 'echo "Web on http://$(WEB_BIND)' in makefile
    assert "WEB_BIND=$(WEB_BIND) $(BIN)/honcho" in makefile
    assert f"--bind ${{WEB_BIND:-{default.group(1)}}}" in procfile


def test_readme_quick_start_names_the_two_commands() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "make run" in readme
    assert "make test" in readme


@pytest.mark.django_db
def test_openapi_schema_and_docs_page_are_served(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {
        "/api/v1/comments",
        "/api/v1/comments/batch",
        "/api/v1/comments/{comment_id}",
        "/api/v1/webhooks/endpoints",
        "/api/v1/webhooks/deliveries/{webhook_id}/redeliver",
    } <= set(paths)
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_health_endpoint(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
