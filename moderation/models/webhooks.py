"""Webhook endpoints, the outbox of deliveries (one event for one endpoint), and attempts."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from moderation.models.comments import Comment
from moderation.models.platforms import Platform


class WebhookEventType(models.TextChoices):
    COMMENT_FLAGGED = "comment.flagged", "A comment was flagged for review"
    COMMENT_AUTO_REMOVED = "comment.auto_removed", "A comment was removed automatically"
    COMMENT_REVIEWED = "comment.reviewed", "A moderator decided on a comment"
    COMMENT_SCORED = "comment.scored", "A comment was scored (every outcome, allowed included)"
    AUTHOR_ACTIONED = "author.actioned", "A moderator warned, silenced or banned an author"
    MODEL_PROMOTED = "model.promoted", "A new model version became active"
    WEBHOOK_TEST = "webhook.test", "A test event sent on request"


#: Event types an endpoint may subscribe to (the test event goes to the endpoint it is sent to).
SUBSCRIBABLE_EVENT_TYPES = [
    choice for choice in WebhookEventType.values if choice != WebhookEventType.WEBHOOK_TEST
]

#: Event types sent only to endpoints that name them: one delivery per comment is more than an
#: endpoint subscribed to "everything" (no event types) asked for.
OPT_IN_EVENT_TYPES = [WebhookEventType.COMMENT_SCORED.value]


class WebhookEndpoint(models.Model):
    """A platform's URL that receives signed event callbacks."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    #: Subscribed event types; an empty list means every type.
    event_types = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    #: The signing secret (`whsec_` + base64). Needed in clear to sign; never shown after creation.
    secret = models.CharField(max_length=128)
    #: After a rotation the old secret also signs until this time, so receivers can switch.
    previous_secret = models.CharField(max_length=128, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    #: Start of the current run of failed attempts; cleared by a success.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["platform_id", "created_at"]

    def __str__(self) -> str:
        return f"{self.platform.name}: {self.url}"

    def subscribes_to(self, event_type: str) -> bool:
        if event_type in OPT_IN_EVENT_TYPES:
            return event_type in self.event_types
        return not self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    """One event for one endpoint: written in the transaction that causes it (the outbox).

    `webhook_id` is the Standard Webhooks message id; it stays the same on every attempt and
    on manual redelivery, so receivers can deduplicate.
    """

    webhook_id = models.CharField(max_length=64, unique=True)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40, choices=WebhookEventType.choices)
    #: The exact JSON body sent (its `timestamp` is the event's time, fixed at creation).
    payload = models.JSONField()
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    #: A sender holds the delivery until then; a crashed sender's hold simply runs out.
    locked_until = models.DateTimeField(null=True, blank=True)
    #: A send task for it is in the queue until then: dispatch enqueues a due delivery only
    #: when this is empty or past (a lost task's claim runs out), never once per pass.
    queued_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery (or a refusal to send one), append-only."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    succeeded = models.BooleanField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    #: The start of the response body, for debugging a receiver.
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    manual = models.BooleanField(default=False)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery.webhook_id} @ {self.attempted_at:%Y-%m-%d %H:%M:%S}"
