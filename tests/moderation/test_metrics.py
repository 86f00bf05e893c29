"""`/metrics`: the scrape-time backlog, queue and model readings, webhook attempt counters,
and the optional bearer token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from config.celery import app
from moderation.models import Comment, CommentStatus, WebhookDelivery, WebhookEndpoint
from moderation.services.webhooks import (
    WebhookEvent,
    webhook_delivery_send,
    webhook_endpoint_create,
    webhook_events_emit,
)
from tests.metrics_scrape import scrape, value
from tests.processes import free_port
from tests.webhook_receiver import Reply

pytestmark = pytest.mark.django_db


def test_pending_count_and_oldest_age_come_from_the_database(
    client: Client, comment_factory: Any
) -> None:
    now = timezone.now()
    for hours in (2, 1, 0):
        comment = comment_factory(text="waiting")
        Comment.objects.filter(pk=comment.pk).update(created_at=now - timedelta(hours=hours))
    done = comment_factory(text="scored long ago", status=CommentStatus.ALLOWED)
    Comment.objects.filter(pk=done.pk).update(created_at=now - timedelta(days=3))

    samples = scrape(client)

    assert value(samples, "toxmod_comments_pending") == 3
    age = value(samples, "toxmod_comments_pending_oldest_age_seconds")
    assert 7200 <= age < 7200 + 120


def test_no_backlog_reads_zero(client: Client, comment_factory: Any) -> None:
    comment_factory(text="scored", status=CommentStatus.FLAGGED)

    samples = scrape(client)

    assert value(samples, "toxmod_comments_pending") == 0
    assert value(samples, "toxmod_comments_pending_oldest_age_seconds") == 0


def test_the_active_model_version_is_a_labelled_info(client: Client, tiny_model: Any) -> None:
    samples = scrape(client)

    assert value(samples, "toxmod_model_active_info", version="tiny-v1", backend="linear") == 1
    active = [key for key in samples if key[0] == "toxmod_model_active_info"]
    assert len(active) == 1


def test_broker_queue_lengths_are_read_from_redis(client: Client) -> None:
    before = scrape(client)
    # Nothing in the tests consumes the training queue, so these stay until purged.
    for _ in range(2):
        app.send_task("moderation.training.retrain", queue="training")
    try:
        after = scrape(client)
    finally:
        with app.connection_for_write() as conn:
            conn.SimpleQueue("training").clear()

    grown = value(after, "toxmod_broker_queue_length", queue="training") - value(
        before, "toxmod_broker_queue_length", queue="training"
    )
    assert grown == 2
    assert ("toxmod_broker_queue_length", frozenset({("queue", "scoring")})) in after


def test_a_broker_that_is_down_leaves_only_its_own_readings_out(
    client: Client, settings: Any, tiny_model: Any
) -> None:
    port = free_port()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"

    samples = scrape(client)

    assert not [key for key in samples if key[0] == "toxmod_broker_queue_length"]
    assert value(samples, "toxmod_model_active_info", version="tiny-v1", backend="linear") == 1
    assert ("toxmod_comments_pending", frozenset()) in samples


def _attempt_once(endpoint: WebhookEndpoint) -> None:
    [delivery] = webhook_events_emit(
        [
            WebhookEvent(
                platform_id=endpoint.platform_id, event_type="comment.flagged", data={"n": 1}
            )
        ]
    )
    webhook_delivery_send(delivery_id=delivery.pk)


def test_webhook_attempts_are_counted_by_result(
    client: Client, platform: Any, webhook_receiver: Any
) -> None:
    answering = webhook_endpoint_create(platform=platform, url=webhook_receiver.url).endpoint
    closed = free_port()
    before = scrape(client)

    webhook_receiver.script(Reply(status=200), Reply(status=500))
    _attempt_once(answering)
    _attempt_once(answering)
    answering.is_active = False
    answering.save()
    unreachable = webhook_endpoint_create(
        platform=platform, url=f"http://127.0.0.1:{closed}/hook"
    ).endpoint
    _attempt_once(unreachable)
    unreachable.is_active = False
    unreachable.save()
    # Saved as if an allow-list once let it in; the guard refuses it at send.
    WebhookEndpoint.objects.create(
        platform=platform, url="http://10.0.0.1/hook", secret="whsec_" + "A" * 43
    )
    _attempt_once(WebhookEndpoint.objects.get(url="http://10.0.0.1/hook"))

    after = scrape(client)
    counted = {
        result: value(after, "toxmod_webhook_attempts_total", result=result)
        - value(before, "toxmod_webhook_attempts_total", result=result)
        for result in ("success", "http_error", "network_error", "refused")
    }
    assert counted == {"success": 1, "http_error": 1, "network_error": 1, "refused": 1}
    assert WebhookDelivery.objects.filter(attempt_count=1).count() == 4


def test_metrics_are_open_when_no_token_is_set(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "not_authenticated"),
        ("Bearer wrong-token", "invalid_token"),
        ("Bearer s3cret-metrics-tokeñ", "invalid_token"),
        ("Basic czNjcmV0", "invalid_authorization_header"),
        ("Bearer ", "invalid_authorization_header"),
    ],
)
def test_metrics_want_the_token_when_one_is_set(
    client: Client, settings: Any, authorization: str | None, code: str
) -> None:
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    headers = {} if authorization is None else {"Authorization": authorization}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"toxmod_" not in response.content


def test_metrics_with_the_right_token(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = "s3cret-metrics-token"

    samples = scrape(client, HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")

    assert ("toxmod_comments_pending", frozenset()) in samples
