"""Webhooks end to end: a real worker, the real broker, a real receiver on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from rest_framework.test import APIClient

from moderation.models import DeliveryStatus, WebhookDelivery
from moderation.services.webhooks import (
    WebhookEvent,
    webhook_deliveries_dispatch_due,
    webhook_endpoint_create,
    webhook_events_emit,
)
from tests.conftest import PROJECT_ROOT, wait_for
from tests.processes import free_port
from tests.webhook_receiver import Reply, WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ABUSIVE = "you are a stupid worthless idiot"


def post_comment(client: APIClient, external_id: str, text: str) -> dict[str, Any]:
    return client.post(
        "/api/v1/comments",
        data=json.dumps({"external_id": external_id, "text": text}),
        content_type="application/json",
    ).json()


def test_a_flagged_comment_produces_exactly_one_verified_delivery(
    celery_worker_process: Any,
    tiny_model: Any,
    platform: Any,
    api_client: APIClient,
    webhook_receiver: WebhookReceiver,
) -> None:
    issued = webhook_endpoint_create(platform=platform, url=webhook_receiver.url)

    comment = post_comment(api_client, "wh-1", ABUSIVE)
    post_comment(api_client, "wh-2", "thanks for the helpful answer")

    wait_for(lambda: webhook_receiver.requests)
    time.sleep(1.5)  # room for a duplicate to show up, if there were one
    (request,) = webhook_receiver.requests
    payload = request.verify(issued.secret)
    assert payload["data"]["comment"]["id"] == comment["id"]
    assert payload["type"] in {"comment.flagged", "comment.auto_removed"}
    delivery = WebhookDelivery.objects.get()
    assert delivery.webhook_id == request.webhook_id
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_comment_scored_reaches_the_endpoints_that_name_it_for_every_outcome(
    celery_worker_process: Any,
    tiny_model: Any,
    platform: Any,
    api_client: APIClient,
    webhook_receiver: WebhookReceiver,
) -> None:
    everything = WebhookReceiver().start()
    try:
        scored_only = webhook_endpoint_create(
            platform=platform, url=webhook_receiver.url, event_types=["comment.scored"]
        )
        webhook_endpoint_create(platform=platform, url=everything.url)

        flagged = post_comment(api_client, "sc-1", ABUSIVE)
        allowed = post_comment(api_client, "sc-2", "thanks for the helpful answer")

        wait_for(lambda: len(webhook_receiver.requests) >= 2 and everything.requests)
        time.sleep(1.5)  # room for a duplicate to show up, if there were one
        payloads = [request.verify(scored_only.secret) for request in webhook_receiver.requests]
        assert {p["type"] for p in payloads} == {"comment.scored"}
        by_id = {p["data"]["comment"]["id"]: p["data"]["comment"] for p in payloads}
        assert set(by_id) == {flagged["id"], allowed["id"]}
        assert by_id[allowed["id"]]["status"] == "allowed"
        assert by_id[allowed["id"]]["scores"]["insult"] < 0.5
        assert by_id[flagged["id"]]["status"] in {"flagged", "auto_removed"}
        # An endpoint subscribed to "everything" gets the outcomes, not one event per comment.
        assert [json.loads(r.body)["type"] for r in everything.requests] in (
            ["comment.flagged"],
            ["comment.auto_removed"],
        )
    finally:
        everything.stop()


def test_500_three_times_then_200_is_four_attempts_and_one_success(
    celery_worker_process: Any, platform: Any, webhook_receiver: WebhookReceiver
) -> None:
    webhook_endpoint_create(platform=platform, url=webhook_receiver.url)
    webhook_receiver.script(Reply(500), Reply(500), Reply(500), Reply(200))

    (delivery,) = webhook_events_emit(
        [WebhookEvent(platform_id=platform.pk, event_type="comment.flagged", data={"n": 1})]
    )

    wait_for(
        lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SUCCEEDED,
        timeout=30,
    )
    attempts = list(WebhookDelivery.objects.get(pk=delivery.pk).attempts.order_by("attempted_at"))
    assert [a.status_code for a in attempts] == [500, 500, 500, 200]
    assert sum(a.succeeded for a in attempts) == 1
    assert {r.webhook_id for r in webhook_receiver.requests} == {delivery.webhook_id}


def test_a_receiver_that_was_down_gets_every_event_when_it_comes_back(
    celery_worker_process: Any, platform: Any
) -> None:
    port = free_port()
    issued = webhook_endpoint_create(platform=platform, url=f"http://127.0.0.1:{port}/hooks")
    events = [
        WebhookEvent(platform_id=platform.pk, event_type="comment.flagged", data={"n": n})
        for n in range(3)
    ]
    deliveries = webhook_events_emit(events)  # sent while nothing listens on the port

    wait_for(lambda: all(d.attempts.exists() for d in deliveries), timeout=15)
    receiver = WebhookReceiver(port=port).start()  # it comes back
    try:
        wait_for(lambda: len(receiver.requests) >= 3, timeout=30)
        assert sorted(r.verify(issued.secret)["data"]["n"] for r in receiver.requests) == [0, 1, 2]
        for delivery in deliveries:
            delivery.refresh_from_db()
            assert delivery.status == DeliveryStatus.SUCCEEDED
            assert delivery.attempts.filter(succeeded=False).exists()  # it did fail first
    finally:
        receiver.stop()


def test_a_sender_killed_mid_delivery_is_retried_with_the_same_webhook_id(
    celery_worker_process: Any, platform: Any, webhook_receiver: WebhookReceiver
) -> None:
    webhook_endpoint_create(platform=platform, url=webhook_receiver.url)
    webhook_receiver.script(Reply(200, delay_seconds=20))  # the first request hangs
    # Written outside any worker's reach: no on-commit task, this process sends it.
    delivery = WebhookDelivery.objects.create(
        webhook_id="msg_killed_mid_delivery",
        endpoint=platform.webhook_endpoints.get(),
        event_type="comment.flagged",
        payload={"type": "comment.flagged", "timestamp": "2026-01-01T00:00:00+00:00", "data": {}},
        next_attempt_at="2026-01-01T00:00:00+00:00",
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _test_database_url(),
        "WEBHOOK_LOCK_SECONDS": "2",
        "WEBHOOK_TIMEOUT_SECONDS": "60",
    }
    sender = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import django; django.setup();"
            "from moderation.services.webhooks import webhook_delivery_send;"
            f"webhook_delivery_send(delivery_id={delivery.pk})",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )
    try:
        assert webhook_receiver.started_request.wait(timeout=30)
        os.kill(sender.pid, signal.SIGKILL)  # dies holding the delivery, mid-request
        sender.wait(timeout=10)
    finally:
        if sender.poll() is None:
            sender.kill()

    time.sleep(2.5)  # its hold on the delivery runs out
    assert webhook_deliveries_dispatch_due() == 1  # what beat does every few seconds

    wait_for(lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SUCCEEDED)
    assert [r.webhook_id for r in webhook_receiver.requests] == ["msg_killed_mid_delivery"] * 2


def _test_database_url() -> str:
    from tests.conftest import _database_url_for_test_db

    return _database_url_for_test_db()
