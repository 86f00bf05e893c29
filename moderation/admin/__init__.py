"""Admin configuration, one module per area; importing the package registers them all."""

from moderation.admin import comments, dashboard, model_versions, review, webhooks

__all__ = ["comments", "dashboard", "model_versions", "review", "webhooks"]
