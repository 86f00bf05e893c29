"""The review queue and the decision page. Views parse, call one service, render; a GET only
reads (claims are taken by the page's POST, not by opening it)."""

from __future__ import annotations

import copy
import json
import math
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from moderation.admin.base import ReadOnlyAdmin
from moderation.admin.comments import FlaggedLabelFilter
from moderation.admin.review.authors import author_url
from moderation.admin.review.filters import (
    AgeFilter,
    ClaimFilter,
    QueueStateFilter,
    ScoreRangeFilter,
)
from moderation.admin.review.forms import QuickDecisionForm, ReviewDecisionForm, labels_initial
from moderation.admin.review.presentation import (
    ago,
    audit_row,
    label_badges,
    never_predicted_labels,
    score_bar,
    short_age,
    text_highlighted,
    valid_spans,
)
from moderation.models import FINAL_DECISIONS, Comment, Decision, ReviewQueueItem
from moderation.review_priority import (
    REPORT_WEIGHT,
    review_priority_now,
    review_severity,
)
from moderation.selectors.review_queue import (
    comment_priority,
    comment_review_queue,
    comment_reviews,
    comment_thread,
    review_queue_neighbours,
)
from moderation.services.reviews import (
    ClaimedByOther,
    InvalidReview,
    ReviewError,
    comment_review,
    comments_review_bulk,
    removal_reasons,
    review_claim_acquire,
    review_claim_release,
)

#: Characters of a comment a queue row carries (the row shows one line of it).
PREVIEW_CHARS = 280

# The queue's filters, so each row's review link brings the moderator back to the same queue.
_queue_filters: ContextVar[str] = ContextVar("queue_filters", default="")
# Who is looking, so a row offers "release" on the moderator's own claims.
_queue_user: ContextVar[int | None] = ContextVar("queue_user", default=None)


def comment_named(comment: Comment) -> str:
    """How messages name a comment: its external id and the start of its text."""
    text = " ".join(comment.text.split())
    return f"{comment.external_id} (“{text[:60]}{'…' if len(text) > 60 else ''}”)"


