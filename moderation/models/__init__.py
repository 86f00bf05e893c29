"""Moderation data, one module per idea; import models from here."""

from moderation.models.comments import (
    Comment,
    CommentReport,
    CommentScore,
    CommentStatus,
    Decision,
)
from moderation.models.model_versions import ModelVersion, ModelVersionOrigin, PromotionState
from moderation.models.platforms import ApiKey, Platform, default_flag_thresholds
from moderation.models.retraining import RetrainRun, RetrainStatus
from moderation.models.reviews import (
    FINAL_DECISIONS,
    AuthorAction,
    AuthorActionKind,
    ModerationDashboard,
    Review,
    ReviewClaim,
    ReviewQueueItem,
    TextTrial,
)
from moderation.models.webhooks import (
    SUBSCRIBABLE_EVENT_TYPES,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)

__all__ = [
    "FINAL_DECISIONS",
    "SUBSCRIBABLE_EVENT_TYPES",
    "ApiKey",
    "AuthorAction",
    "AuthorActionKind",
    "Comment",
    "CommentReport",
    "CommentScore",
    "CommentStatus",
    "Decision",
    "DeliveryStatus",
    "ModelVersion",
    "ModelVersionOrigin",
    "ModerationDashboard",
    "Platform",
    "PromotionState",
    "RetrainRun",
    "RetrainStatus",
    "Review",
    "ReviewClaim",
    "ReviewQueueItem",
    "TextTrial",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEventType",
    "default_flag_thresholds",
]
