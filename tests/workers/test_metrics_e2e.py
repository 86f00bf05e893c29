"""Metrics observed by a real `celery worker` process, read from the web's `/metrics`."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from moderation.models import Comment, CommentStatus
from tests.conftest import wait_for
from tests.metrics_scrape import Samples, scrape, value

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXTS = [
    "you are a stupid worthless idiot",
    "i am going to kill you",
    "thanks for the helpful answer",
    "what a lovely photo of the lake",
]


def grown(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_scoring_by_the_worker_shows_in_the_web_metrics(
    celery_worker_process: Any, tiny_model: Any, api_client: APIClient, client: Client
) -> None:
    before = scrape(client)

    for i, text in enumerate(TEXTS):
        response = api_client.post(
            "/api/v1/comments",
            data=json.dumps({"external_id": f"metrics-{i}", "text": text}),
            content_type="application/json",
        )
        assert response.status_code == 202
    wait_for(lambda: not Comment.objects.filter(status=CommentStatus.PENDING).exists())

    def all_counted() -> Samples | None:
        # The worker counts right after its transaction commits: allow it that moment.
        samples = scrape(client)
        done = grown(
            before, samples, "toxmod_scoring_latency_seconds_count", model_version="tiny-v1"
        ) == len(TEXTS)
        return samples if done else None

    after = wait_for(all_counted, timeout=10)
    outcomes = Counter(Comment.objects.values_list("status", flat=True))
    for outcome in ("allowed", "flagged", "auto_removed"):
        assert grown(
            before, after, "toxmod_comments_scored_total", outcome=outcome
        ) == outcomes.get(outcome, 0), outcome
    assert outcomes["allowed"] >= 2  # the kind texts; the tiny model flags the others

    batches = grown(before, after, "toxmod_scoring_batch_size_count", model_version="tiny-v1")
    assert 1 <= batches <= len(TEXTS)
    assert grown(before, after, "toxmod_scoring_batch_size_sum", model_version="tiny-v1") == len(
        TEXTS
    )
    assert grown(before, after, "toxmod_model_call_seconds_count", backend="linear") == batches
    assert grown(before, after, "toxmod_model_call_seconds_sum", backend="linear") > 0
    # Every comment waited less than a minute here (the slowest bucket that must hold all).
    assert grown(
        before, after, "toxmod_scoring_latency_seconds_bucket", le="60.0", model_version="tiny-v1"
    ) == len(TEXTS)
    assert value(after, "toxmod_comments_pending") == 0
    assert value(after, "toxmod_model_active_info", version="tiny-v1", backend="linear") == 1

    # The worker wrote into a subfolder of its own (which it emptied when it started), and
    # nothing into the shared root.
    root = Path(settings.PROMETHEUS_MULTIPROC_DIR)
    assert list(root.glob("worker-tests-*/*.db"))
    assert not list(root.glob(f"*_{celery_worker_process.pid}.db"))
