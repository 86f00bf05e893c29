"""Admin configuration, one module per area; importing the package registers them all."""

from moderation.admin import comments, webhooks

__all__ = ["comments", "webhooks"]
