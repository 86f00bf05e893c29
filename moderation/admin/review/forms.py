"""The review pages' inputs: a decision (with the moderator's labels and a removal reason), a
decision from a queue row, the corrections export's query, and "try a text"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from classifier.labels import LABELS
from moderation.models import Comment, Decision, Platform
from moderation.services.corrections import EXPORT_FORMATS
from moderation.services.reviews import REVIEW_NOTE_MAX_CHARS, removal_reasons


def labels_initial(comment: Comment) -> dict[str, str]:
    """The label controls prefilled from the model: yes where a score is at or above the
    platform's threshold."""
    thresholds = comment.platform.flag_thresholds
    initial = {}
    for label in LABELS:
        score = getattr(comment, f"score_{label}") or 0.0
        initial[f"label_{label}"] = "1" if score >= float(thresholds.get(label, 0.5)) else "0"
    return initial


class ReviewDecisionForm(forms.Form):
    """One decision. The label controls go with every action: when the moderator changed any
    of them (or relabels), the decision carries the moderator's labels."""

    action = forms.ChoiceField(choices=Decision.choices)
    reason = forms.ChoiceField(required=False, label="Removal reason")
    note = forms.CharField(
        required=False,
        max_length=REVIEW_NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Optional note for the record"}),
    )
    last_review = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [  # type: ignore[attr-defined]
            ("", "— no reason given —"),
            *removal_reasons().items(),
        ]
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

    def labels_changed(self) -> bool:
        """Whether the moderator set some label other than the model's prefill (labels left
        out of the request count as unchanged)."""
        return any(
            f"label_{label}" in self.data and f"label_{label}" in self.changed_data
            for label in LABELS
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        action = cleaned.get("action")
        if action == Decision.RELABELED or (action and self.labels_changed()):
            for label in LABELS:
                if cleaned.get(f"label_{label}") in (None, ""):
                    self.add_error(
                        f"label_{label}", "Choose yes or no: a relabel sets every label."
                    )
        if cleaned.get("reason") and action != Decision.REMOVED:
            cleaned["reason"] = ""  # a reason picked, then approve: the reason does not apply
        return cleaned

    def labels(self) -> dict[str, int] | None:
        """The moderator's labels, or None to let the decision imply them (approve: none
        apply; remove: the model's flags)."""
        if self.cleaned_data.get("action") != Decision.RELABELED and not self.labels_changed():
            return None
        return {label: int(self.cleaned_data[f"label_{label}"]) for label in LABELS}


class QuickDecisionForm(forms.Form):
    """Approve or remove from a queue row (a button, or a key on the current row)."""

    decision = forms.ChoiceField(
        choices=[(Decision.APPROVED, "approve"), (Decision.REMOVED, "remove")]
    )
    last_review = forms.IntegerField(min_value=0, required=False)


class CorrectionsExportForm(forms.Form):
    """`?format=jsonl|csv&platform=NAME&since=ISO` for the export of every correction."""

    format = forms.ChoiceField(
        choices=[(name, name) for name in EXPORT_FORMATS],
        required=False,
        error_messages={"invalid_choice": f"format must be one of {', '.join(EXPORT_FORMATS)}."},
    )
    platform = forms.ModelChoiceField(
        queryset=Platform.objects.all(), to_field_name="name", required=False
    )
    since = forms.DateTimeField(
        required=False,
        error_messages={
            "invalid": "since must be an ISO 8601 datetime, e.g. 2026-11-01T00:00Z.",
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "platform" in self.errors:
            self.errors["platform"] = self.error_class(
                [f"no platform named {self.data.get('platform')!r}."]
            )
        cleaned["format"] = cleaned.get("format") or "jsonl"
        return cleaned

    def problems(self) -> str:
        return " ".join(str(error) for errors in self.errors.values() for error in errors)


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


class AuthorActionForm(forms.Form):
    """Warn, silence for some hours, or ban an author; optionally remove their open flags."""

    action = forms.ChoiceField(
        choices=[("warned", "Warn"), ("silenced", "Silence for"), ("banned", "Ban")],
        widget=forms.RadioSelect,
    )
    silence_hours = forms.IntegerField(
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"size": 4, "placeholder": "hours"}),
    )
    note = forms.CharField(
        required=False,
        max_length=REVIEW_NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Why (sent to the platform)"}),
    )
    remove_open_flagged = forms.BooleanField(
        required=False, label="Also remove all their open flagged comments"
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("action") == "silenced" and not cleaned.get("silence_hours"):
            self.add_error("silence_hours", "Say for how many hours.")
        if cleaned.get("action") != "silenced":
            cleaned["silence_hours"] = None
        return cleaned
