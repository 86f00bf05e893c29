"""Admin for webhook endpoints and the delivery log. Secrets are shown once, never rendered."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from moderation.errors import ModerationError
from moderation.models import (
    SUBSCRIBABLE_EVENT_TYPES,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from moderation.services.webhooks import (
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_send_test,
    webhook_endpoint_update,
    webhook_url_validate,
)


class WebhookEndpointForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.URLField(max_length=2000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=[(value, value) for value in SUBSCRIBABLE_EVENT_TYPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked means every event type.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["platform", "url", "description", "event_types", "is_active"]

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"])
        try:
            webhook_url_validate(url)
        except ModerationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = WebhookEndpointForm
    list_display = [
        "url",
        "platform",
        "state",
        "subscribed",
        "failing_since",
        "disabled_reason",
        "created_at",
    ]
    list_filter = ["platform", "is_active"]
    list_select_related = ["platform"]
    search_fields = ["url", "description"]
    readonly_fields = (
        "public_id",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "previous_secret_expires_at",
        "created_at",
    )
    actions = ["send_test_event", "rotate_secret"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        editable = ["platform", "url", "description", "event_types"]
        if obj is None:
            return editable
        return [*editable, "is_active", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*self.readonly_fields, "platform") if obj is not None else ()

    @admin.display(description="state")
    def state(self, endpoint: WebhookEndpoint) -> str:
        if not endpoint.is_active:
            return "disabled"
        return "failing" if endpoint.failing_since else "active"

    @admin.display(description="events")
    def subscribed(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.event_types) or "all"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            if change:
                webhook_endpoint_update(
                    endpoint=obj,
                    url=data["url"],
                    event_types=data["event_types"],
                    description=data["description"],
                    is_active=data["is_active"],
                )
                return
            issued = webhook_endpoint_create(
                platform=data["platform"],
                url=data["url"],
                event_types=data["event_types"],
                description=data["description"],
            )
        except ModerationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = issued.endpoint.pk
        self.message_user(
            request,
            f"Signing secret (copy it now, it is not shown again): {issued.secret}",
            messages.WARNING,
        )

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            webhook_endpoint_send_test(endpoint=endpoint)
        self.message_user(request, f"Queued {queryset.count()} test event(s).", messages.SUCCESS)

    @admin.action(
        description="Rotate the signing secret (old one signs 24 h more)", permissions=["change"]
    )
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            secret = webhook_endpoint_rotate_secret(endpoint=endpoint)
            self.message_user(
                request,
                f"New secret for {endpoint.url} (copy it now, it is not shown again): {secret}",
                messages.WARNING,
            )


class WebhookAttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = (
        "attempted_at",
        "succeeded",
        "status_code",
        "latency_ms",
        "error",
        "response_body",
        "manual",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "webhook_id",
        "event_type",
        "endpoint",
        "status",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event_type", "endpoint__platform"]
    list_select_related = ["endpoint__platform"]
    search_fields = ["webhook_id", "comment__external_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "webhook_id",
        "endpoint",
        "event_type",
        "comment",
        "status",
        "attempt_count",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
        "payload",
    )
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Redeliver now (same webhook-id)", permissions=["change"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        for delivery in queryset:
            webhook_delivery_redeliver(delivery=delivery)
        self.message_user(request, f"Redelivering {queryset.count()} event(s).", messages.SUCCESS)
