"""A worker on a machine without a web process serves its own samples (METRICS_WORKER_PORT)."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from moderation.models import Comment, CommentStatus
from tests.conftest import _database_url_for_test_db, wait_for
from tests.processes import CeleryWorker, free_port
from workers.tasks import score_comments

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def scored_total(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "toxmod_comments_scored_total"
    )


def test_a_worker_serves_its_own_samples_on_its_port(
    tiny_model: Any, comment_factory: Any, tmp_path: Path
) -> None:
    from django.conf import settings

    port, queue = free_port(), f"metrics-port-{os.getpid()}"
    worker = CeleryWorker(
        tmp_path / "worker.log",
        {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url_for_test_db(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "samples"),  # a machine of its own
            "METRICS_WORKER_PORT": str(port),
        },
        app="config",
        queues=queue,
        beat=False,
        name="port",
        ready_marker=b"Serving worker metrics",
    ).start()
    try:
        assert scored_total(port) == 0

        comment = comment_factory(text="you are a stupid worthless idiot")
        score_comments.apply_async(args=([comment.pk],), queue=queue)
        wait_for(lambda: Comment.objects.get(pk=comment.pk).status != CommentStatus.PENDING)

        assert wait_for(lambda: scored_total(port) == 1, timeout=10)
    finally:
        worker.stop()
