"""Platform isolation on every API endpoint: platform A's key never reaches platform B's data.

Every URL pattern of the API (moderation/api/urls.py) and every method its view answers is in
CASES; the first test fails when an endpoint or method is added without a case here. For each
case, A's key is used against B's objects: an object B owns answers 404 `not_found` (never
403, which would confirm it exists), lists hold only A's rows, creating with B's external id
makes A's own comment (no 409 that would reveal B's), and none of B's rows changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.urls import URLPattern
from rest_framework.test import APIClient

from moderation.api import urls as api_urls
from moderation.models import Comment, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from moderation.services.platforms import api_key_issue
from moderation.services.webhooks import (
    WebhookEvent,
    webhook_endpoint_create,
    webhook_events_emit,
)
from tests.api_calls import assert_error

PREFIX = "/api/v1/"
# A public address that is never contacted: sends happen after commit, and tests never commit.
HOOK_URL = "https://93.184.215.14/hook"


@dataclass
class World:
    """Platform A (the caller) and platform B, each with a comment, an endpoint, a delivery."""

    client: APIClient
    platform_a: Any
    platform_b: Any
    objects: dict[str, dict[str, Any]]


def _objects_of(platform: Any, comment_factory: Any, external_id: str) -> dict[str, Any]:
    comment = comment_factory(platform=platform, external_id=external_id, text=f"{external_id}!")
    endpoint = webhook_endpoint_create(platform=platform, url=HOOK_URL).endpoint
    (delivery,) = webhook_events_emit(
        [WebhookEvent(platform_id=platform.pk, event_type="comment.flagged", data={})]
    )
    return {"comment": comment, "endpoint": endpoint, "delivery": delivery}


@pytest.fixture
def world(
    api_client: APIClient, platform: Any, platform_factory: Any, comment_factory: Any
) -> World:
    other = platform_factory()
    api_key_issue(platform=other)
    return World(
        client=api_client,
        platform_a=platform,
        platform_b=other,
        objects={
            "a": _objects_of(platform, comment_factory, "a-1"),
            "b": _objects_of(other, comment_factory, "b-1"),
        },
    )


def rows_of(platform: Any) -> list[dict[str, Any]]:
    """Every row platform B owns, as plain values, to check that nothing changed."""
    found: list[dict[str, Any]] = []
    for queryset in (
        Comment.objects.filter(platform=platform),
        WebhookEndpoint.objects.filter(platform=platform),
        WebhookDelivery.objects.filter(endpoint__platform=platform),
        WebhookAttempt.objects.filter(delivery__endpoint__platform=platform),
    ):
        found += [model_to_dict(row) for row in queryset.order_by("pk")]
    return found


def ids(world: World, owner: str) -> dict[str, str]:
    objects = world.objects[owner]
    return {
        "comment_id": str(objects["comment"].public_id),
        "endpoint_id": str(objects["endpoint"].public_id),
        "webhook_id": objects["delivery"].webhook_id,
    }


def call(world: World, method: str, path: str, body: Any = None) -> Any:
    return getattr(world.client, method)(PREFIX + path, data=body, format="json")


def foreign_object_is_not_found(
    method: str, path: str, body: Any = None
) -> Callable[[World], None]:
    """A's key on B's object: 404 not_found, and nothing of B's in the answer."""

    def check(world: World) -> None:
        response = call(world, method, path.format(**ids(world, "b")), body)

        assert_error(response, 404, "not_found")
        for value in ids(world, "b").values():
            assert value not in response.content.decode()

    return check


def list_shows_only_own_rows(path: str, key: str, own: Callable[[World], str]) -> Callable:
    def check(world: World) -> None:
        response = call(world, "get", path)
        assert response.status_code == 200
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        assert [row[key] for row in rows] == [own(world)]

    return check


def deliveries_filtered_by_a_foreign_endpoint_are_empty(world: World) -> None:
    response = call(world, "get", f"webhooks/deliveries?endpoint={ids(world, 'b')['endpoint_id']}")
    assert response.status_code == 200
    assert response.json()["results"] == []


def create_with_foreign_external_id_makes_own_comment(batch: bool) -> Callable[[World], None]:
    def check(world: World) -> None:
        item = {"external_id": "b-1", "text": "a different text"}  # B's external id
        response = call(
            world,
            "post",
            "comments/batch" if batch else "comments",
            {"comments": [item]} if batch else item,
        )

        assert response.status_code == 202, response.content
        assert Comment.objects.filter(platform=world.platform_a, external_id="b-1").exists()

    return check


