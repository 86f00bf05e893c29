"""Admin building blocks shared by the moderation pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import URLPattern, path


class ReadOnlyPermissions:
    """Nobody adds, edits or deletes these rows from the admin (pages and inlines alike)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyPermissions, admin.ModelAdmin):  # type: ignore[type-arg]
    """Rows nobody adds, edits or deletes from the admin (audit, logs, views of comments)."""


class SinglePageAdmin(ReadOnlyAdmin):
    """A custom page (dashboard, try a text) served where the model's changelist would be.

    Subclasses implement `changelist_view`; the page keeps the admin's login, permissions
    (view permission on the proxy model) and sidebar entry.
    """

    class Media:
        css = {"all": ["moderation/review.css"]}

    def get_urls(self) -> list[URLPattern]:
        meta = self.model._meta
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name=f"{meta.app_label}_{meta.model_name}_changelist",
            )
        ]
