"""Input and output of `POST /api/v1/analyze`: texts scored while the request waits."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from classifier.labels import LABELS
from moderation.api.serializers import (
    ScoresSerializer,
    SpanSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictInputSerializer,
    comment_text_clean,
)
from moderation.services.comments import CommentInput


@extend_schema_field(OpenApiTypes.STR)
class _OneText(serializers.Field):  # type: ignore[type-arg]
    def to_internal_value(self, data: Any) -> str:
        return comment_text_clean(data)


class AnalyzeInputSerializer(StrictInputSerializer):
    text = _OneText(required=False, help_text="One text to score; or `texts`.")
    texts = serializers.ListField(
        child=_OneText(),
        required=False,
        allow_empty=False,
        help_text="Up to ANALYZE_MAX_TEXTS (100) texts, answered in order; or `text`.",
    )
    spans = StrictBooleanField(
        default=False, help_text="Also answer, per flagged label, the spans that drove it."
    )
    store = StrictBooleanField(
        default=False,
        help_text="Also store the text(s) as comments, as `POST /api/v1/comments` does; needs "
        "`external_id` (with `text`) or `external_ids` (with `texts`).",
    )
    external_id = StrictCharField(max_length=255, required=False)
    external_ids = serializers.ListField(
        child=StrictCharField(max_length=255), required=False, allow_empty=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = settings.ANALYZE_MAX_TEXTS
        for name in ("texts", "external_ids"):
            field = self.fields[name]
            assert isinstance(field, serializers.ListField)
            from django.core.validators import MaxLengthValidator

            field.validators = [MaxLengthValidator(limit, message=f"At most {limit} texts.")]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("text" in attrs) == ("texts" in attrs):
            raise serializers.ValidationError(
                {"text": ["Give exactly one of `text` (one string) or `texts` (a list)."]},
                code="required",
            )
        one = "text" in attrs
        ids_field, other = (
            ("external_id", "external_ids") if one else ("external_ids", "external_id")
        )
        if other in attrs:
            raise serializers.ValidationError(
                {other: [f"Goes with `{'texts' if one else 'text'}`; use `{ids_field}`."]},
                code="invalid",
            )
        if attrs["store"] and ids_field not in attrs:
            raise serializers.ValidationError(
                {ids_field: ["Required with `store: true`."]}, code="required"
            )
        if not attrs["store"] and ids_field in attrs:
            raise serializers.ValidationError(
                {ids_field: ["Only with `store: true`."]}, code="invalid"
            )
        if not one and "external_ids" in attrs:
            if len(attrs["external_ids"]) != len(attrs["texts"]):
                raise serializers.ValidationError(
                    {"external_ids": ["Must have one id per text."]}, code="invalid"
                )
            if len(set(attrs["external_ids"])) != len(attrs["external_ids"]):
                raise serializers.ValidationError(
                    {"external_ids": ["Must not repeat an id."]}, code="duplicate_in_batch"
                )
        return attrs

    @property
    def texts_given(self) -> list[str]:
        data = self.validated_data
        return [data["text"]] if "text" in data else list(data["texts"])

    @property
    def comments_to_store(self) -> list[CommentInput] | None:
        data = self.validated_data
        if not data["store"]:
            return None
        ids = [data["external_id"]] if "external_id" in data else list(data["external_ids"])
        return [
            CommentInput(external_id=external_id, text=text)
            for external_id, text in zip(ids, self.texts_given, strict=True)
        ]


class AnalyzeResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    scores = ScoresSerializer()
    status = serializers.ChoiceField(
        choices=["allowed", "flagged", "auto_removed"],
        help_text="What the platform's thresholds make of the scores.",
    )
    flagged = serializers.BooleanField()
    flagged_labels = serializers.ListField(child=serializers.ChoiceField(choices=list(LABELS)))
    spans = serializers.DictField(
        child=SpanSerializer(many=True),
        required=False,
        help_text="With `spans: true` only: for each flagged label, the spans behind it.",
    )
    comment_id = serializers.UUIDField(
        required=False, help_text="With `store: true` only: the stored comment's id."
    )


class AnalyzeOutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    model_version = serializers.CharField()
    results = AnalyzeResultSerializer(many=True, help_text="One per text, in order.")
