"""The review queue's filters: review state, highest score, age, and claims ("My claims")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from moderation.selectors.review_queue import QueueState, review_queue_filter_state


class QueueStateFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return QueueState.choices

    def value(self) -> str:
        value = super().value()
        return value if value in dict(QueueState.choices) else QueueState.AWAITING

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return review_queue_filter_state(queryset, self.value())


class ScoreRangeFilter(admin.SimpleListFilter):
    title = "highest label score"
    parameter_name = "score"
    ranges = {
        "0.9-1": (0.9, None, "0.9 and above"),
        "0.7-0.9": (0.7, 0.9, "0.7 to 0.9"),
        "0.5-0.7": (0.5, 0.7, "0.5 to 0.7"),
        "0-0.5": (0.0, 0.5, "below 0.5"),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, title) for key, (_, _, title) in self.ranges.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() not in self.ranges:
            return queryset
        low, high, _ = self.ranges[str(self.value())]
        queryset = queryset.filter(max_score__gte=low)
        return queryset.filter(max_score__lt=high) if high is not None else queryset


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"
    hours = {"1h": (None, 1), "24h": (None, 24), "1-7d": (24, 168), "7d+": (168, None)}
    titles = {"1h": "last hour", "24h": "last 24 hours", "1-7d": "1 to 7 days", "7d+": "older"}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(self.titles.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() not in self.hours:
            return queryset
        older, newer = self.hours[str(self.value())]
        now = timezone.now()
        if newer is not None:
            queryset = queryset.filter(created_at__gte=now - timedelta(hours=newer))
        if older is not None:
            queryset = queryset.filter(created_at__lt=now - timedelta(hours=older))
        return queryset


class ClaimFilter(admin.SimpleListFilter):
    """Whose claim a comment is under; "My claims" lists what the moderator has open."""

    title = "claims"
    parameter_name = "claim"
    MINE, OTHERS, FREE = "mine", "others", "free"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (self.MINE, "My claims"),
            (self.OTHERS, "Claimed by a colleague"),
            (self.FREE, "Not claimed"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        live = Q(review_claim__expires_at__gt=timezone.now())
        if self.value() == self.MINE:
            return queryset.filter(live, review_claim__moderator_id=request.user.pk)
        if self.value() == self.OTHERS:
            return queryset.filter(live).exclude(review_claim__moderator_id=request.user.pk)
        if self.value() == self.FREE:
            return queryset.exclude(live)
        return queryset
