"""The moderator's workflow in the admin: the review queue, the decision page, the audit log
with the corrections export, and "try a text". Views parse, call one service, render."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    QueryDict,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from classifier.labels import LABELS
from moderation.admin.base import ReadOnlyAdmin, SinglePageAdmin
from moderation.admin.comments import FlaggedLabelFilter, score_badges
from moderation.models import (
    FINAL_DECISIONS,
    Comment,
    Decision,
    Platform,
    Review,
    ReviewQueueItem,
    TextTrial,
)
from moderation.selectors.review_queue import (
    QueueState,
    comment_priority,
    comment_review_queue,
    comment_reviews,
    review_queue_filter_state,
    review_queue_neighbours,
)
from moderation.services.corrections import (
    EXPORT_FORMATS,
    corrections_lines,
    corrections_records,
    corrections_reviews,
)
from moderation.services.reviews import (
    REVIEW_NOTE_MAX_CHARS,
    ClaimedByOther,
    InvalidReview,
    ReviewError,
    TextTrialFailed,
    comment_review,
    comments_review_bulk,
    review_claim_acquire,
    review_claim_release,
    text_trial_score,
)

#: Characters of a comment shown in a queue row before "show all".
PREVIEW_CHARS = 280
#: How long "try a text" waits for a worker, in seconds.
TEXT_TRIAL_TIMEOUT_SECONDS = 10.0

# The queue's filters, so each row's review link brings the moderator back to the same queue.
_queue_filters: ContextVar[str] = ContextVar("queue_filters", default="")


# --- highlighting the words that drove a score -------------------------------------------------


def _valid_spans(text: str, explanation: Any) -> list[tuple[int, int, str, float]]:
    """(start, end, label, weight) for the well-formed spans that pushed a score up."""
    spans: list[tuple[int, int, str, float]] = []
    if not isinstance(explanation, Mapping):
        return spans
    for label, items in explanation.items():
        if not isinstance(items, Sequence):
            continue
        for item in items:
            try:
                start, end, weight = int(item["start"]), int(item["end"]), float(item["weight"])
            except (KeyError, TypeError, ValueError):
                continue
            if not 0 <= start < end <= len(text) or weight <= 0:
                continue
            if "text" in item and str(item["text"]) != text[start:end]:
                continue  # offsets that do not match the text are not shown rather than wrong
            spans.append((start, end, str(label), weight))
    return spans


def text_highlighted(text: str, explanation: Any, *, limit: int | None = None) -> SafeString:
    """The text, escaped, with `<mark>` around the spans of `explanation` (stronger weight,
    stronger colour; the title names the labels). Shows the first `limit` characters."""
    spans = _valid_spans(text, explanation)
    end_at = len(text) if limit is None else min(len(text), limit)
    strongest = max((weight for *_, weight in spans), default=1.0)
    cuts = sorted(
        {0, end_at, *[s for s, *_ in spans if s < end_at], *[min(e, end_at) for _, e, *_ in spans]}
    )
    parts: list[str] = []
    for left, right in itertools.pairwise(cuts):
        covering = [(label, weight) for s, e, label, weight in spans if s <= left and right <= e]
        piece = escape(text[left:right])
        if covering:
            weight = max(weight for _, weight in covering)
            alpha = 0.25 + 0.6 * (weight / strongest)
            title = ", ".join(f"{label} +{weight:.2f}" for label, weight in covering)
            parts.append(
                format_html(
                    '<mark class="tm-hl" style="background:rgba(239,68,68,{})" title="{}">'
                    "{}</mark>",
                    f"{alpha:.2f}",
                    title,
                    piece,
                )
            )
        else:
            parts.append(piece)
    if end_at < len(text):
        parts.append("…")
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 (every piece escaped)


def label_badges(labels: Sequence[str]) -> SafeString:
    if not labels:
        return mark_safe('<span class="tm-muted">—</span>')
    return format_html_join(" ", '<span class="tm-badge">{}</span>', ((label,) for label in labels))


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return f"{timesince(moment).split(',')[0]} ago"


def _audit_row(review: Review) -> dict[str, Any]:
    marks = {1: "yes", 0: "no"}
    before = review.labels_before or {}
    return {
        "review": review,
        "before": " · ".join(
            f"{label} {float(before[label]):.2f}"
            for label in LABELS
            if before.get(label) is not None
        )
        or "—",
        "after": " · ".join(
            f"{label} {marks.get(review.labels_after.get(label), '?')}" for label in LABELS
        ),
    }


# --- the queue ---------------------------------------------------------------------------------


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


class ReviewDecisionForm(forms.Form):
    action = forms.ChoiceField(choices=Decision.choices)
    note = forms.CharField(
        required=False,
        max_length=REVIEW_NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Optional note for the record"}),
    )
    last_review = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for index, label in enumerate(LABELS, start=1):
            self.fields[f"label_{label}"] = forms.TypedChoiceField(
                label=f"{index} · {label}",
                choices=[("1", "yes"), ("0", "no")],
                coerce=int,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "tm-label-choice"}),
            )

    def label_fields(self) -> list[forms.BoundField]:
        return [self[f"label_{label}"] for label in LABELS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("action") == Decision.RELABELED:
            for label in LABELS:
                if cleaned.get(f"label_{label}") in (None, ""):
                    self.add_error(
                        f"label_{label}", "Choose yes or no: a relabel sets every label."
                    )
        return cleaned

    def labels(self) -> dict[str, int] | None:
        if self.cleaned_data.get("action") != Decision.RELABELED:
            return None
        return {label: int(self.cleaned_data[f"label_{label}"]) for label in LABELS}


@admin.register(ReviewQueueItem)
class ReviewQueueAdmin(ReadOnlyAdmin):
    """Flagged comments, highest priority first; decisions on their own page."""

    list_display = [
        "text_display",
        "scores_display",
        "tripped_display",
        "age_display",
        "author_display",
        "priority_display",
        "platform",
    ]
    list_display_links = None
    list_filter = [
        QueueStateFilter,
        "platform",
        FlaggedLabelFilter,
        ScoreRangeFilter,
        "model_version",
        AgeFilter,
    ]
    search_fields = ["text", "external_id", "author_id"]
    list_per_page = 50
    show_full_result_count = False
    actions = ["approve_selected", "remove_selected"]
    change_list_template = "admin/moderation/review_queue/change_list.html"

    class Media:
        css = {"all": ["moderation/review.css"]}
        js = ["moderation/review.js"]

    # permissions: view to see the queue; `review_comment` to decide
    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.review_comment")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return comment_review_queue()

    def get_ordering(self, request: HttpRequest) -> list[str]:
        return ["-priority", "-pk"]

    def get_urls(self) -> list[URLPattern]:
        decide = path(
            "<int:object_id>/decide/",
            self.admin_site.admin_view(self.decide_view),
            name="moderation_reviewqueueitem_decide",
        )
        return [decide, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        token = _queue_filters.set(request.GET.urlencode())
        try:
            return super().changelist_view(
                request, {"title": "Review queue", **(extra_context or {})}
            )
        finally:
            _queue_filters.reset(token)

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        return HttpResponseRedirect(self._decide_url(int(object_id), request.GET.urlencode()))

    # the row ---------------------------------------------------------------------------------

    @admin.display(description="comment")
    def text_display(self, comment: Any) -> str:
        preview = text_highlighted(comment.text, comment.explanation, limit=PREVIEW_CHARS)
        full = ""
        if len(comment.text) > PREVIEW_CHARS:
            full = format_html(
                '<details class="tm-more"><summary>show all {} characters</summary>'
                '<div class="tm-text">{}</div></details>',
                len(comment.text),
                text_highlighted(comment.text, comment.explanation),
            )
        state = ""
        if comment.decision:
            state = format_html(' <span class="tm-state">{}</span>', comment.decision)
        claim = getattr(comment, "review_claim", None)
        if claim is not None and claim.expires_at > timezone.now():
            state += format_html(
                ' <span class="tm-claim" title="claimed {}">🔒 {}</span>',
                _ago(claim.claimed_at),
                claim.moderator.get_username(),
            )
        return format_html(
            '<a class="tm-review-link" href="{}">{}</a>{}<div class="tm-text">{}</div>{}',
            self._decide_url(comment.pk, _queue_filters.get()),
            comment.external_id,
            state,
            preview,
            full,
        )

    @admin.display(description="scores")
    def scores_display(self, comment: Any) -> str:
        return score_badges(comment)

    @admin.display(description="tripped")
    def tripped_display(self, comment: Any) -> str:
        return label_badges(comment.flagged_labels)

    @admin.display(description="age", ordering="created_at")
    def age_display(self, comment: Any) -> str:
        return format_html(
            '<span title="{}">{}</span>', comment.created_at, _ago(comment.created_at)
        )

    @admin.display(description="author")
    def author_display(self, comment: Any) -> str:
        if not comment.author_id:
            return "—"
        return format_html(
            '{}<br><span class="tm-muted">{} other flagged</span>',
            comment.author_id,
            comment.author_flagged_count,
        )

    @admin.display(description="priority", ordering="-priority")
    def priority_display(self, comment: Any) -> str:
        return format_html(
            '<span title="highest score {} + borderline bonus (closeness {})">{}</span>',
            f"{comment.max_score or 0.0:.3f}",
            f"{comment.closeness:.2f}",
            f"{comment.priority:.3f}",
        )

    # bulk decisions ---------------------------------------------------------------------------

    def _bulk(self, request: HttpRequest, queryset: QuerySet[Any], action: str) -> None:
        result = comments_review_bulk(comments=queryset, moderator=request.user, action=action)  # type: ignore[arg-type]
        verb = Decision(action).label.lower()
        if result.reviewed:
            self.message_user(
                request, f"{verb.capitalize()} {len(result.reviewed)} comment(s).", messages.SUCCESS
            )
        for comment, reason in result.skipped:
            self.message_user(
                request, f"{comment.external_id} was not {verb}: {reason}", messages.WARNING
            )

    @admin.action(description="Approve (keep) the selected comments", permissions=["review"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._bulk(request, queryset, Decision.APPROVED)

    @admin.action(description="Remove the selected comments", permissions=["review"])
    def remove_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._bulk(request, queryset, Decision.REMOVED)

    # the decision page ------------------------------------------------------------------------

    def _decide_url(self, comment_id: int, filters: str, **extra: Any) -> str:
        url = reverse("admin:moderation_reviewqueueitem_decide", args=[comment_id])
        query = {"_changelist_filters": filters} if filters else {}
        query.update({key: value for key, value in extra.items() if value is not None})
        return f"{url}?{urlencode(query)}" if query else url

    def _queue_url(self, filters: str) -> str:
        url = reverse("admin:moderation_reviewqueueitem_changelist")
        return f"{url}?{filters}" if filters else url

    def _filtered_queue(self, request: HttpRequest, filters: str) -> QuerySet[Any]:
        """The queue as the moderator filtered it (bad filters fall back to the plain queue)."""
        fake = copy.copy(request)
        fake.method = "GET"
        for query in (filters, ""):
            fake.GET = QueryDict(query)
            try:
                return self.get_changelist_instance(fake).queryset  # type: ignore[no-any-return]
            except (IncorrectLookupParameters, ValueError):
                continue
        return comment_review_queue()

    def _neighbours(
        self, request: HttpRequest, comment: Comment, filters: str
    ) -> tuple[int | None, int | None]:
        priority = comment_priority(comment_id=comment.pk)
        if priority is None:
            return None, None
        return review_queue_neighbours(
            self._filtered_queue(request, filters),
            comment_id=comment.pk,
            priority=priority,
            user_id=int(request.user.pk or 0),
            now=timezone.now(),
        )

    def decide_view(self, request: HttpRequest, object_id: int) -> HttpResponseBase:
        if not self.has_view_permission(request):
            raise PermissionDenied
        filters = request.GET.get("_changelist_filters", "")
        comment = comment_review_queue().filter(pk=object_id).first()
        if comment is None:
            messages.error(request, "That comment is not in the review queue (not flagged).")
            return HttpResponseRedirect(self._queue_url(filters))
        released = request.GET.get("release", "")
        if released.isdigit() and int(released) != comment.pk:
            review_claim_release(comment=Comment(pk=int(released)), moderator=request.user)  # type: ignore[arg-type]

        can_review = self.has_review_permission(request)
        decided = comment.decision in FINAL_DECISIONS
        claim_message = ""
        status = 200
        if request.method == "POST":
            if not can_review:
                raise PermissionDenied
            form = ReviewDecisionForm(request.POST)
            if form.is_valid():
                _, following = self._neighbours(request, comment, filters)
                try:
                    review = comment_review(
                        comment=comment,
                        moderator=request.user,  # type: ignore[arg-type]
                        action=form.cleaned_data["action"],
                        labels=form.labels(),
                        note=form.cleaned_data["note"],
                        expected_last_review_id=form.cleaned_data["last_review"],
                    )
                except InvalidReview as exc:
                    form.add_error(None, exc.message)
                except ReviewError as exc:
                    messages.error(request, exc.message)
                    return HttpResponseRedirect(self._decide_url(comment.pk, filters))
                else:
                    messages.success(
                        request,
                        f"{comment.external_id}: {review.get_action_display().lower()}.",
                    )
                    if following is None:
                        messages.info(request, "That was the last comment in this queue.")
                        return HttpResponseRedirect(self._queue_url(filters))
                    return HttpResponseRedirect(self._decide_url(following, filters))
            status = 400
        else:
            initial: dict[str, Any] = {"last_review": 0}
            thresholds = comment.platform.flag_thresholds
            for label in LABELS:
                score = getattr(comment, f"score_{label}") or 0.0
                initial[f"label_{label}"] = (
                    "1" if score >= float(thresholds.get(label, 0.5)) else "0"
                )
            last = comment_reviews(comment_id=comment.pk).first()
            initial["last_review"] = last.pk if last is not None else 0
            form = ReviewDecisionForm(initial=initial)
            if can_review and not decided:
                try:
                    review_claim_acquire(comment=comment, moderator=request.user)  # type: ignore[arg-type]
                except ClaimedByOther as exc:
                    claim_message = exc.message

        previous, following = self._neighbours(request, comment, filters)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review {comment.external_id}",
            "comment": comment,
            "text_html": text_highlighted(comment.text, comment.explanation),
            "has_highlights": bool(_valid_spans(comment.text, comment.explanation)),
            "scores_html": score_badges(comment),
            "tripped_html": label_badges(comment.flagged_labels),
            "age": _ago(comment.created_at),
            "form": form,
            "reviews": [_audit_row(review) for review in comment_reviews(comment_id=comment.pk)],
            "decided": decided,
            "can_decide": can_review and not decided and not claim_message,
            "claim_message": claim_message,
            "queue_url": self._queue_url(filters),
            "previous_url": self._decide_url(previous, filters, release=comment.pk)
            if previous
            else "",
            "next_url": self._decide_url(following, filters, release=comment.pk)
            if following
            else "",
            "form_url": self._decide_url(comment.pk, filters),
        }
        return TemplateResponse(
            request, "admin/moderation/review_queue/decide.html", context, status=status
        )


# --- the audit log and the corrections export ----------------------------------------------------


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
        export_format = request.GET.get("format", "jsonl")
        platform = request.GET.get("platform") or None
        since_raw = request.GET.get("since") or ""
        problems = []
        if export_format not in EXPORT_FORMATS:
            problems.append(f"format must be one of {', '.join(EXPORT_FORMATS)}.")
        since = None
        if since_raw:
            from django.utils.dateparse import parse_datetime

            try:
                since = parse_datetime(since_raw)
            except ValueError:
                since = None
            if since is None:
                problems.append("since must be an ISO 8601 datetime, e.g. 2026-11-01T00:00Z.")
            elif timezone.is_naive(since):
                since = timezone.make_aware(since, timezone.get_current_timezone())
        if platform and not Platform.objects.filter(name=platform).exists():
            problems.append(f"no platform named {platform!r}.")
        if problems:
            return HttpResponse(
                "Export refused: " + " ".join(problems), status=400, content_type="text/plain"
            )
        return _export_response(corrections_reviews(since=since, platform=platform), export_format)

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


# --- try a text ---------------------------------------------------------------------------------


class TextTrialForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 90, "autofocus": True}), strip=False
    )
    platform = forms.ModelChoiceField(
        queryset=Platform.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label="(no platform: scores only)",
        to_field_name="name",
    )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        limit = int(settings.MODERATION_MAX_TEXT_CHARS)
        if len(text) > limit:
            raise forms.ValidationError(f"At most {limit} characters; this has {len(text)}.")
        if "\x00" in text:
            raise forms.ValidationError("NUL characters are not allowed.")
        return text


@admin.register(TextTrial)
class TextTrialAdmin(SinglePageAdmin):
    """Paste a text, see the active model's scores and what a platform's policy would do."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        if not self.has_view_permission(request):
            raise PermissionDenied
        result = None
        error = ""
        form = TextTrialForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            platform = form.cleaned_data["platform"]
            timeout = float(
                getattr(
                    settings, "MODERATION_TEXT_TRIAL_TIMEOUT_SECONDS", TEXT_TRIAL_TIMEOUT_SECONDS
                )
            )
            try:
                result = text_trial_score(
                    text=form.cleaned_data["text"], platform=platform, timeout_seconds=timeout
                )
            except TextTrialFailed as exc:
                error = exc.message
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Try a text",
            "form": form,
            "error": error,
            "result": result,
        }
        if result is not None:
            platform = form.cleaned_data["platform"]
            thresholds = platform.flag_thresholds if platform is not None else {}
            context["rows"] = [
                {
                    "label": label,
                    "score": result.scores[label],
                    "width": round(100 * result.scores[label]),
                    "threshold": thresholds.get(label),
                    "over": label in (result.outcome.flagged_labels if result.outcome else []),
                }
                for label in LABELS
            ]
            context["text_html"] = text_highlighted(form.cleaned_data["text"], result.explanation)
            context["has_highlights"] = bool(
                _valid_spans(form.cleaned_data["text"], result.explanation)
            )
        return TemplateResponse(
            request,
            "admin/moderation/text_trial.html",
            context,
            status=400 if form.errors else 503 if error else 200,
        )