def create_endpoint_is_own(world: World) -> None:
    response = call(world, "post", "webhooks/endpoints", {"url": HOOK_URL})
    assert response.status_code == 201
    assert WebhookEndpoint.objects.get(public_id=response.json()["id"]).platform == world.platform_a


def analyze_with_foreign_external_id_reveals_nothing(world: World) -> None:
    """Without a worker here the answer is the 503 any caller gets, not a 409 naming B's
    comment (with one, the comment stored is A's: the service is comment_create's)."""
    from django.test import override_settings

    with override_settings(ANALYZE_QUEUE="nobody-listens-here", ANALYZE_TIMEOUT_SECONDS=0.05):
        response = call(
            world, "post", "analyze", {"text": "hello", "store": True, "external_id": "b-1"}
        )

    assert_error(response, 503, "scoring_unavailable")
    assert not Comment.objects.filter(platform=world.platform_a, external_id="b-1").exists()


def _own(kind: str, attribute: str) -> Callable[[World], str]:
    return lambda world: str(getattr(world.objects["a"][kind], attribute))


#: (URL pattern name, method) -> what platform A's key must see of platform B's data.
CASES: dict[tuple[str, str], Callable[[World], None]] = {
    ("analyze", "post"): analyze_with_foreign_external_id_reveals_nothing,
    ("comments", "get"): list_shows_only_own_rows("comments", "id", _own("comment", "public_id")),
    ("comments", "post"): create_with_foreign_external_id_makes_own_comment(batch=False),
    ("comments-batch", "post"): create_with_foreign_external_id_makes_own_comment(batch=True),
    ("comment-detail", "get"): foreign_object_is_not_found("get", "comments/{comment_id}"),
    ("comment-detail", "delete"): foreign_object_is_not_found("delete", "comments/{comment_id}"),
    ("comment-reports", "post"): foreign_object_is_not_found(
        "post", "comments/{comment_id}/reports", {"reporter_id": "u-1", "reason": "abuse"}
    ),
    ("webhook-endpoints", "get"): list_shows_only_own_rows(
        "webhooks/endpoints", "id", _own("endpoint", "public_id")
    ),
    ("webhook-endpoints", "post"): create_endpoint_is_own,
    ("webhook-endpoint-detail", "get"): foreign_object_is_not_found(
        "get", "webhooks/endpoints/{endpoint_id}"
    ),
    ("webhook-endpoint-detail", "patch"): foreign_object_is_not_found(
        "patch", "webhooks/endpoints/{endpoint_id}", {"is_active": False}
    ),
    ("webhook-endpoint-detail", "delete"): foreign_object_is_not_found(
        "delete", "webhooks/endpoints/{endpoint_id}"
    ),
    ("webhook-endpoint-rotate-secret", "post"): foreign_object_is_not_found(
        "post", "webhooks/endpoints/{endpoint_id}/rotate-secret", {}
    ),
    ("webhook-endpoint-test", "post"): foreign_object_is_not_found(
        "post", "webhooks/endpoints/{endpoint_id}/test"
    ),
    ("webhook-deliveries", "get"): list_shows_only_own_rows(
        "webhooks/deliveries", "webhook_id", _own("delivery", "webhook_id")
    ),
    ("webhook-delivery-detail", "get"): foreign_object_is_not_found(
        "get", "webhooks/deliveries/{webhook_id}"
    ),
    ("webhook-delivery-redeliver", "post"): foreign_object_is_not_found(
        "post", "webhooks/deliveries/{webhook_id}/redeliver"
    ),
}
#: Further checks on the same endpoints (filters that take another platform's ids).
EXTRA_CASES = {
    "deliveries filtered by B's endpoint": deliveries_filtered_by_a_foreign_endpoint_are_empty
}


def api_endpoints() -> set[tuple[str, str]]:
    """(name, method) for every URL pattern of the API and every method its view answers."""
    found = set()
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern), pattern
        assert pattern.name, pattern
        view = getattr(pattern.callback, "view_class")  # noqa: B009 (set by as_view())
        for method in view.http_method_names:
            if method not in ("options", "head") and hasattr(view, method):
                found.add((pattern.name, method))
    return found


def test_every_api_endpoint_and_method_has_an_isolation_case() -> None:
    assert api_endpoints() == set(CASES)


@pytest.mark.parametrize(
    "check",
    [*CASES.values(), *EXTRA_CASES.values()],
    ids=[f"{method.upper()} {name}" for name, method in CASES] + list(EXTRA_CASES),
)
@pytest.mark.django_db
def test_platform_a_cannot_see_or_change_platform_b(world: World, check: Any) -> None:
    before = rows_of(world.platform_b)

    check(world)

    assert rows_of(world.platform_b) == before
