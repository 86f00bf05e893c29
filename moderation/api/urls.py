from __future__ import annotations

from django.urls import path, register_converter

from moderation.api import analyze_views, views, webhook_views


class WebhookIdConverter:
    """A Standard Webhooks message id as this API issues them (`msg_` + hex): anything else
    is a 404 before it reaches a query (a NUL byte there would be a database error)."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(WebhookIdConverter, "webhook_id")

urlpatterns = [
    path("analyze", analyze_views.AnalyzeApi.as_view(), name="analyze"),
    path("comments", views.CommentListCreateApi.as_view(), name="comments"),
    path("comments/batch", views.CommentBatchCreateApi.as_view(), name="comments-batch"),
    path("comments/<uuid:comment_id>", views.CommentDetailApi.as_view(), name="comment-detail"),
    path(
        "comments/<uuid:comment_id>/reports",
        views.CommentReportsApi.as_view(),
        name="comment-reports",
    ),
    path(
        "webhooks/endpoints",
        webhook_views.EndpointListCreateApi.as_view(),
        name="webhook-endpoints",
    ),
    path(
        "webhooks/endpoints/<uuid:endpoint_id>",
        webhook_views.EndpointDetailApi.as_view(),
        name="webhook-endpoint-detail",
    ),
    path(
        "webhooks/endpoints/<uuid:endpoint_id>/rotate-secret",
        webhook_views.EndpointRotateSecretApi.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    path(
        "webhooks/endpoints/<uuid:endpoint_id>/test",
        webhook_views.EndpointSendTestApi.as_view(),
        name="webhook-endpoint-test",
    ),
    path(
        "webhooks/deliveries",
        webhook_views.DeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/deliveries/<webhook_id:webhook_id>",
        webhook_views.DeliveryDetailApi.as_view(),
        name="webhook-delivery-detail",
    ),
    path(
        "webhooks/deliveries/<webhook_id:webhook_id>/redeliver",
        webhook_views.DeliveryRedeliverApi.as_view(),
        name="webhook-delivery-redeliver",
    ),
]
