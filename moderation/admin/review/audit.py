"""The append-only audit log of decisions and the corrections export (streamed)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from classifier.labels import LABELS
from moderation.admin.base import ReadOnlyAdmin
from moderation.admin.review.forms import CorrectionsExportForm
from moderation.models import Platform, Review
from moderation.services.corrections import (
    corrections_lines,
    corrections_records,
    corrections_reviews,
)


def _export_response(reviews: QuerySet[Review], export_format: str) -> StreamingHttpResponse:
    lines = corrections_lines(corrections_records(reviews), export_format=export_format)
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in lines),
        content_type="text/csv; charset=utf-8"
        if export_format == "csv"
        else "application/x-ndjson; charset=utf-8",
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="corrections-{stamp}.{export_format}"'
    return response


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    """The append-only audit log: everyone may read it (with the permission), nobody edit it."""

    list_display = [
        "created_at",
        "moderator_username",
        "action",
        "comment_link",
        "labels_after_display",
        "note",
    ]
    list_filter = ["action", "created_at", "comment__platform"]
    search_fields = ["comment__external_id", "moderator_username", "note"]
    list_select_related = ["comment"]
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    actions = ["export_jsonl", "export_csv"]
    change_list_template = "admin/moderation/review/change_list.html"
    fields = (
        "comment",
        "moderator_username",
        "action",
        "created_at",
        "model_version",
        "labels_before",
        "labels_after",
        "note",
    )
    readonly_fields = fields

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.export_corrections")

    @admin.display(description="comment")
    def comment_link(self, review: Review) -> str:
        url = reverse("admin:moderation_comment_change", args=[review.comment_id])
        return format_html('<a href="{}">{}</a>', url, review.comment.external_id)

    @admin.display(description="moderator's labels")
    def labels_after_display(self, review: Review) -> str:
        marks = {1: "yes", 0: "no", None: "?"}
        return (
            ", ".join(
                f"{label} {marks.get(review.labels_after.get(label), '?')}"
                for label in LABELS
                if review.labels_after.get(label) is not None
            )
            or "—"
        )

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_view),
            name="moderation_review_export",
        )
        return [export, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        extra = {
            "title": "Moderator decisions",
            "can_export": self.has_export_permission(request),
            "export_url": reverse("admin:moderation_review_export"),
            "platforms": Platform.objects.order_by("name").values_list("name", flat=True),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)

    def export_view(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        """Every correction, optionally `?platform=NAME&since=ISO&format=jsonl|csv`."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        form = CorrectionsExportForm(request.GET)
        if not form.is_valid():
            return HttpResponse(
                "Export refused: " + form.problems(), status=400, content_type="text/plain"
            )
        platform = form.cleaned_data["platform"]
        reviews = corrections_reviews(
            since=form.cleaned_data["since"], platform=platform.name if platform else None
        )
        return _export_response(reviews, form.cleaned_data["format"])

    def _export(self, request: HttpRequest, queryset: QuerySet[Review], export_format: str) -> Any:
        ids = queryset.values_list("pk", flat=True)
        return _export_response(corrections_reviews(review_ids=ids), export_format)

    @admin.action(
        description="Export corrections of the selected reviews' comments (JSON Lines)",
        permissions=["export"],
    )
    def export_jsonl(self, request: HttpRequest, queryset: QuerySet[Review]) -> Any:
        return self._export(request, queryset, "jsonl")

    @admin.action(
        description="Export corrections of the selected reviews' comments (CSV)",
        permissions=["export"],
    )
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Review]) -> Any:
        return self._export(request, queryset, "csv")
