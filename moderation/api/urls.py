from __future__ import annotations

from django.urls import path

from moderation.api import views, webhook_views

urlpatterns = [
    path("comments", views.CommentListCreateApi.as_view(), name="comments"),
    path("comments/batch", views.CommentBatchCreateApi.as_view(), name="comments-batch"),
    path("comments/<uuid:comment_id>", views.CommentDetailApi.as_view(), name="comment-detail"),
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
        "webhooks/deliveries/<str:webhook_id>",
        webhook_views.DeliveryDetailApi.as_view(),
        name="webhook-delivery-detail",
    ),
    path(
        "webhooks/deliveries/<str:webhook_id>/redeliver",
        webhook_views.DeliveryRedeliverApi.as_view(),
        name="webhook-delivery-redeliver",
    ),
]
