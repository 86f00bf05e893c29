"""Webhook endpoints and their delivery log, for platforms. Thin: parse, call, render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from moderation.api.pagination import NewestFirstPagination
from moderation.api.views import _platform
from moderation.api.webhook_serializers import (
    DeliveryDetailSerializer,
    DeliveryOutputSerializer,
    EndpointCreatedSerializer,
    EndpointInputSerializer,
    EndpointOutputSerializer,
    EndpointUpdateSerializer,
    RotateSecretInputSerializer,
    SecretRotatedSerializer,
)
from moderation.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEventType
from moderation.selectors.webhooks import (
    webhook_delivery_get_for_platform,
    webhook_delivery_list_for_platform,
    webhook_endpoint_get_for_platform,
    webhook_endpoint_list_for_platform,
)
from moderation.services.webhooks import (
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_send_test,
    webhook_endpoint_update,
)


class EndpointListCreateApi(generics.ListAPIView):  # type: ignore[type-arg]
    """Endpoints, newest first, cursor-paginated like the other lists; and creating one."""

    serializer_class = EndpointOutputSerializer
    pagination_class = NewestFirstPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no caller
            return WebhookEndpoint.objects.none()
        return webhook_endpoint_list_for_platform(platform=_platform(self.request))

    @extend_schema(summary="List webhook endpoints, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Add a webhook endpoint (its secret is shown once)",
        request=EndpointInputSerializer,
        responses={201: EndpointCreatedSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = EndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = webhook_endpoint_create(platform=_platform(request), **serializer.validated_data)
        body = {**EndpointOutputSerializer(issued.endpoint).data, "secret": issued.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class EndpointDetailApi(APIView):
    @extend_schema(summary="Read a webhook endpoint", responses=EndpointOutputSerializer)
    def get(self, request: Request, endpoint_id: UUID) -> Response:
        endpoint = webhook_endpoint_get_for_platform(
            platform=_platform(request), public_id=endpoint_id
        )
        return Response(EndpointOutputSerializer(endpoint).data)

    @extend_schema(
        summary="Change a webhook endpoint; is_active=true re-enables a disabled one",
        request=EndpointUpdateSerializer,
        responses={200: EndpointOutputSerializer},
    )
    def patch(self, request: Request, endpoint_id: UUID) -> Response:
        endpoint = webhook_endpoint_get_for_platform(
            platform=_platform(request), public_id=endpoint_id
        )
        serializer = EndpointUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_update(endpoint=endpoint, **serializer.validated_data)
        return Response(EndpointOutputSerializer(endpoint).data)

    @extend_schema(summary="Delete a webhook endpoint and its delivery log", responses={204: None})
    def delete(self, request: Request, endpoint_id: UUID) -> Response:
        endpoint = webhook_endpoint_get_for_platform(
            platform=_platform(request), public_id=endpoint_id
        )
        webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRotateSecretApi(APIView):
    @extend_schema(
        summary="Rotate the signing secret; the old one keeps signing during the grace period",
        request=RotateSecretInputSerializer,
        responses={200: SecretRotatedSerializer},
    )
    def post(self, request: Request, endpoint_id: UUID) -> Response:
        endpoint = webhook_endpoint_get_for_platform(
            platform=_platform(request), public_id=endpoint_id
        )
        serializer = RotateSecretInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hours = serializer.validated_data.get("grace_hours")
        secret = webhook_endpoint_rotate_secret(
            endpoint=endpoint, grace=None if hours is None else timedelta(hours=hours)
        )
        return Response(
            {"secret": secret, "previous_secret_expires_at": endpoint.previous_secret_expires_at}
        )


class EndpointSendTestApi(APIView):
    @extend_schema(
        summary="Send a `webhook.test` event to this endpoint now",
        request=None,
        responses={202: DeliveryOutputSerializer},
    )
    def post(self, request: Request, endpoint_id: UUID) -> Response:
        endpoint = webhook_endpoint_get_for_platform(
            platform=_platform(request), public_id=endpoint_id
        )
        delivery = webhook_endpoint_send_test(endpoint=endpoint)
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeliveryFilter(django_filters.FilterSet):  # type: ignore[misc]
    endpoint = django_filters.UUIDFilter(field_name="endpoint__public_id")
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event_type = django_filters.ChoiceFilter(choices=WebhookEventType.choices)

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []


class DeliveryListApi(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = DeliveryOutputSerializer
    pagination_class = NewestFirstPagination
    filterset_class = DeliveryFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no caller
            return WebhookDelivery.objects.none()
        return webhook_delivery_list_for_platform(platform=_platform(self.request))

    @extend_schema(summary="The delivery log, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class DeliveryDetailApi(APIView):
    @extend_schema(summary="One delivery with every attempt", responses=DeliveryDetailSerializer)
    def get(self, request: Request, webhook_id: str) -> Response:
        delivery = webhook_delivery_get_for_platform(
            platform=_platform(request), webhook_id=webhook_id
        )
        return Response(DeliveryDetailSerializer(delivery).data)


class DeliveryRedeliverApi(APIView):
    @extend_schema(
        summary="Send a delivery again now, with the same webhook-id",
        request=None,
        responses={202: OpenApiResponse(DeliveryOutputSerializer)},
    )
    def post(self, request: Request, webhook_id: str) -> Response:
        delivery = webhook_delivery_get_for_platform(
            platform=_platform(request), webhook_id=webhook_id
        )
        delivery = webhook_delivery_redeliver(delivery=delivery)
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
