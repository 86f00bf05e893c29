"""Query-string filters for the comment list."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django_filters.fields import IsoDateTimeField

from classifier.labels import LABELS
from moderation.models import Comment, CommentStatus, Decision

#: `decision=none`: comments nobody has decided.
NO_DECISION = "none"


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
    label = django_filters.MultipleChoiceFilter(
        choices=[(label, label) for label in LABELS],
        method="filter_label",
        help_text="Comments flagged for this label (repeatable: any of them).",
    )
    min_score = django_filters.NumberFilter(
        method="filter_min_score",
        min_value=0,
        max_value=1,
        help_text="Comments whose highest score (or, with `label`, one of those labels' "
        "scores) is at least this, 0 to 1.",
    )
    decision = django_filters.MultipleChoiceFilter(
        choices=[*Decision.choices, (NO_DECISION, "None yet")],
        method="filter_decision",
        help_text="The moderator's decision (repeatable); `none` for undecided comments.",
    )

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

    def filter_label(
        self, queryset: QuerySet[Comment], name: str, value: list[str]
    ) -> QuerySet[Comment]:
        if not value:
            return queryset
        # The JSON text of the list holds the quoted label; labels never contain one another
        # once quoted ("toxic" is not in "severe_toxic" with its quotes).
        matches = Q()
        for label in value:
            matches |= Q(flagged_labels__icontains=f'"{label}"')
        return queryset.filter(matches)

    def filter_min_score(
        self, queryset: QuerySet[Comment], name: str, value: Decimal | None
    ) -> QuerySet[Comment]:
        if value is None:
            return queryset
        labels = self.form.cleaned_data.get("label") or []
        if not labels:
            return queryset.filter(max_score__gte=float(value))
        matches = Q()
        for label in labels:
            matches |= Q(**{f"score_{label}__gte": float(value)})
        return queryset.filter(matches)

    def filter_decision(
        self, queryset: QuerySet[Comment], name: str, value: list[str]
    ) -> QuerySet[Comment]:
        if not value:
            return queryset
        decisions = ["" if item == NO_DECISION else item for item in value]
        return queryset.filter(decision__in=decisions)
