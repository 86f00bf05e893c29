"""A worker killed with SIGKILL in the middle of a batch: every comment is still scored exactly
once, and every webhook is sent once."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from moderation.models import Comment, CommentScore, CommentStatus
from tests.conftest import wait_for
from tests.faults.conftest import PlatformApi, Posting, comment_text, settled_outcome_count

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COMMENTS = 24


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
    activate_fault_model: Any,
    start_worker: Any,
    platform_api: PlatformApi,
    webhook_receiver: Any,
    fault_counts: Any,
    tmp_path: Path,
) -> None:
    from moderation.services.webhooks import webhook_endpoint_create

    started, hold = tmp_path / "model-call-started", tmp_path / "hold-model-calls"
    hold.touch()  # model calls wait while it exists: the kill lands in the middle of one
    activate_fault_model("faults-held", started_marker=started, hold_file=hold)
    webhook_endpoint_create(platform=platform_api.platform, url=webhook_receiver.url)
    posting = Posting()
    for n in range(COMMENTS):
        posting.record(platform_api.post_comment(f"kill-{n}", comment_text(n)))
    assert len(posting.accepted) == COMMENTS

    worker = start_worker()
    wait_for(started.exists, timeout=60)  # a batch holds its rows and is inside the model
    assert worker.kill() == -signal.SIGKILL
    # Its transaction died with it: nothing of that batch was written.
    pending = Comment.objects.filter(status=CommentStatus.PENDING).count()
    assert pending == COMMENTS
    assert not CommentScore.objects.exists()

    hold.unlink()
    start_worker()  # the sweeper (and the broker's redelivery) hand the batch to it
    counts = fault_counts(
        settled_outcome_count(
            scenario="worker SIGKILL mid-batch", posting=posting, receiver=webhook_receiver
        )
    )
    assert counts.duplicated == 0
    assert counts.lost == 0
    assert counts.scored == COMMENTS
    assert CommentScore.objects.count() == COMMENTS
    assert Comment.objects.filter(
        status__in=[CommentStatus.FLAGGED, CommentStatus.AUTO_REMOVED]
    ).exists()
