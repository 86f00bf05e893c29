"""A comment that hangs the model: its batch runs out of time, the comment is failed with the
reason after bounded attempts, and every other platform's comments are still scored within
seconds (nothing waits on the rows it holds)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from moderation.models import Comment, CommentStatus
from tests.conftest import wait_for
from tests.faults.conftest import PlatformApi, Posting, comment_text, settled_outcome_count

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HANG = "xhangx"
SOFT_LIMIT_SECONDS = 3


def test_a_hanging_comment_fails_alone_and_other_platforms_are_scored_within_seconds(
    activate_fault_model: Any,
    start_worker: Any,
    platform_api: PlatformApi,
    platform_factory: Any,
    webhook_receiver: Any,
    fault_counts: Any,
) -> None:
    from moderation.services.platforms import api_key_issue
    from moderation.services.webhooks import webhook_endpoint_create

    activate_fault_model("faults-hang", hang_token=HANG)
    other_platform = platform_factory()
    other = PlatformApi(
        platform_api.base_url, api_key_issue(platform=other_platform).secret, other_platform
    )
    for api in (platform_api, other):
        webhook_endpoint_create(platform=api.platform, url=webhook_receiver.url)
    # Prefork: the only pool that enforces time limits; two processes, as in production.
    start_worker(
        pool="prefork",
        concurrency=2,
        SCORING_SOFT_TIME_LIMIT_SECONDS=str(SOFT_LIMIT_SECONDS),
        SCORING_TIME_LIMIT_SECONDS=str(SOFT_LIMIT_SECONDS + 7),
    )
    posting = Posting()

    # One request, so the hanging text shares its batch (and its model call) with seven others.
    batch = [(f"hang-{n}", comment_text(n)) for n in range(8)]
    batch[3] = ("hang-3", f"a perfectly ordinary sentence {HANG}")
    assert posting.record_batch(len(batch), platform_api.post_batch(batch)).status_code == 202
    hanging_id = posting.accepted[3]

    # Another platform posts while the batch hangs: each of its comments is scored within
    # seconds, never behind the hanging one.
    posted_at: dict[str, float] = {}
    for n in range(12):
        response = posting.record(other.post_comment(f"other-{n}", comment_text(n)))
        assert response.status_code == 202
        posted_at[response.json()["id"]] = time.monotonic()
        time.sleep(0.25)
    waited: dict[str, float] = {}

    def other_scored() -> bool:
        done = Comment.objects.filter(public_id__in=list(posted_at)).exclude(
            status=CommentStatus.PENDING
        )
        for public_id in done.values_list("public_id", flat=True):
            waited.setdefault(str(public_id), time.monotonic() - posted_at[str(public_id)])
        return len(waited) == len(posted_at)

    wait_for(other_scored, timeout=30, interval=0.1)
    assert max(waited.values()) < 2 * SOFT_LIMIT_SECONDS + 5, waited

    hanging = wait_for(
        lambda: Comment.objects.filter(public_id=hanging_id, status=CommentStatus.FAILED).first(),
        timeout=90,
    )
    counts = fault_counts(
        settled_outcome_count(
            scenario="comment hanging the model", posting=posting, receiver=webhook_receiver
        )
    )
    assert counts.duplicated == 0
    assert counts.lost == 0
    assert (counts.scored, counts.failed) == (19, 1)
    assert hanging.scoring_attempts == 3
    assert f"budget of {SOFT_LIMIT_SECONDS} s" in hanging.scoring_error
    body = platform_api.get(f"comments/{hanging_id}").json()
    assert body["status"] == "failed"
    assert "ScoringBudgetExceeded" in body["scoring_error"]
    # The seven innocent batch-mates were scored alone after their batch ran out of time.
    assert not Comment.objects.filter(
        public_id__in=posting.accepted, status=CommentStatus.PENDING
    ).exists()
