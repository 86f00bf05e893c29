"""Webhook dispatch keeps the queue to one task per delivery, at most
WEBHOOK_ENDPOINT_CONCURRENCY attempts per endpoint, a share of every pass for each platform,
and at most WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM endpoints."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from moderation.models import WebhookAttempt, WebhookDelivery
from moderation.services import webhooks
from moderation.services.webhooks import (
    WebhookEvent,
    webhook_deliveries_dispatch_due,
    webhook_delivery_send,
    webhook_endpoint_create,
    webhook_events_emit,
)

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhooks/endpoints"


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The delivery ids handed to the broker (recorded instead of sent)."""
    sent: list[int] = []
    monkeypatch.setattr(webhooks, "_publish_sends", lambda ids, **_: sent.extend(ids))
    return sent


def _deliveries(platform: Any, url: str, count: int, *, age_seconds: float = 0) -> list[int]:
    events = [
        WebhookEvent(platform_id=platform.pk, event_type="comment.flagged", data={"n": n})
        for n in range(count)
    ]
    created = webhook_events_emit(events)
    # Due since `age_seconds` ago, and their first task lost: no claim on them any more.
    WebhookDelivery.objects.filter(pk__in=[d.pk for d in created]).update(
        next_attempt_at=timezone.now() - timedelta(seconds=age_seconds), queued_until=None
    )
    return [d.pk for d in created]


def test_a_due_delivery_is_enqueued_once_until_its_claim_runs_out(
    platform: Any,
    webhook_receiver: Any,
    published: list[int],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    webhook_endpoint_create(platform=platform, url=webhook_receiver.url)
    (delivery_id,) = _deliveries(platform, webhook_receiver.url, 1)

    with django_capture_on_commit_callbacks(execute=True):
        passes = [webhook_deliveries_dispatch_due() for _ in range(5)]

    assert passes == [1, 0, 0, 0, 0]
    assert published == [delivery_id]
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        queued_until=timezone.now() - timedelta(seconds=1)  # the task was lost
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_deliveries_dispatch_due() == 1
    assert published == [delivery_id, delivery_id]


def test_a_send_to_a_busy_endpoint_waits_and_a_finished_attempt_hands_on_the_next(
    platform: Any,
    webhook_receiver: Any,
    published: list[int],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_ENDPOINT_CONCURRENCY = 1
    webhook_endpoint_create(platform=platform, url=webhook_receiver.url)
    first, second = _deliveries(platform, webhook_receiver.url, 2)
    WebhookDelivery.objects.filter(pk=first).update(
        locked_until=timezone.now() + timedelta(seconds=60)  # a sender is on it
    )

    assert webhook_delivery_send(delivery_id=second) is None
    assert not WebhookAttempt.objects.exists()
    assert WebhookDelivery.objects.get(pk=second).queued_until is None  # waits, not queued

    WebhookDelivery.objects.filter(pk=first).update(locked_until=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_delivery_send(delivery_id=first) is not None
    assert published == [second]  # the freed slot went to the waiting delivery
    assert webhook_delivery_send(delivery_id=second) is not None
    assert len(webhook_receiver.requests) == 2


def test_every_platform_gets_a_share_of_each_dispatch_pass(
    platform: Any,
    platform_factory: Any,
    webhook_receiver: Any,
    published: list[int],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_DISPATCH_PER_PLATFORM = 3
    settings.WEBHOOK_ENDPOINT_CONCURRENCY = 100
    quiet = platform_factory()
    for owner in (platform, quiet):
        webhook_endpoint_create(platform=owner, url=webhook_receiver.url)
    backlog = _deliveries(platform, webhook_receiver.url, 20, age_seconds=600)
    (waiting,) = _deliveries(quiet, webhook_receiver.url, 1)

    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_deliveries_dispatch_due(limit=4) == 4

    assert sorted(published) == sorted([*backlog[:3], waiting])


def test_each_endpoint_gets_at_most_its_concurrency_from_a_pass(
    platform: Any,
    webhook_receiver: Any,
    published: list[int],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_ENDPOINT_CONCURRENCY = 2
    webhook_endpoint_create(platform=platform, url=webhook_receiver.url)
    ids = _deliveries(platform, webhook_receiver.url, 5)

    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_deliveries_dispatch_due() == 2

    assert published == ids[:2]


def test_a_platform_may_have_only_so_many_endpoints(
    api_client: APIClient, settings: Any, webhook_receiver: Any
) -> None:
    settings.WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM = 2
    answers = [
        api_client.post(ENDPOINTS, {"url": f"{webhook_receiver.url}?n={n}"}, format="json")
        for n in range(3)
    ]

    assert [a.status_code for a in answers] == [201, 201, 400]
    error = answers[2].json()["error"]
    assert error["code"] == "too_many_endpoints"
    assert "at most 2" in error["message"]


def test_the_endpoints_list_is_paginated_like_the_others(
    api_client: APIClient, webhook_receiver: Any
) -> None:
    for n in range(3):
        api_client.post(ENDPOINTS, {"url": f"{webhook_receiver.url}?n={n}"}, format="json")

    first = api_client.get(ENDPOINTS, {"page_size": 2}).json()
    second = api_client.get(first["next"]).json()

    assert [len(first["results"]), len(second["results"])] == [2, 1]
    assert second["next"] is None
    assert api_client.get(ENDPOINTS, {"page_size": 0}).status_code == 400
