"""Admin configuration, one module per area; importing the package registers them all."""

from moderation.admin import comments

__all__ = ["comments"]
