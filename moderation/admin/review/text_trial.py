"""Try a text: the active model's scores for a pasted text, and what a platform would do."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse

from classifier.labels import LABELS
from moderation.admin.base import SinglePageAdmin
from moderation.admin.review.forms import TextTrialForm
from moderation.admin.review.presentation import text_highlighted, valid_spans
from moderation.models import Platform, TextTrial
from moderation.services.reviews import TextTrialFailed, text_trial_score

#: How long "try a text" waits for a worker, in seconds.
TEXT_TRIAL_TIMEOUT_SECONDS = 10.0


@admin.register(TextTrial)
class TextTrialAdmin(SinglePageAdmin):
    """Paste a text, see the active model's scores and what a platform's policy would do."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        if not self.has_view_permission(request):
            raise PermissionDenied
        result = None
        error = ""
        platforms = list(Platform.objects.filter(is_active=True).order_by("name")[:2])
        only = platforms[0] if len(platforms) == 1 else None
        form = TextTrialForm(
            request.POST or None, initial={"platform": only.name if only is not None else None}
        )
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
            default = float(settings.MODERATION_DEFAULT_FLAG_THRESHOLD)
            # Only what would be flagged is highlighted: the words behind a 0.02 score are noise.
            flagged = (
                list(result.outcome.flagged_labels)
                if result.outcome is not None
                else [label for label in LABELS if result.scores[label] >= default]
            )
            context["flagged"] = flagged
            context["rows"] = [
                {
                    "label": label,
                    "score": result.scores[label],
                    "width": round(100 * result.scores[label]),
                    "threshold": thresholds.get(label),
                    "over": label in flagged,
                }
                for label in LABELS
            ]
            text = form.cleaned_data["text"]
            context["text_html"] = text_highlighted(text, result.explanation, labels=flagged)
            context["has_highlights"] = bool(valid_spans(text, result.explanation, labels=flagged))
        return TemplateResponse(
            request,
            "admin/moderation/text_trial.html",
            context,
            status=400 if form.errors else 503 if error else 200,
        )
