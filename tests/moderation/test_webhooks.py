"""Webhook outbox, signing, retries, disabling and the SSRF guard, against a real local server.

These call the services in-process (no worker); tests/workers/test_webhooks_e2e.py runs the
same flows through a real Celery worker.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import WebhookVerificationError

from moderation.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from moderation.services.scoring import comment_batch_score
from moderation.services.webhooks import (
    InvalidEndpoint,
    WebhookEvent,
    webhook_delivery_redeliver,
    webhook_delivery_send,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_send_test,
    webhook_endpoint_update,
    webhook_events_emit,
)
from tests.webhook_receiver import Reply

ABUSIVE = "you are a stupid worthless idiot"


@pytest.fixture
def endpoint(platform: Any, webhook_receiver: Any) -> Any:
    return webhook_endpoint_create(platform=platform, url=webhook_receiver.url)


def send_until_done(delivery: WebhookDelivery, *, max_attempts: int = 20) -> WebhookDelivery:
    """Attempt the delivery whenever it is due, as the worker would, until it ends."""
    for _ in range(max_attempts):
        delivery.refresh_from_db()
        if delivery.status != DeliveryStatus.PENDING:
            return delivery
        due = delivery.next_attempt_at or timezone.now()
        wait = (due - timezone.now()).total_seconds()
        if wait > 0:
            time.sleep(wait + 0.01)
        webhook_delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


def emit_test_event(platform: Any, event_type: str = "comment.flagged") -> list[WebhookDelivery]:
    with transaction.atomic():
        return webhook_events_emit(
            [WebhookEvent(platform_id=platform.pk, event_type=event_type, data={"n": 1})]
        )


@pytest.mark.django_db
def test_a_flagged_comment_writes_one_delivery_per_subscribed_endpoint(
    platform: Any, comment_factory: Any, tiny_model: Any, webhook_receiver: Any
) -> None:
    everything = webhook_endpoint_create(platform=platform, url=webhook_receiver.url).endpoint
    flagged_only = webhook_endpoint_create(
        platform=platform, url=webhook_receiver.url, event_types=["comment.flagged"]
    ).endpoint
    reviews_only = webhook_endpoint_create(
        platform=platform, url=webhook_receiver.url, event_types=["comment.reviewed"]
    ).endpoint
    abusive = comment_factory(platform=platform, text=ABUSIVE)
    kind = comment_factory(platform=platform, text="thanks for the helpful answer")

    comment_batch_score(comment_ids=[abusive.pk, kind.pk])

    abusive.refresh_from_db()
    deliveries = WebhookDelivery.objects.all()
    assert {d.comment_id for d in deliveries} == {abusive.pk}
    by_endpoint = {d.endpoint_id: d for d in deliveries}
    assert everything.pk in by_endpoint
    assert reviews_only.pk not in by_endpoint
    assert (flagged_only.pk in by_endpoint) == (abusive.status == "flagged")
    payload = by_endpoint[everything.pk].payload
    assert payload["type"] == f"comment.{abusive.status}"
    assert payload["data"]["comment"]["external_id"] == abusive.external_id
    assert payload["data"]["comment"]["scores"]["toxic"] == abusive.score_toxic


@pytest.mark.django_db
def test_no_delivery_survives_a_rolled_back_change(platform: Any, endpoint: Any) -> None:
    def failing_change() -> None:
        with transaction.atomic():
            emit_test_event(platform)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()

    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_delivery_is_signed_per_standard_webhooks_and_verifies(
    platform: Any, endpoint: Any, webhook_receiver: Any
) -> None:
    (delivery,) = emit_test_event(platform)

    attempt = webhook_delivery_send(delivery_id=delivery.pk)

    assert attempt is not None
    assert attempt.succeeded
    assert attempt.status_code == 200
    (request,) = webhook_receiver.requests
    payload = request.verify(endpoint.secret)
    assert request.webhook_id == delivery.webhook_id == payload["id"]
    assert payload["type"] == "comment.flagged"
    assert payload["data"] == {"n": 1}
    assert request.headers["content-type"] == "application/json"
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 10
    with pytest.raises(WebhookVerificationError):
        request.verify("whsec_" + "A" * 43)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.delivered_at is not None


@pytest.mark.django_db
def test_three_500s_then_200_is_four_attempts_one_success_same_id(
    platform: Any, endpoint: Any, webhook_receiver: Any
) -> None:
    webhook_receiver.script(Reply(500), Reply(500), Reply(500, body=b"still down"), Reply(200))
    (delivery,) = emit_test_event(platform)

    delivery = send_until_done(delivery)

    assert delivery.status == DeliveryStatus.SUCCEEDED
    attempts = list(delivery.attempts.order_by("attempted_at"))
    assert [a.status_code for a in attempts] == [500, 500, 500, 200]
    assert [a.succeeded for a in attempts] == [False, False, False, True]
    assert attempts[2].response_body == "still down"
    assert all(a.latency_ms is not None for a in attempts)
    assert {r.webhook_id for r in webhook_receiver.requests} == {delivery.webhook_id}
    endpoint.endpoint.refresh_from_db()
    assert endpoint.endpoint.failing_since is None  # the success ended the failure streak


@pytest.mark.django_db
def test_retries_follow_the_schedule_and_honour_retry_after(
    platform: Any, endpoint: Any, webhook_receiver: Any, settings: Any
) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE_SECONDS = [5, 300, 3600]
    webhook_receiver.script(Reply(503), Reply(429, headers={"Retry-After": "900"}))
    (delivery,) = emit_test_event(platform)

    webhook_delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None
    first_delay = (delivery.next_attempt_at - timezone.now()).total_seconds()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    webhook_delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None
    second_delay = (delivery.next_attempt_at - timezone.now()).total_seconds()

    assert 5 * 0.8 - 1 <= first_delay <= 5 * 1.2
    assert 900 - 5 <= second_delay <= 900  # Retry-After beats the 300 s of the schedule
    assert webhook_delivery_send(delivery_id=delivery.pk) is None  # not due yet: nothing sent
    assert len(webhook_receiver.requests) == 2


@pytest.mark.django_db
def test_gives_up_when_the_schedule_runs_out(
    platform: Any, endpoint: Any, webhook_receiver: Any, settings: Any
) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE_SECONDS = [0.05, 0.05]
    webhook_receiver.script(*[Reply(500)] * 5)
    (delivery,) = emit_test_event(platform)

    delivery = send_until_done(delivery)

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempt_count == 3
    assert len(webhook_receiver.requests) == 3


@pytest.mark.django_db
def test_redirects_are_failures_and_not_followed(
    platform: Any, endpoint: Any, webhook_receiver: Any
) -> None:
    webhook_receiver.script(Reply(302, headers={"Location": webhook_receiver.url + "/elsewhere"}))
    (delivery,) = emit_test_event(platform)

    attempt = webhook_delivery_send(delivery_id=delivery.pk)

    assert attempt is not None
    assert not attempt.succeeded
    assert attempt.status_code == 302
    assert "redirect" in attempt.error
    assert len(webhook_receiver.requests) == 1


@pytest.mark.django_db
def test_410_gone_disables_the_endpoint(
    platform: Any, endpoint: Any, webhook_receiver: Any
) -> None:
    webhook_receiver.script(Reply(410))
    first, second = emit_test_event(platform) + emit_test_event(platform)

    webhook_delivery_send(delivery_id=first.pk)

    hook = WebhookEndpoint.objects.get(pk=endpoint.endpoint.pk)
    assert not hook.is_active
    assert "410" in hook.disabled_reason
    assert hook.disabled_at
    assert WebhookDelivery.objects.get(pk=first.pk).status == DeliveryStatus.FAILED
    assert webhook_delivery_send(delivery_id=second.pk) is None  # disabled: nothing is sent
    assert len(webhook_receiver.requests) == 1
    assert emit_test_event(platform) == []  # and no new deliveries are written for it


@pytest.mark.django_db
def test_an_endpoint_failing_for_days_is_disabled(
    platform: Any, endpoint: Any, webhook_receiver: Any
) -> None:
    hook = endpoint.endpoint
    WebhookEndpoint.objects.filter(pk=hook.pk).update(
        failing_since=timezone.now() - timedelta(days=6)
    )
    webhook_receiver.script(Reply(500))
    (delivery,) = emit_test_event(platform)

    webhook_delivery_send(delivery_id=delivery.pk)

    hook.refresh_from_db()
    assert not hook.is_active
    assert "failed for 6.0 days" in hook.disabled_reason
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.FAILED


@pytest.mark.django_db
def test_reenabling_an_endpoint_clears_its_failure_state(platform: Any, endpoint: Any) -> None:
    hook = endpoint.endpoint
    webhook_endpoint_update(endpoint=hook, is_active=False)
    assert hook.disabled_at is not None

    webhook_endpoint_update(endpoint=hook, is_active=True)

    hook.refresh_from_db()
    assert hook.is_active
    assert hook.disabled_at is None
    assert hook.failing_since is None


@pytest.mark.django_db
def test_during_a_secret_rotation_both_secrets_verify(
    platform: Any, endpoint: Any, webhook_receiver: Any
) -> None:
    old_secret = endpoint.secret
    new_secret = webhook_endpoint_rotate_secret(endpoint=endpoint.endpoint)
    (delivery,) = emit_test_event(platform)

    webhook_delivery_send(delivery_id=delivery.pk)

    (request,) = webhook_receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert request.verify(old_secret)["id"] == request.verify(new_secret)["id"]


@pytest.mark.django_db
def test_after_the_grace_period_only_the_new_secret_signs(
    platform: Any, endpoint: Any, webhook_receiver: Any
) -> None:
    old_secret = endpoint.secret
    new_secret = webhook_endpoint_rotate_secret(endpoint=endpoint.endpoint, grace=timedelta(0))
    (delivery,) = emit_test_event(platform)

    webhook_delivery_send(delivery_id=delivery.pk)

    (request,) = webhook_receiver.requests
    request.verify(new_secret)
    with pytest.raises(WebhookVerificationError):
        request.verify(old_secret)


@pytest.mark.django_db
def test_manual_redelivery_keeps_the_webhook_id(
    platform: Any, endpoint: Any, webhook_receiver: Any
) -> None:
    (delivery,) = emit_test_event(platform)
    webhook_delivery_send(delivery_id=delivery.pk)

    webhook_delivery_redeliver(delivery=delivery)
    webhook_delivery_send(delivery_id=delivery.pk, manual=True)

    assert [r.webhook_id for r in webhook_receiver.requests] == [delivery.webhook_id] * 2
    assert [a.manual for a in delivery.attempts.order_by("attempted_at")] == [False, True]


@pytest.mark.django_db
def test_send_test_event_reaches_an_endpoint_whatever_it_subscribes_to(
    platform: Any, webhook_receiver: Any
) -> None:
    issued = webhook_endpoint_create(
        platform=platform, url=webhook_receiver.url, event_types=["comment.reviewed"]
    )

    delivery = webhook_endpoint_send_test(endpoint=issued.endpoint)
    webhook_delivery_send(delivery_id=delivery.pk, manual=True)

    (request,) = webhook_receiver.requests
    assert request.verify(issued.secret)["type"] == "webhook.test"


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.10/hook",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "http://user:pass@example.com/hook",
        "file:///etc/passwd",
    ],
)
@pytest.mark.django_db
def test_unsafe_endpoint_urls_are_refused_at_creation(platform: Any, url: str) -> None:
    with pytest.raises(InvalidEndpoint):
        webhook_endpoint_create(platform=platform, url=url)
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", ["http://10.0.0.1/hook", "http://169.254.169.254/latest"])
@pytest.mark.django_db
def test_private_and_metadata_addresses_are_refused_at_send_without_a_request(
    platform: Any, url: str
) -> None:
    # As if the endpoint predates the guard, or an operator allowed it and then withdrew that.
    hook = WebhookEndpoint.objects.create(platform=platform, url=url, secret="whsec_" + "A" * 43)
    (delivery,) = emit_test_event(platform)

    started = time.monotonic()
    attempt = webhook_delivery_send(delivery_id=delivery.pk)

    assert attempt is not None
    assert not attempt.succeeded
    assert attempt.status_code is None
    assert attempt.latency_ms is None
    assert attempt.error.startswith("Refused, no request sent")
    assert time.monotonic() - started < 1  # no connection was even tried
    assert hook.deliveries.get().status == DeliveryStatus.PENDING  # retried on schedule


@pytest.mark.django_db
def test_loopback_is_refused_unless_allowed(
    platform: Any, endpoint: Any, webhook_receiver: Any, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    (delivery,) = emit_test_event(platform)

    attempt = webhook_delivery_send(delivery_id=delivery.pk)

    assert attempt is not None
    assert attempt.error.startswith("Refused")
    assert webhook_receiver.requests == []  # the receiver on 127.0.0.1 saw nothing


@pytest.mark.django_db
def test_metadata_address_stays_refused_even_inside_an_allowed_network(
    platform: Any, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_NETWORKS = ["169.254.0.0/16"]
    with pytest.raises(InvalidEndpoint):
        webhook_endpoint_create(platform=platform, url="http://169.254.169.254/")


@pytest.mark.django_db
def test_a_held_delivery_is_not_sent_twice(
    platform: Any, endpoint: Any, webhook_receiver: Any
) -> None:
    (delivery,) = emit_test_event(platform)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        locked_until=timezone.now() + timedelta(seconds=30)
    )

    assert webhook_delivery_send(delivery_id=delivery.pk) is None
    assert webhook_receiver.requests == []
    assert not WebhookAttempt.objects.exists()


@pytest.mark.django_db
def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(
    platform: Any, endpoint: Any, webhook_receiver: Any, settings: Any
) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    webhook_receiver.script(Reply(200, delay_seconds=3))
    (delivery,) = emit_test_event(platform)

    started = time.monotonic()
    attempt = webhook_delivery_send(delivery_id=delivery.pk)

    assert time.monotonic() - started < 2.5
    assert attempt is not None
    assert not attempt.succeeded
    assert "Timeout" in attempt.error
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING


@pytest.mark.django_db
def test_activating_a_model_tells_every_platform(
    platform_factory: Any, webhook_receiver: Any, tiny_model: Any
) -> None:
    from moderation.models import ModelVersion
    from moderation.services.model_versions import model_version_activate

    subscribed = webhook_endpoint_create(
        platform=platform_factory(), url=webhook_receiver.url, event_types=["model.promoted"]
    )
    webhook_endpoint_create(
        platform=platform_factory(), url=webhook_receiver.url, event_types=["comment.flagged"]
    )
    shipped = ModelVersion.objects.exclude(pk=tiny_model.pk).get()

    model_version_activate(model_version=shipped)
    model_version_activate(model_version=shipped)  # already active: no second event

    (delivery,) = WebhookDelivery.objects.filter(event_type="model.promoted")
    assert delivery.endpoint == subscribed.endpoint
    assert delivery.payload["data"]["model_version"]["version"] == shipped.version
