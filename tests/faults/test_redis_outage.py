"""The broker stopped and started again while comments are posted: the API keeps answering
202 (the row is committed, the failed enqueue is logged), and every accepted comment is scored
once the sweeper re-enqueues it."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.models import Comment, CommentStatus
from tests.conftest import wait_for
from tests.faults.conftest import PlatformApi, Posting, comment_text, settled_outcome_count

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_comments_posted_while_redis_is_down_are_accepted_and_scored_after_it_is_back(
    activate_fault_model: Any,
    start_worker: Any,
    fault_redis: Any,
    web_server: Any,
    platform_api: PlatformApi,
    webhook_receiver: Any,
    fault_counts: Any,
) -> None:
    from moderation.services.webhooks import webhook_endpoint_create

    activate_fault_model("faults-redis")
    webhook_endpoint_create(platform=platform_api.platform, url=webhook_receiver.url)
    start_worker()
    posting = Posting()
    # One request, one scoring task: once they are scored no task is left in the queue.
    first = platform_api.post_batch([(f"redis-{n}", comment_text(n)) for n in range(6)])
    assert posting.record_batch(6, first).status_code == 202
    wait_for(lambda: not Comment.objects.filter(status=CommentStatus.PENDING).exists(), timeout=60)

    fault_redis.stop()  # no persistence: whatever was queued in it is gone too
    log_size = len(web_server.log)
    try:
        down = [
            posting.record(platform_api.post_comment(f"redis-{n}", comment_text(n)))
            for n in range(6, 12)
        ]
        assert [r.status_code for r in down] == [202] * 6
        # Committed before the answer, though nothing could be enqueued.
        stored = Comment.objects.filter(public_id__in=[r.json()["id"] for r in down])
        assert stored.count() == 6
        assert "Could not enqueue" in web_server.log[log_size:]
    finally:
        fault_redis.start()

    # Nothing else is posted until they are scored: no later batch can top up with them, so
    # the sweeper's re-enqueue is what brings them to a worker.
    wait_for(lambda: not stored.filter(status=CommentStatus.PENDING).exists(), timeout=90)
    # The sweeper re-enqueued those past the timeout; a batch takes the other pending ones along.
    assert max(stored.values_list("enqueue_count", flat=True)) >= 2
    for n in range(12, 18):
        assert posting.record(platform_api.post_comment(f"redis-{n}", comment_text(n))).ok
    counts = fault_counts(
        settled_outcome_count(
            scenario="Redis stopped and restarted", posting=posting, receiver=webhook_receiver
        )
    )
    assert counts.duplicated == 0
    assert counts.lost == 0
    assert counts.scored == counts.accepted == 18
