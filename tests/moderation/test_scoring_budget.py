"""Bounded scoring: a batch that runs past its time budget is set aside, its comments scored
alone afterwards, the one that hangs `failed` with the reason; the sweeper never waits on the
rows a hanging batch holds."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.db import transaction

from moderation.models import Comment, CommentStatus
from moderation.services.scoring import comment_batch_score
from moderation.services.scoring_queue import comments_sweep_pending
from tests.conftest import build_tiny_model
from tests.faults.fault_model import register, write_fault_model

HANG = "xhangx"
GOOD = ["thanks for the helpful answer", "you are a stupid worthless idiot", "nice work"]


@contextmanager
def soft_time_limit(seconds: float) -> Iterator[None]:
    """What Celery's prefork pool does at a task's soft time limit: a signal whose handler
    raises SoftTimeLimitExceeded wherever the task's code is."""

    def fire(signum: int, frame: Any) -> None:
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def hanging_model(db: None, tmp_path: Path) -> Any:
    from moderation.services.model_versions import model_version_register

    register()
    inner = build_tiny_model(tmp_path / "inner", version="inner")
    artifact = write_fault_model(
        tmp_path / "hang", inner_dir=inner, version=f"hang-{tmp_path.name}", hang_token=HANG
    )
    return model_version_register(artifact_dir=artifact, activate=True)


@pytest.mark.django_db
def test_a_batch_over_budget_is_set_aside_and_the_hanging_comment_fails_alone(
    hanging_model: Any,
    platform: Any,
    comment_factory: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.SCORING_MAX_ATTEMPTS = 3
    settings.SCORING_SOFT_TIME_LIMIT_SECONDS = 1
    good = [comment_factory(platform=platform, text=text) for text in GOOD]
    hanging = comment_factory(platform=platform, text=f"an ordinary sentence {HANG}")
    ids = [c.pk for c in good] + [hanging.pk]

    with django_capture_on_commit_callbacks() as enqueued, soft_time_limit(0.5):
        result = comment_batch_score(comment_ids=ids)

    assert result.scored == 0
    rows = Comment.objects.filter(pk__in=ids).values_list("status", "scoring_attempts")
    assert list(rows) == [("pending", 1)] * 4
    assert "budget of 1 s in a batch of 4" in Comment.objects.get(pk=hanging.pk).scoring_error
    assert len(enqueued) == 1  # one publish of four single-comment tasks, after commit

    # Each is now scored alone: the good ones at once, never topped up with the hanging one.
    for comment in good:
        assert comment_batch_score(comment_ids=[comment.pk]).scored == 1
    assert Comment.objects.get(pk=hanging.pk).status == CommentStatus.PENDING
    for _ in range(2):
        with soft_time_limit(0.5):
            assert comment_batch_score(comment_ids=[hanging.pk]).scored == 0

    hanging.refresh_from_db()
    assert hanging.status == CommentStatus.FAILED
    assert hanging.scoring_attempts == 3
    assert hanging.scoring_error == (
        "ScoringBudgetExceeded: scoring took longer than its budget of 1 s"
    )
    assert comments_sweep_pending(older_than=timedelta(0)) == 0


@pytest.mark.django_db
def test_a_suspect_is_never_topped_up_into_another_batch(
    tiny_model: Any, platform: Any, comment_factory: Any
) -> None:
    suspect = comment_factory(platform=platform, text="a text that once ran out of time")
    Comment.objects.filter(pk=suspect.pk).update(scoring_attempts=1)
    fresh = comment_factory(platform=platform, text=GOOD[0])

    result = comment_batch_score(comment_ids=[fresh.pk])

    assert result.comment_ids == (fresh.pk,)
    assert Comment.objects.get(pk=suspect.pk).status == CommentStatus.PENDING


@pytest.mark.django_db
def test_the_hard_time_limit_sets_the_task_comments_aside(
    tiny_model: Any, platform: Any, comment_factory: Any, settings: Any
) -> None:
    from workers.tasks import score_comments

    comments = [comment_factory(platform=platform, text=text) for text in GOOD[:2]]

    # What the worker's main process calls when it kills a child at the hard limit.
    score_comments.on_failure(
        TimeLimitExceeded(90), "task-id", ([c.pk for c in comments],), {}, None
    )

    assert list(
        Comment.objects.filter(pk__in=[c.pk for c in comments]).values_list(
            "scoring_attempts", flat=True
        )
    ) == [1, 1]
    assert score_comments.soft_time_limit == settings.SCORING_SOFT_TIME_LIMIT_SECONDS
    assert score_comments.time_limit == settings.SCORING_TIME_LIMIT_SECONDS


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_skips_a_row_a_hanging_batch_holds(platform: Any, comment_factory: Any) -> None:
    held = comment_factory(platform=platform, text="held by a batch")
    waiting = comment_factory(platform=platform, text="waiting")
    swept: list[int] = []

    def sweep() -> None:
        from django.db import connection

        try:
            swept.append(comments_sweep_pending(older_than=timedelta(0)))
        finally:
            connection.close()

    with transaction.atomic():
        Comment.objects.select_for_update().get(pk=held.pk)  # a batch in its model call
        sweeper = threading.Thread(target=sweep, daemon=True)
        sweeper.start()
        sweeper.join(timeout=10)
        finished = not sweeper.is_alive()
    sweeper.join(timeout=10)

    assert finished, "the sweeper waited on the locked row"
    assert swept == [1]
    assert Comment.objects.get(pk=waiting.pk).enqueue_count == 1
    assert Comment.objects.get(pk=held.pk).enqueue_count == 0
