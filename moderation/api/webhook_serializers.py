"""Serializers of the webhook API."""

from __future__ import annotations

from rest_framework import serializers

from moderation.api.serializers import (
    StrictBooleanField,
    StrictCharField,
    StrictInputSerializer,
)
from moderation.models import (
    SUBSCRIBABLE_EVENT_TYPES,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


class EndpointInputSerializer(StrictInputSerializer):
    url = StrictCharField(max_length=2000, help_text="http(s) URL that receives events.")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENT_TYPES),
        required=False,
        default=list,
        help_text="Event types to receive; empty or absent means all.",
    )
    description = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class EndpointUpdateSerializer(StrictInputSerializer):
    url = StrictCharField(max_length=2000, required=False)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENT_TYPES), required=False
    )
    description = StrictCharField(max_length=200, required=False, allow_blank=True)
    is_active = StrictBooleanField(
        required=False, help_text="false pauses deliveries; true re-enables a disabled endpoint."
    )


class RotateSecretInputSerializer(StrictInputSerializer):
    grace_hours = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=24 * 14,
        help_text="How long the old secret keeps signing too (default 24).",
    )


class EndpointOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="public_id")
    status = serializers.SerializerMethodField()

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "status",
            "disabled_at",
            "disabled_reason",
            "failing_since",
            "previous_secret_expires_at",
            "created_at",
        ]

    def get_status(self, endpoint: WebhookEndpoint) -> str:
        """`active`, `failing` (its latest attempts failed) or `disabled` (see disabled_reason)."""
        if not endpoint.is_active:
            return "disabled"
        return "failing" if endpoint.failing_since else "active"


class EndpointCreatedSerializer(EndpointOutputSerializer):
    secret = serializers.CharField(help_text="Shown once: verify signatures with it.")

    class Meta(EndpointOutputSerializer.Meta):
        fields = [*EndpointOutputSerializer.Meta.fields, "secret"]


class SecretRotatedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    secret = serializers.CharField()
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True)


class AttemptOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = WebhookAttempt
        fields = [
            "attempted_at",
            "succeeded",
            "status_code",
            "latency_ms",
            "response_body",
            "error",
            "manual",
        ]


class DeliveryOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    endpoint_id = serializers.UUIDField(source="endpoint.public_id")
    comment_id = serializers.UUIDField(source="comment.public_id", allow_null=True, default=None)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)

    class Meta:
        model = WebhookDelivery
        fields = [
            "webhook_id",
            "endpoint_id",
            "event_type",
            "comment_id",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
        ]


class DeliveryDetailSerializer(DeliveryOutputSerializer):
    attempts = AttemptOutputSerializer(many=True)

    class Meta(DeliveryOutputSerializer.Meta):
        fields = [*DeliveryOutputSerializer.Meta.fields, "payload", "attempts"]