@admin.register(ReviewQueueItem)
class ReviewQueueAdmin(ReadOnlyAdmin):
    """Flagged comments, highest priority first, one line each; decisions on each row (with a
    few seconds to undo) or on their own page."""

    list_display = [
        "text_display",
        "scores_display",
        "age_display",
        "author_display",
        "priority_display",
        "platform",
        "decide_display",
    ]
    list_display_links = None
    list_filter = [
        QueueStateFilter,
        ClaimFilter,
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
        return ["-review_priority", "-pk"]

    def get_list_display(self, request: HttpRequest) -> Any:
        if self.has_review_permission(request):
            return list(self.list_display)
        return [name for name in self.list_display if name != "decide_display"]

    def get_urls(self) -> list[URLPattern]:
        def view(name: str, suffix: str, function: Any) -> Any:
            return path(
                f"<int:object_id>/{suffix}/",
                self.admin_site.admin_view(function),
                name=f"moderation_reviewqueueitem_{name}",
            )

        return [
            view("decide", "decide", self.decide_view),
            view("quick", "quick", self.quick_decide_view),
            view("claim", "claim", self.claim_view),
            view("release", "release", self.release_view),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        token = _queue_filters.set(request.GET.urlencode())
        user_token = _queue_user.set(request.user.pk)
        try:
            response = super().changelist_view(
                request,
                {
                    "title": "Review queue",
                    "is_nav_sidebar_enabled": False,  # the width goes to the comments
                    "undo_seconds": float(settings.MODERATION_REVIEW_UNDO_SECONDS),
                    **(extra_context or {}),
                },
            )
            # The rows are rendered here, while the moderator and the filters are known (a
            # TemplateResponse would otherwise render after this method returned).
            if isinstance(response, TemplateResponse):
                response.render()
            return response
        finally:
            _queue_filters.reset(token)
            _queue_user.reset(user_token)

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        return HttpResponseRedirect(self._decide_url(int(object_id), request.GET.urlencode()))

    # the row ---------------------------------------------------------------------------------

    @admin.display(description="comment")
    def text_display(self, comment: Any) -> str:
        badges = []
        if comment.decision:
            badges.append(format_html('<span class="tm-state">{}</span>', comment.decision))
        claim = getattr(comment, "review_claim", None)
        if claim is not None and claim.expires_at > timezone.now():
            badges.append(
                format_html(
                    '<span class="tm-claim" title="claimed {}">🔒 {}</span>',
                    ago(claim.claimed_at),
                    claim.moderator.get_username(),
                )
            )
        return format_html(
            '<div class="tm-line" title="{}"><a class="tm-review-link" href="{}">{}</a>{} {} '
            '<span class="tm-text">{}</span></div>',
            comment.text[: PREVIEW_CHARS * 2],
            self._decide_url(comment.pk, _queue_filters.get()),
            comment.external_id,
            format_html_join("", " {}", ((badge,) for badge in badges)),
            label_badges(comment.flagged_labels),
            text_highlighted(comment.text, comment.explanation, limit=PREVIEW_CHARS),
        )

    @admin.display(description="scores")
    def scores_display(self, comment: Any) -> str:
        return score_bar(comment)

    @admin.display(description="tripped")
    def tripped_display(self, comment: Any) -> str:
        return label_badges(comment.flagged_labels)

    @admin.display(description="age", ordering="created_at")
    def age_display(self, comment: Any) -> str:
        return format_html(
            '<span title="{} ({})">{}</span>',
            comment.created_at,
            ago(comment.created_at),
            short_age(comment.created_at, timezone.now()),
        )

    @admin.display(description="author")
    def author_display(self, comment: Any) -> str:
        if not comment.author_id:
            return "—"
        return format_html(
            '<a class="tm-author" href="{}" title="{} other flagged comment(s) on {}">{}'
            ' <span class="tm-muted">+{}</span></a>',
            author_url(comment.platform_id, comment.author_id),
            comment.author_flagged_count,
            comment.platform.name,
            comment.author_id,
            comment.author_flagged_count,
        )

    @admin.display(description="prio", ordering="-review_priority")
    def priority_display(self, comment: Any) -> str:
        if comment.review_priority is None:
            return "—"
        now = timezone.now()
        return format_html(
            '<span title="severity {} · waiting {} · {} report(s) (+{})">{}</span>',
            f"{review_severity(comment.scores or {}):.2f}",
            ago(comment.created_at),
            comment.report_count,
            f"{REPORT_WEIGHT * math.log2(1 + comment.report_count):.2f}",
            f"{review_priority_now(comment.review_priority, now=now):.2f}",
        )

    @admin.display(description="decide")
    def decide_display(self, comment: Any) -> str:
        if comment.decision in FINAL_DECISIONS:
            return ""
        quick = reverse("admin:moderation_reviewqueueitem_quick", args=[comment.pk])
        query = urlencode({"last_review": comment.last_review_id, "next": _queue_filters.get()})
        release = ""
        claim = getattr(comment, "review_claim", None)
        if (
            claim is not None
            and claim.expires_at > timezone.now()
            and claim.moderator_id == _queue_user.get()
        ):
            release = format_html(
                ' <button type="submit" class="tm-row-btn tm-release" formmethod="post" '
                'formaction="{}?{}" title="Release your claim">release</button>',
                reverse("admin:moderation_reviewqueueitem_release", args=[comment.pk]),
                urlencode({"next": _queue_filters.get()}),
            )
        return format_html(
            '<span class="tm-row-actions" data-comment="{}" data-name="{}">'
            '<button type="submit" class="tm-row-btn tm-approve" formmethod="post" '
            'formaction="{}?{}" name="decision" value="approved" title="Approve, keep (a)">'
            "✓</button> "
            '<button type="submit" class="tm-row-btn tm-remove" formmethod="post" '
            'formaction="{}?{}" name="decision" value="removed" title="Remove (r)">✕</button>'
            "{}</span>",
            comment.pk,
            comment.external_id,
            quick,
            query,
            quick,
            query,
            release,
        )

    # bulk decisions ---------------------------------------------------------------------------

    def _bulk(self, request: HttpRequest, queryset: QuerySet[Any], action: str) -> None:
        result = comments_review_bulk(comments=queryset, moderator=request.user, action=action)  # type: ignore[arg-type]
        verb = Decision(action).label.lower()
        if result.reviewed:
            names = ", ".join(review.comment.external_id for review in result.reviewed)
            self.message_user(
                request,
                f"{verb.capitalize()} {len(result.reviewed)} comment(s): {names}.",
                messages.SUCCESS,
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

    # one decision from a row, claims ---------------------------------------------------------

    @staticmethod
    def _wants_json(request: HttpRequest) -> bool:
        return "application/json" in request.headers.get("Accept", "")

    def _answer(self, request: HttpRequest, message: str, *, ok: bool, back: str) -> HttpResponse:
        """JSON for the page's script; a message and the way back for a plain form post."""
        if self._wants_json(request):
            return JsonResponse({"ok": ok, "message": message}, status=200 if ok else 409)
        self.message_user(request, message, messages.SUCCESS if ok else messages.ERROR)
        return HttpResponseRedirect(back)

    def _row_comment(self, request: HttpRequest, object_id: int) -> Comment | None:
        """The queue's comment for a row action (its view has already refused non-POST)."""
        if not self.has_review_permission(request):
            raise PermissionDenied
        return comment_review_queue().filter(pk=object_id).first()

    def quick_decide_view(self, request: HttpRequest, object_id: int) -> HttpResponseBase:
        """POST: approve or remove one comment from its queue row."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        comment = self._row_comment(request, object_id)
        back = self._queue_url(request.GET.get("next", ""))
        if comment is None:
            return self._answer(
                request, "That comment is not in the review queue.", ok=False, back=back
            )
        form = QuickDecisionForm(
            {
                "decision": request.POST.get("decision", ""),
                "last_review": request.POST.get("last_review") or request.GET.get("last_review"),
            }
        )
        if not form.is_valid():
            return self._answer(request, "Choose approve or remove.", ok=False, back=back)
        try:
            review = comment_review(
                comment=comment,
                moderator=request.user,  # type: ignore[arg-type]
                action=form.cleaned_data["decision"],
                expected_last_review_id=form.cleaned_data["last_review"],
            )
        except ReviewError as exc:
            return self._answer(
                request, f"{comment_named(comment)}: {exc.message}", ok=False, back=back
            )
        verb = review.get_action_display().lower()
        return self._answer(
            request, f"{verb.capitalize()} {comment_named(comment)}.", ok=True, back=back
        )

    def claim_view(self, request: HttpRequest, object_id: int) -> HttpResponseBase:
        """POST: claim a comment for the moderator (the decision page does it when shown);
        `release` names a comment to let go of at the same time (the one they came from)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        comment = self._row_comment(request, object_id)
        back = self._decide_url(object_id, request.GET.get("next", ""))
        if comment is None:
            return self._answer(
                request, "That comment is not in the review queue.", ok=False, back=back
            )
        released = request.POST.get("release", "")
        if released.isdigit() and int(released) != comment.pk:
            review_claim_release(comment=Comment(pk=int(released)), moderator=request.user)  # type: ignore[arg-type]
        if comment.decision in FINAL_DECISIONS:
            return self._answer(request, "This comment is decided.", ok=False, back=back)
        try:
            claim = review_claim_acquire(comment=comment, moderator=request.user)  # type: ignore[arg-type]
        except ClaimedByOther as exc:
            return self._answer(request, exc.message, ok=False, back=back)
        return self._answer(
            request,
            f"You have {comment.external_id} until {claim.expires_at:%H:%M:%S} UTC.",
            ok=True,
            back=back,
        )

    def release_view(self, request: HttpRequest, object_id: int) -> HttpResponseBase:
        """POST: give up the moderator's claim on a comment (from the queue's row)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        comment = self._row_comment(request, object_id)
        back = self._queue_url(request.GET.get("next", ""))
        if comment is None:
            return self._answer(
                request, "That comment is not in the review queue.", ok=False, back=back
            )
        review_claim_release(comment=comment, moderator=request.user)  # type: ignore[arg-type]
        return self._answer(request, f"Released {comment_named(comment)}.", ok=True, back=back)

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

        can_review = self.has_review_permission(request)
        decided = comment.decision in FINAL_DECISIONS
        status = 200
        if request.method == "POST":
            if not can_review:
                raise PermissionDenied
            form = ReviewDecisionForm(request.POST, initial=labels_initial(comment))
            if form.is_valid():
                _, following = self._neighbours(request, comment, filters)
                try:
                    review = comment_review(
                        comment=comment,
                        moderator=request.user,  # type: ignore[arg-type]
                        action=form.cleaned_data["action"],
                        labels=form.labels(),
                        note=form.cleaned_data["note"],
                        reason=form.cleaned_data["reason"],
                        expected_last_review_id=form.cleaned_data["last_review"],
                    )
                except InvalidReview as exc:
                    form.add_error(None, exc.message)
                except ReviewError as exc:
                    messages.error(request, f"{comment_named(comment)}: {exc.message}")
                    return HttpResponseRedirect(self._decide_url(comment.pk, filters))
                else:
                    own = " with your labels" if form.labels() is not None else ""
                    messages.success(
                        request,
                        f"{review.get_action_display()}{own}: {comment_named(comment)}.",
                    )
                    if following is None:
                        messages.info(request, "That was the last comment in this queue.")
                        return HttpResponseRedirect(self._queue_url(filters))
                    return HttpResponseRedirect(
                        self._decide_url(following, filters, came_from=comment.pk)
                    )
            status = 400
        else:
            last = comment_reviews(comment_id=comment.pk).first()
            form = ReviewDecisionForm(
                initial={**labels_initial(comment), "last_review": last.pk if last else 0}
            )

        # Reading the page writes nothing: the claim is taken by the page's script (a POST).
        claim_message = ""
        claim = getattr(comment, "review_claim", None)
        now = timezone.now()
        if claim is not None and claim.expires_at > now and claim.moderator_id != request.user.pk:
            claim_message = (
                f"{claim.moderator.get_username()} opened this comment {ago(claim.claimed_at)} "
                f"and is deciding it (their claim runs until {claim.expires_at:%H:%M:%S} UTC)."
            )
        previous, following = self._neighbours(request, comment, filters)
        came_from = request.GET.get("came_from", "")
        never = never_predicted_labels(comment)
        metadata = comment.metadata if isinstance(comment.metadata, dict) else {}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review {comment.external_id}",
            "comment": comment,
            "text_html": text_highlighted(comment.text, comment.explanation),
            "has_highlights": bool(valid_spans(comment.text, comment.explanation)),
            "scores_html": score_bar(comment),
            "never_predicted": sorted(never),
            "tripped_html": label_badges(comment.flagged_labels),
            "age": ago(comment.created_at),
            "priority": review_priority_now(comment.review_priority, now=now)
            if comment.review_priority is not None
            else None,
            "metadata_json": json.dumps(metadata, indent=2, ensure_ascii=False, sort_keys=True)
            if metadata
            else "",
            "thread": comment_thread(comment),
            "author_url": author_url(comment.platform_id, comment.author_id)
            if comment.author_id
            else "",
            "form": form,
            "reasons": removal_reasons(),
            "reviews": [audit_row(review) for review in comment_reviews(comment_id=comment.pk)],
            "decided": decided,
            "can_decide": can_review and not decided and not claim_message,
            "claim_url": reverse("admin:moderation_reviewqueueitem_claim", args=[comment.pk])
            if can_review and not decided
            else "",
            "came_from": came_from if came_from.isdigit() else "",
            "claim_message": claim_message,
            "queue_url": self._queue_url(filters),
            "previous_url": self._decide_url(previous, filters, came_from=comment.pk)
            if previous
            else "",
            "next_url": self._decide_url(following, filters, came_from=comment.pk)
            if following
            else "",
            "form_url": self._decide_url(comment.pk, filters),
        }
        return TemplateResponse(
            request, "admin/moderation/review_queue/decide.html", context, status=status
        )
