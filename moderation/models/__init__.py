"""Moderation data, one module per idea; import models from here."""

from moderation.models.comments import Comment, CommentScore, CommentStatus, Decision
from moderation.models.model_versions import ModelVersion
from moderation.models.platforms import ApiKey, Platform, default_flag_thresholds

__all__ = [
    "ApiKey",
    "Comment",
    "CommentScore",
    "CommentStatus",
    "Decision",
    "ModelVersion",
    "Platform",
    "default_flag_thresholds",
]
