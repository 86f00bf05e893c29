"""Reading webhook endpoints and deliveries, scoped to one platform for API callers."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from moderation.models import Platform, WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list_for_platform(*, platform: Platform) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(platform=platform).order_by("created_at")


def webhook_endpoint_get_for_platform(*, platform: Platform, public_id: UUID) -> WebhookEndpoint:
    endpoint = webhook_endpoint_list_for_platform(platform=platform).filter(public_id=public_id)
    found = endpoint.first()
    if found is None:
        raise Http404("No such webhook endpoint.")
    return found


def webhook_delivery_list_for_platform(*, platform: Platform) -> QuerySet[WebhookDelivery]:
    """The platform's deliveries, newest first, with their endpoint and comment."""
    return WebhookDelivery.objects.filter(endpoint__platform=platform).select_related(
        "endpoint", "comment"
    )


def webhook_delivery_get_for_platform(*, platform: Platform, webhook_id: str) -> WebhookDelivery:
    delivery = (
        webhook_delivery_list_for_platform(platform=platform)
        .prefetch_related("attempts")
        .filter(webhook_id=webhook_id)
        .first()
    )
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery
