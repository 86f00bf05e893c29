"""Admin: declarative configuration; actions call services, never assign state directly."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils.html import format_html_join

from classifier.labels import LABELS
from moderation.admin.base import ReadOnlyPermissions
from moderation.models import (
    ApiKey,
    Comment,
    CommentScore,
    CommentStatus,
    Platform,
    Review,
)
from moderation.services.platforms import api_key_issue, api_key_revoke
from moderation.services.scoring_failures import comments_retry_failed


def _score_color(score: float, threshold: float) -> str:
    if score >= threshold:
        return "#b91c1c"
    if score >= threshold * 0.6:
        return "#b45309"
    return "#15803d"


def score_badges(comment: Comment) -> str:
    """Six small bars, one per label, red once a label crosses the platform's threshold."""
    if comment.scored_at is None:
        return "—"
    thresholds = comment.platform.flag_thresholds
    rows = []
    for label in LABELS:
        score = float(getattr(comment, f"score_{label}"))
        threshold = float(thresholds.get(label, 0.5))
        rows.append(
            (
                label,
                f"{score:.3f}",
                f"{threshold:g}",
                int(80 * score),
                _score_color(score, threshold),
            )
        )
    return format_html_join(
        "",
        '<div title="{0}: {1} (flag at {2})" style="display:flex;align-items:center;'
        'gap:4px;font-size:11px;line-height:14px"><span style="width:88px">{0}</span>'
        '<span style="display:inline-block;width:80px;height:8px;background:#e5e7eb">'
        '<span style="display:block;width:{3}px;height:8px;background:{4}"></span></span>'
        "<span>{1}</span></div>",
        rows,
    )


class FlaggedLabelFilter(admin.SimpleListFilter):
    title = "flagged label"
    parameter_name = "flagged_label"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(label, label) for label in LABELS]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> QuerySet[Comment]:
        label = self.value()
        if label not in LABELS:
            return queryset
        # flagged_labels is a JSON list; matching its text works on Postgres and SQLite alike.
        return queryset.annotate(flagged_text=Cast("flagged_labels", TextField())).filter(
            flagged_text__contains=f'"{label}"'
        )


class ScoreAtLeastFilter(admin.SimpleListFilter):
    title = "highest label score"
    parameter_name = "max_score_gte"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("0.5", "≥ 0.5"), ("0.8", "≥ 0.8"), ("0.9", "≥ 0.9"), ("0.97", "≥ 0.97")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> QuerySet[Comment]:
        try:
            value = float(self.value() or "")
        except ValueError:
            return queryset
        return queryset.filter(max_score__gte=value)


class CommentScoreInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CommentScore
    extra = 0
    can_delete = False
    fields = ("model_version", "scores", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReviewInline(ReadOnlyPermissions, admin.TabularInline):  # type: ignore[type-arg]
    """The comment's audit records: read-only for everyone, append-only by the review service."""

    model = Review
    extra = 0
    can_delete = False
    verbose_name = "moderator decision"
    verbose_name_plural = "moderator decisions (audit, append-only)"
    fields = (
        "created_at",
        "moderator_username",
        "action",
        "labels_before",
        "labels_after",
        "model_version",
        "note",
    )
    readonly_fields = fields
    ordering = ("-created_at", "-id")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "external_id",
        "platform",
        "status",
        "short_text",
        "scores_display",
        "flagged_labels_display",
        "model_version",
        "created_at",
    ]
    list_filter = [
        "status",
        "platform",
        FlaggedLabelFilter,
        ScoreAtLeastFilter,
        "model_version",
        "decision",
        "created_at",
    ]
    search_fields = ["external_id", "text", "author_id"]
    list_select_related = ["platform", "model_version"]
    ordering = ["-created_at"]
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = (
        "public_id",
        "platform",
        "external_id",
        "text",
        "author_id",
        "metadata",
        "status",
        "scores_display",
        "flagged_labels",
        "model_version",
        "scored_at",
        "decision",
        "decided_at",
        "created_at",
        "enqueued_at",
        "enqueue_count",
        "scoring_attempts",
        "scoring_error",
    )
    fields = readonly_fields
    inlines = [ReviewInline, CommentScoreInline]
    actions = ["retry_failed"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="text")
    def short_text(self, comment: Comment) -> str:
        return comment.text if len(comment.text) <= 140 else comment.text[:140] + "…"

    @admin.display(description="scores", ordering="-max_score")
    def scores_display(self, comment: Comment) -> str:
        return score_badges(comment)

    @admin.display(description="flagged labels")
    def flagged_labels_display(self, comment: Comment) -> str:
        return ", ".join(comment.flagged_labels) or "—"

    # Retrying scoring is operations work (after a model fix), not a moderator's decision.
    def has_retry_scoring_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.change_comment")

    @admin.action(
        description="Retry scoring the selected failed comments", permissions=["retry_scoring"]
    )
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        retried = comments_retry_failed(comment_ids=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - retried
        self.message_user(
            request,
            f"Re-queued {retried} failed comment(s) for scoring"
            + (f"; {skipped} not failed, left alone." if skipped else "."),
            messages.SUCCESS if retried else messages.WARNING,
        )


class ApiKeyInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ApiKey
    extra = 0
    can_delete = False
    fields = ("prefix", "name", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "display_name", "is_active", "auto_remove_thresholds", "created_at"]
    search_fields = ["name", "display_name"]
    readonly_fields = ["created_at"]
    inlines = [ApiKeyInline]
    actions = ["issue_key"]

    def has_issue_key_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.add_apikey")

    @admin.action(description="Issue a new API key (shown once)", permissions=["issue_key"])
    def issue_key(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        for platform in queryset:
            issued = api_key_issue(platform=platform, name=f"issued in admin by {request.user}")
            self.message_user(
                request,
                f"New key for {platform.name} (copy it now, it is not shown again): "
                f"{issued.secret}",
                messages.WARNING,
            )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["prefix", "platform", "name", "created_at", "last_used_at", "state"]
    list_filter = ["platform"]
    list_select_related = ["platform"]
    readonly_fields = (
        "platform",
        "prefix",
        "name",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    fields = readonly_fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are issued from the platform page or `platform_key_rotate`

    @admin.display(description="state")
    def state(self, api_key: ApiKey) -> str:
        if api_key.revoked_at:
            return "revoked"
        if api_key.expires_at:
            return f"expires {api_key.expires_at:%Y-%m-%d %H:%M}"
        return "active"

    @admin.action(description="Revoke the selected keys now", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


admin.site.site_header = "toxmod moderation"
admin.site.site_title = "toxmod"
admin.site.index_title = "Moderation"

__all__ = ["CommentStatus"]
