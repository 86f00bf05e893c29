"""The author page (their comments, the decisions on them, their flag rate, past actions) and
the actions against an author: warn, silence, ban, optionally removing their open flags."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from moderation.admin.base import ReadOnlyAdmin
from moderation.admin.review.forms import AuthorActionForm
from moderation.models import AuthorAction, Platform
from moderation.selectors.authors import (
    author_actions,
    author_comments,
    author_record,
    author_reviews,
)
from moderation.services.authors import author_action_take
from moderation.services.reviews import InvalidReview


def author_url(platform_id: int, author_id: str) -> str:
    return (
        reverse("admin:moderation_authoraction_author", args=[platform_id])
        + "?"
        + urlencode({"author": author_id})
    )


@admin.register(AuthorAction)
class AuthorActionAdmin(ReadOnlyAdmin):
    """Actions against authors: the append-only record, and each author's page."""

    list_display = ["created_at", "moderator_username", "action", "author_link", "until", "note"]
    list_filter = ["action", "platform", "created_at"]
    search_fields = ["author_id", "moderator_username", "note"]
    list_select_related = ["platform"]
    list_per_page = 100
    show_full_result_count = False

    @admin.display(description="author")
    def author_link(self, action: AuthorAction) -> str:
        return format_html(
            '<a href="{}">{}</a> <span class="tm-muted">{}</span>',
            author_url(action.platform_id, action.author_id),
            action.author_id,
            action.platform.name,
        )

    def get_urls(self) -> list[URLPattern]:
        page = path(
            "author/<int:platform_id>/",
            self.admin_site.admin_view(self.author_view),
            name="moderation_authoraction_author",
        )
        return [page, *super().get_urls()]

    def author_view(self, request: HttpRequest, platform_id: int) -> HttpResponseBase:
        """`?author=ID`: the author's page on one platform; POST takes an action."""
        if not request.user.has_perm("moderation.view_reviewqueueitem"):
            raise PermissionDenied
        platform = get_object_or_404(Platform, pk=platform_id)
        author_id = request.GET.get("author", "")
        can_act = request.user.has_perm("moderation.review_comment")
        form = AuthorActionForm(request.POST or None)
        status = 200
        if request.method == "POST":
            if not can_act:
                raise PermissionDenied
            if form.is_valid():
                try:
                    result = author_action_take(
                        platform=platform,
                        author_id=author_id,
                        moderator=request.user,  # type: ignore[arg-type]
                        action=form.cleaned_data["action"],
                        silence_hours=form.cleaned_data["silence_hours"],
                        note=form.cleaned_data["note"],
                        remove_open_flagged=form.cleaned_data["remove_open_flagged"],
                    )
                except InvalidReview as exc:
                    form.add_error(None, exc.message)
                else:
                    done = result.action
                    until = f" until {done.until:%Y-%m-%d %H:%M} UTC" if done.until else ""
                    removed = (
                        f"; removed {len(result.removed)} open flagged comment(s): "
                        + ", ".join(review.comment.external_id for review in result.removed)
                        if form.cleaned_data["remove_open_flagged"]
                        else ""
                    )
                    messages.success(
                        request,
                        f"{done.get_action_display()} {author_id} on {platform.name}{until}"
                        f"{removed}. The platform is told by webhook.",
                    )
                    for comment, reason in result.skipped:
                        messages.warning(
                            request, f"{comment.external_id} was not removed: {reason}"
                        )
                    return HttpResponseRedirect(author_url(platform.pk, author_id))
            status = 400
        record = author_record(platform_id=platform.pk, author_id=author_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Author {author_id or '—'} on {platform.name}",
            "platform": platform,
            "author_id": author_id,
            "record": record,
            "comments": author_comments(platform_id=platform.pk, author_id=author_id),
            "reviews": author_reviews(platform_id=platform.pk, author_id=author_id),
            "actions": author_actions(platform_id=platform.pk, author_id=author_id),
            "form": form,
            "can_act": can_act and bool(author_id),
            "queue_url": reverse("admin:moderation_reviewqueueitem_changelist"),
        }
        return TemplateResponse(request, "admin/moderation/author.html", context, status=status)
