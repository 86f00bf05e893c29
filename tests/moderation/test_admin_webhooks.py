"""The webhook admin: adding shows the secret once, the delivery log and its actions."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.models import WebhookDelivery, WebhookEndpoint
from moderation.services.webhooks import (
    WebhookEvent,
    webhook_delivery_send,
    webhook_endpoint_create,
    webhook_events_emit,
)
from tests.webhook_receiver import Reply


@pytest.mark.django_db
def test_adding_an_endpoint_shows_its_secret_once(
    admin_client: Any, platform: Any, webhook_receiver: Any
) -> None:
    response = admin_client.post(
        "/admin/moderation/webhookendpoint/add/",
        {
            "platform": platform.pk,
            "url": webhook_receiver.url,
            "description": "prod",
            "event_types": ["comment.flagged", "comment.reviewed"],
        },
        follow=True,
    )

    endpoint = WebhookEndpoint.objects.get()
    shown = " ".join(str(m) for m in response.context["messages"])
    assert endpoint.secret in shown
    assert endpoint.event_types == ["comment.flagged", "comment.reviewed"]
    page = admin_client.get(f"/admin/moderation/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret not in page.content.decode()


@pytest.mark.django_db
def test_an_unsafe_url_in_the_admin_is_refused_with_a_message(
    admin_client: Any, platform: Any
) -> None:
    response = admin_client.post(
        "/admin/moderation/webhookendpoint/add/",
        {"platform": platform.pk, "url": "http://169.254.169.254/latest", "description": ""},
        follow=True,
    )

    assert not WebhookEndpoint.objects.exists()
    assert "metadata address" in response.content.decode()  # shown on the form, not saved


@pytest.mark.django_db
def test_delivery_log_shows_attempts_and_redelivers(
    admin_client: Any, platform: Any, webhook_receiver: Any
) -> None:
    webhook_endpoint_create(platform=platform, url=webhook_receiver.url)
    webhook_receiver.script(Reply(503, body=b"maintenance"))
    (delivery,) = webhook_events_emit(
        [WebhookEvent(platform_id=platform.pk, event_type="comment.flagged", data={})]
    )
    webhook_delivery_send(delivery_id=delivery.pk)

    listing = admin_client.get("/admin/moderation/webhookdelivery/").content.decode()
    detail = admin_client.get(
        f"/admin/moderation/webhookdelivery/{delivery.pk}/change/"
    ).content.decode()
    admin_client.post(
        "/admin/moderation/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )

    assert delivery.webhook_id in listing
    assert "503" in detail
    assert "maintenance" in detail
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.next_attempt_at is not None


@pytest.mark.django_db
def test_send_test_event_action(admin_client: Any, platform: Any, webhook_receiver: Any) -> None:
    endpoint = webhook_endpoint_create(platform=platform, url=webhook_receiver.url).endpoint

    admin_client.post(
        "/admin/moderation/webhookendpoint/",
        {"action": "send_test_event", "_selected_action": [endpoint.pk]},
    )

    assert WebhookDelivery.objects.get().event_type == "webhook.test"
