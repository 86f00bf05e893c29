"""Query-string filters for the comment list."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from moderation.models import Comment, CommentStatus


class CommentFilter(django_filters.FilterSet):  # type: ignore[misc]
    external_id = django_filters.CharFilter(field_name="external_id")
    author_id = django_filters.CharFilter(field_name="author_id")
    status = django_filters.MultipleChoiceFilter(choices=CommentStatus.choices)
    flagged = django_filters.BooleanFilter(method="filter_flagged")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Comment
        fields: list[str] = []

    def filter_flagged(
        self, queryset: QuerySet[Comment], name: str, value: bool | None
    ) -> QuerySet[Comment]:
        flagged = [CommentStatus.FLAGGED, CommentStatus.AUTO_REMOVED]
        if value is None:
            return queryset
        return (
            queryset.filter(status__in=flagged) if value else queryset.exclude(status__in=flagged)
        )
