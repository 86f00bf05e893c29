"""A poison comment: the model raises on it. It fails alone, with its error, after bounded
retries; the rest of its batch and everything after it are scored."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.models import Comment, CommentStatus
from tests.conftest import wait_for
from tests.faults.conftest import PlatformApi, Posting, comment_text, outcome_count

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

POISON = "xpoisonx"


def test_a_poison_comment_fails_after_bounded_retries_and_blocks_nothing(
    activate_fault_model: Any,
    start_worker: Any,
    platform_api: PlatformApi,
    webhook_receiver: Any,
    fault_counts: Any,
) -> None:
    from moderation.services.webhooks import webhook_endpoint_create

    activate_fault_model("faults-poison", poison_token=POISON)
    webhook_endpoint_create(platform=platform_api.platform, url=webhook_receiver.url)
    start_worker()
    posting = Posting()

    # One request, so the poison shares its batch (and its model call) with seven others.
    batch = [(f"poison-{n}", comment_text(n)) for n in range(12)]
    batch[3] = ("poison-3", f"a perfectly ordinary sentence {POISON}")
    response = posting.record_batch(len(batch), platform_api.post_batch(batch))
    assert response.status_code == 202
    poison_id = posting.accepted[3]

    poison = wait_for(
        lambda: Comment.objects.filter(public_id=poison_id, status=CommentStatus.FAILED).first(),
        timeout=60,
    )
    # Later comments are scored too: the failed one is out of the way.
    for n in range(12, 16):
        posting.record(platform_api.post_comment(f"poison-{n}", comment_text(n)))
    wait_for(
        lambda: (
            not Comment.objects.filter(
                public_id__in=posting.accepted, status=CommentStatus.PENDING
            ).exists()
        ),
        timeout=60,
    )

    counts = fault_counts(
        outcome_count(
            scenario="poison comment",
            posted=posting.posted,
            accepted_ids=posting.accepted,
            receivers=[webhook_receiver],
        )
    )
    assert counts.duplicated == 0
    assert counts.lost == 0
    assert (counts.scored, counts.failed) == (15, 1)
    assert poison.scoring_attempts == 3
    assert POISON in poison.scoring_error
    assert "ValueError" in poison.scoring_error

    body = platform_api.get(f"comments/{poison_id}").json()
    assert body["status"] == "failed"
    assert POISON in body["scoring_error"]
    assert body["scores"] is None
    listed = platform_api.get("comments", status="failed").json()["results"]
    assert [item["id"] for item in listed] == [poison_id]
    # Failed is final: the sweeper leaves it alone, so its attempts stop at the limit.
    assert Comment.objects.get(public_id=poison_id).scoring_attempts == 3
