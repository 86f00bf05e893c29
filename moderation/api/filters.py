"""Query-string filters for the comment list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField

from moderation.models import Comment, CommentStatus


class UtcIsoDateTimeField(IsoDateTimeField):  # type: ignore[misc]
    """An ISO 8601 datetime, turned into UTC before it reaches the database: Postgres refuses
    offsets beyond +/-15:59 that Python parses (a 500), and UTC is what is stored anyway."""

    def to_python(self, value: Any) -> datetime | None:
        parsed: datetime | None = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError("Out of the supported range.", code="invalid") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]
    field_class = UtcIsoDateTimeField


class CommentFilter(django_filters.FilterSet):  # type: ignore[misc]
    external_id = django_filters.CharFilter(field_name="external_id")
    author_id = django_filters.CharFilter(field_name="author_id")
    status = django_filters.MultipleChoiceFilter(choices=CommentStatus.choices)
    flagged = django_filters.BooleanFilter(method="filter_flagged")
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

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
