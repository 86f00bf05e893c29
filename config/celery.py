"""The Celery app: configured from Django settings (`CELERY_*`), tasks found in `workers/`."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import celeryd_init, worker_ready

from config.prometheus import prometheus_dir_prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("toxmod")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workers"], related_name="tasks")


@celeryd_init.connect
def _metrics_folder(sender: str | None = None, **kwargs: Any) -> None:
    """A worker (its main process, before the pool forks and before the tasks are imported)
    writes its metric samples into an emptied subfolder named after its node name."""
    prometheus_dir_prepare(server=f"worker-{sender or os.getpid()}")


@worker_ready.connect
def _metrics_port(**kwargs: Any) -> None:
    """With METRICS_WORKER_PORT set, serve this worker's samples over HTTP (from its main
    process, once the pool is up)."""
    from django.conf import settings

    if settings.METRICS_WORKER_PORT:
        from moderation.metrics import metrics_http_serve

        metrics_http_serve(port=settings.METRICS_WORKER_PORT)
