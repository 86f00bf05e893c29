"""The webhook API: endpoints, secrets, the delivery log and redelivery, scoped per platform.

Bad inputs tried: a private or metadata URL, a non-http scheme, credentials in the URL, an
unknown event type, an unknown field, a non-boolean is_active, a negative grace period,
another platform's endpoint and delivery ids.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from moderation.models import WebhookDelivery, WebhookEndpoint
from moderation.services.platforms import api_key_issue
from moderation.services.webhooks import (
    WebhookEvent,
    webhook_delivery_send,
    webhook_endpoint_create,
    webhook_events_emit,
)
from tests.api_calls import assert_error
from tests.webhook_receiver import Reply

ENDPOINTS = "/api/v1/webhooks/endpoints"
DELIVERIES = "/api/v1/webhooks/deliveries"


def send(client: APIClient, method: str, url: str, body: Any = None) -> Any:
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(url, data=data, content_type="application/json")


@pytest.mark.django_db
def test_create_shows_the_secret_once(api_client: APIClient, webhook_receiver: Any) -> None:
    response = send(
        api_client,
        "post",
        ENDPOINTS,
        {"url": webhook_receiver.url, "event_types": ["comment.flagged"], "description": "prod"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["comment.flagged"]
    assert body["status"] == "active"
    listed = api_client.get(ENDPOINTS).json()["results"]
    detail = api_client.get(f"{ENDPOINTS}/{body['id']}").json()
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in detail


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "http://10.0.0.1/hook"}, "invalid_endpoint"),
        ({"url": "http://169.254.169.254/latest"}, "invalid_endpoint"),
        ({"url": "ftp://example.com/hook"}, "invalid_endpoint"),
        ({"url": "https://user:pw@example.com/hook"}, "invalid_endpoint"),
        (
            {"url": "https://example.com/hook", "event_types": ["comment.deleted"]},
            "validation_error",
        ),
        ({"url": "https://example.com/hook", "secret": "mine"}, "validation_error"),
        ({"url": 12}, "validation_error"),
        ({}, "validation_error"),
    ],
)
@pytest.mark.django_db
def test_bad_endpoints_are_refused(api_client: APIClient, body: Any, code: str) -> None:
    assert_error(send(api_client, "post", ENDPOINTS, body), 400, code)
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://localhost:9000/hook",
        "http://LOCALHOST./hook",
        "http://hooks.localhost/hook",
        "http://ip6-localhost/hook",
    ],
)
@pytest.mark.django_db
def test_loopback_by_name_is_refused_at_creation_with_the_same_hint_as_by_address(
    api_client: APIClient, settings: Any, url: str
) -> None:
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    error = assert_error(send(api_client, "post", ENDPOINTS, {"url": url}), 400, "invalid_endpoint")

    assert "loopback" in error["message"]
    assert "WEBHOOK_ALLOWED_NETWORKS" in error["message"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_localhost_is_accepted_where_an_operator_allows_loopback(
    api_client: APIClient, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]

    response = send(api_client, "post", ENDPOINTS, {"url": "http://localhost:9000/hook"})

    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_update_reenable_and_delete(
    api_client: APIClient, platform: Any, webhook_receiver: Any
) -> None:
    endpoint = webhook_endpoint_create(platform=platform, url=webhook_receiver.url).endpoint
    url = f"{ENDPOINTS}/{endpoint.public_id}"

    paused = send(api_client, "patch", url, {"is_active": False}).json()
    assert (paused["status"], paused["disabled_reason"]) == (
        "disabled",
        "Disabled by the platform.",
    )
    assert_error(send(api_client, "patch", url, {"is_active": "yes"}), 400, "validation_error")
    resumed = send(api_client, "patch", url, {"is_active": True, "event_types": []}).json()
    assert resumed["status"] == "active"
    assert resumed["disabled_at"] is None

    assert send(api_client, "delete", url).status_code == 204
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_rotate_secret_returns_a_new_secret_and_the_overlap(
    api_client: APIClient, platform: Any, webhook_receiver: Any
) -> None:
    issued = webhook_endpoint_create(platform=platform, url=webhook_receiver.url)
    url = f"{ENDPOINTS}/{issued.endpoint.public_id}/rotate-secret"

    body = send(api_client, "post", url, {"grace_hours": 2}).json()

    assert body["secret"].startswith("whsec_")
    assert body["secret"] != issued.secret
    assert body["previous_secret_expires_at"] is not None
    assert_error(send(api_client, "post", url, {"grace_hours": -1}), 400, "validation_error")


@pytest.mark.django_db
def test_delivery_log_detail_and_redelivery(
    api_client: APIClient, platform: Any, webhook_receiver: Any
) -> None:
    endpoint = webhook_endpoint_create(platform=platform, url=webhook_receiver.url).endpoint
    webhook_receiver.script(Reply(500, body=b"boom"))
    (delivery,) = webhook_events_emit(
        [WebhookEvent(platform_id=platform.pk, event_type="comment.flagged", data={"n": 1})]
    )
    webhook_delivery_send(delivery_id=delivery.pk)

    log = api_client.get(DELIVERIES, {"endpoint": str(endpoint.public_id)}).json()
    detail = api_client.get(f"{DELIVERIES}/{delivery.webhook_id}").json()
    redelivered = send(api_client, "post", f"{DELIVERIES}/{delivery.webhook_id}/redeliver")

    assert [d["webhook_id"] for d in log["results"]] == [delivery.webhook_id]
    assert log["results"][0]["last_status_code"] == 500
    assert detail["attempts"][0]["status_code"] == 500
    assert detail["attempts"][0]["response_body"] == "boom"
    assert detail["payload"]["type"] == "comment.flagged"
    assert redelivered.status_code == 202
    assert redelivered.json()["webhook_id"] == delivery.webhook_id
    assert redelivered.json()["status"] == "pending"


@pytest.mark.django_db
def test_send_test_event_queues_a_delivery(
    api_client: APIClient, platform: Any, webhook_receiver: Any
) -> None:
    endpoint = webhook_endpoint_create(platform=platform, url=webhook_receiver.url).endpoint

    response = send(api_client, "post", f"{ENDPOINTS}/{endpoint.public_id}/test")

    assert response.status_code == 202
    assert WebhookDelivery.objects.get().event_type == "webhook.test"


@pytest.mark.django_db
def test_another_platforms_endpoints_and_deliveries_are_invisible(
    api_client: APIClient, platform_factory: Any, webhook_receiver: Any
) -> None:
    other = platform_factory()
    endpoint = webhook_endpoint_create(platform=other, url=webhook_receiver.url).endpoint
    (delivery,) = webhook_events_emit(
        [WebhookEvent(platform_id=other.pk, event_type="comment.flagged", data={})]
    )

    assert api_client.get(ENDPOINTS).json()["results"] == []
    assert api_client.get(DELIVERIES).json()["results"] == []
    assert_error(api_client.get(f"{ENDPOINTS}/{endpoint.public_id}"), 404, "not_found")
    assert_error(send(api_client, "delete", f"{ENDPOINTS}/{endpoint.public_id}"), 404, "not_found")
    assert_error(api_client.get(f"{DELIVERIES}/{delivery.webhook_id}"), 404, "not_found")
    assert_error(
        send(api_client, "post", f"{DELIVERIES}/{delivery.webhook_id}/redeliver"), 404, "not_found"
    )
    other_client = APIClient()
    other_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_issue(platform=other).secret}")
    assert len(other_client.get(ENDPOINTS).json()["results"]) == 1
