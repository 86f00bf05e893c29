"""Admin configuration, one module per area; importing the package registers them all."""

from moderation.admin import comments, dashboard, review, webhooks

__all__ = ["comments", "dashboard", "review", "webhooks"]
