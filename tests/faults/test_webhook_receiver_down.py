"""A webhook receiver down for a while: once it is back, every event arrives, exactly once per
event after the receiver dedupes by `webhook-id` (retries carry the same id)."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.models import Comment, CommentStatus, DeliveryStatus, WebhookDelivery
from tests.conftest import wait_for
from tests.faults.conftest import PlatformApi, Posting, comment_text, outcome_count
from tests.processes import free_port
from tests.webhook_receiver import WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_receiver_that_was_down_gets_every_event_once_when_it_is_back(
    activate_fault_model: Any,
    start_worker: Any,
    platform_api: PlatformApi,
    fault_counts: Any,
) -> None:
    from moderation.services.webhooks import webhook_endpoint_create

    activate_fault_model("faults-webhooks")
    port = free_port()  # nothing listens there yet: connection refused
    issued = webhook_endpoint_create(
        platform=platform_api.platform, url=f"http://127.0.0.1:{port}/hooks"
    )
    start_worker()
    posting = Posting()
    for n in range(12):
        assert posting.record(platform_api.post_comment(f"hook-{n}", comment_text(n))).ok
    wait_for(lambda: not Comment.objects.filter(status=CommentStatus.PENDING).exists(), timeout=60)
    deliveries = WebhookDelivery.objects.filter(comment__isnull=False)
    flagged = Comment.objects.filter(
        status__in=[CommentStatus.FLAGGED, CommentStatus.AUTO_REMOVED]
    ).count()
    assert flagged > 0
    assert deliveries.count() == flagged
    # Every delivery has failed at least twice while the receiver was down.
    wait_for(lambda: not deliveries.filter(attempt_count__lt=2).exists(), timeout=60)
    assert not deliveries.filter(status=DeliveryStatus.SUCCEEDED).exists()

    receiver = WebhookReceiver(port=port).start()
    try:
        wait_for(
            lambda: deliveries.filter(status=DeliveryStatus.SUCCEEDED).count() == flagged,
            timeout=60,
        )
        counts = fault_counts(
            outcome_count(
                scenario="webhook receiver down",
                posted=posting.posted,
                accepted_ids=posting.accepted,
                receivers=[receiver],
            )
        )
        received = {r.webhook_id: r.verify(issued.secret) for r in receiver.requests}
    finally:
        receiver.stop()

    assert counts.duplicated == 0
    assert counts.lost == 0
    assert counts.scored == 12
    # Retries reused each delivery's id, and every event got through.
    assert set(received) == set(deliveries.values_list("webhook_id", flat=True))
    assert {payload["data"]["comment"]["id"] for payload in received.values()} == {
        str(public_id)
        for public_id in Comment.objects.filter(
            status__in=[CommentStatus.FLAGGED, CommentStatus.AUTO_REMOVED]
        ).values_list("public_id", flat=True)
    }
