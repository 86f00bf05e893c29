"""End to end with a real `celery worker` process on the real Redis broker and Postgres."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from moderation.models import Comment, CommentScore, CommentStatus
from moderation.services.scoring_queue import comments_sweep_pending
from tests.conftest import PROJECT_ROOT, wait_for
from workers.tasks import score_comments

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def scored(client: APIClient, comment_id: str) -> dict[str, Any] | None:
    body = client.get(f"/api/v1/comments/{comment_id}").json()
    return body if body["status"] != "pending" else None


def test_posted_comments_are_scored_by_the_worker_and_flagged_ones_reach_the_admin(
    celery_worker_process: Any, tiny_model: Any, api_client: APIClient, admin_client: Any
) -> None:
    posted = {
        text: api_client.post(
            "/api/v1/comments",
            data=json.dumps({"external_id": f"e2e-{i}", "text": text}),
            content_type="application/json",
        ).json()["id"]
        for i, text in enumerate(["you are a stupid worthless idiot", "thanks for the help"])
    }

    abusive = wait_for(lambda: scored(api_client, posted["you are a stupid worthless idiot"]))
    kind = wait_for(lambda: scored(api_client, posted["thanks for the help"]))

    assert abusive["model_version"] == kind["model_version"] == "tiny-v1"
    assert len(abusive["scores"]) == len(kind["scores"]) == 6
    assert abusive["flagged"] is True
    assert abusive["flagged_labels"]
    assert kind["status"] == "allowed"
    page = admin_client.get("/admin/moderation/comment/", {"status__exact": "flagged"})
    assert page.status_code == 200
    assert (b"e2e-0" in page.content) == (abusive["status"] == "flagged")
    assert b"e2e-1" not in page.content


def test_a_task_delivered_twice_scores_once(
    celery_worker_process: Any, tiny_model: Any, comment_factory: Any
) -> None:
    comment = comment_factory(text="i am going to kill you")

    score_comments.delay([comment.pk])
    score_comments.delay([comment.pk])

    wait_for(lambda: Comment.objects.get(pk=comment.pk).status != CommentStatus.PENDING)
    # Let the second delivery run too, then check it wrote nothing more.
    marker = comment_factory(text="marker")
    score_comments.delay([marker.pk])
    wait_for(lambda: Comment.objects.get(pk=marker.pk).status != CommentStatus.PENDING)
    assert CommentScore.objects.filter(comment=comment).count() == 1


def test_a_comment_whose_enqueue_was_lost_is_scored_after_the_sweep(
    celery_worker_process: Any, tiny_model: Any, comment_factory: Any
) -> None:
    # As if the broker was down when it was accepted: stored, never delivered.
    lost = comment_factory(
        text="thanks for the help", enqueued_at=timezone.now() - timedelta(hours=1)
    )

    assert comments_sweep_pending(older_than=timedelta(minutes=2)) == 1

    wait_for(lambda: Comment.objects.get(pk=lost.pk).status != CommentStatus.PENDING)
    lost.refresh_from_db()
    assert lost.model_version is not None
    assert lost.enqueue_count == 1


def test_enqueue_with_the_broker_down_fails_quietly_and_fast() -> None:
    """A broker outage must not turn an accepted comment into an error or a hung request."""
    script = (
        "import django, time; django.setup();"
        "from moderation.services.scoring_queue import comments_publish;"
        "t = time.monotonic(); ok = comments_publish([1, 2, 3]);"
        "print(ok, round(time.monotonic() - t, 1))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
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
    ok, _seconds = result.stdout.split()
    assert ok == "False"
