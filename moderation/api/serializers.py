"""Input serializers parse and check; output serializers render. Neither holds business logic."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from classifier.labels import LABELS
from classifier.text import normalize_text
from moderation.api.parsers import json_depth
from moderation.models import Comment, CommentStatus
from moderation.services.comments import CommentInput


def _has_lone_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class StrictCharField(serializers.CharField):
    """A CharField that takes only JSON strings (DRF would turn 123 into "123")."""

    default_error_messages = {
        "invalid_type": "Must be a string.",
        "invalid_unicode": "Must be valid Unicode (no lone surrogate code points).",
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid_type")
        if _has_lone_surrogate(data):
            self.fail("invalid_unicode")
        return str(super().to_internal_value(data))


class StrictBooleanField(serializers.BooleanField):
    """Only JSON true/false (DRF would also take "yes", 1, "on")."""

    default_error_messages = {"invalid_type": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid_type")
        return data


def _json_has_bad_text(value: Any) -> bool:
    """True if any key or string inside a JSON value holds NUL or a lone surrogate."""
    if isinstance(value, str):
        return "\x00" in value or _has_lone_surrogate(value)
    if isinstance(value, dict):
        return any(_json_has_bad_text(k) or _json_has_bad_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_bad_text(item) for item in value)
    return False


def _json_key_count(value: Any) -> int:
    """Object keys at every level of a JSON value (its depth is already bounded)."""
    if isinstance(value, dict):
        return len(value) + sum(_json_key_count(child) for child in value.values())
    if isinstance(value, list):
        return sum(_json_key_count(child) for child in value)
    return 0


@extend_schema_field(OpenApiTypes.OBJECT)
class MetadataField(serializers.Field):  # type: ignore[type-arg]
    """A small JSON object the platform wants stored with the comment and returned as is.

    Limits: MODERATION_MAX_METADATA_DEPTH levels of nesting (the object itself is level 1),
    MODERATION_MAX_METADATA_KEYS keys in all, MODERATION_MAX_METADATA_BYTES as compact JSON.
    """

    default_error_messages = {
        "invalid_type": "Must be a JSON object.",
        "too_deep": "Must nest at most {limit} levels deep (the object itself is level 1).",
        "too_many_keys": "Must have at most {limit} keys in all, nested ones included.",
        "too_large": "Must be at most {limit} bytes as compact JSON.",
        "invalid_text": "Keys and strings must not contain NUL characters or lone surrogates.",
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("invalid_type")
        depth_limit = settings.MODERATION_MAX_METADATA_DEPTH
        if json_depth(data) > depth_limit:
            self.fail("too_deep", limit=depth_limit)
        keys_limit = settings.MODERATION_MAX_METADATA_KEYS
        if _json_key_count(data) > keys_limit:
            self.fail("too_many_keys", limit=keys_limit)
        if _json_has_bad_text(data):
            self.fail("invalid_text")
        limit = settings.MODERATION_MAX_METADATA_BYTES
        if len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()) > limit:
            self.fail("too_large", limit=limit)
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class StrictInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Refuses fields it does not know, instead of silently dropping them."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        str(name): [
                            serializers.ErrorDetail(
                                f"Unknown field; allowed fields are {sorted(self.fields)}.",
                                code="unknown_field",
                            )
                        ]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


def _visible_text(value: str) -> str:
    if not value.strip():
        raise serializers.ValidationError("Must not be blank.", code="blank")
    if not normalize_text(value):
        # Only zero-width, bidi, control or other invisible characters: the model would
        # score an empty text, and a moderator would see nothing.
        raise serializers.ValidationError(
            "Must contain visible text; this is only invisible, formatting or control characters.",
            code="no_visible_text",
        )
    return value


def comment_text_clean(value: Any) -> str:
    """`value` if it is a text a comment may have (a string of 1 to MODERATION_MAX_TEXT_CHARS
    characters with visible text, no NUL, no lone surrogate); else serializers.ValidationError
    with the same codes as a comment's `text` field."""
    limit = settings.MODERATION_MAX_TEXT_CHARS
    field = StrictCharField(trim_whitespace=False, max_length=limit)
    return _visible_text(field.run_validation(value))


class CommentInputSerializer(StrictInputSerializer):
    external_id = StrictCharField(
        max_length=255, help_text="Your id for the comment; unique per platform."
    )
    text = StrictCharField(trim_whitespace=False, help_text="The comment text (UTF-8).")
    author_id = StrictCharField(
        max_length=255, required=False, allow_blank=True, default="", help_text="Your author id."
    )
    metadata = MetadataField(required=False, default=dict)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        text = self.fields["text"]
        assert isinstance(text, serializers.CharField)
        limit = settings.MODERATION_MAX_TEXT_CHARS
        text.max_length = limit
        text.help_text = f"The comment text, 1 to {limit} characters."
        from django.core.validators import MaxLengthValidator

        text.validators = [v for v in text.validators if not isinstance(v, MaxLengthValidator)] + [
            MaxLengthValidator(limit, message=f"Must be at most {limit} characters.")
        ]

    def validate_text(self, value: str) -> str:
        return _visible_text(value)

    def to_comment_input(self) -> CommentInput:
        return self.comment_input(self.validated_data)

    @staticmethod
    def comment_input(data: Mapping[str, Any]) -> CommentInput:
        """The service's input from validated data (`is_valid` or `run_validation`)."""
        return CommentInput(
            external_id=data["external_id"],
            text=data["text"],
            author_id=data.get("author_id", ""),
            metadata=data.get("metadata", {}),
        )


class CommentItemsField(serializers.ListField):
    """The batch's items, each checked later by CommentInputSerializer so that every bad item
    is named by its index; documented as a list of comments."""


class CommentBatchInputSerializer(StrictInputSerializer):
    comments = CommentItemsField(child=serializers.JSONField(), allow_empty=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = settings.MODERATION_MAX_BATCH_ITEMS
        field = self.fields["comments"]
        assert isinstance(field, serializers.ListField)
        field.max_length = limit
        from django.core.validators import MaxLengthValidator

        field.validators = [
            MaxLengthValidator(limit, message=f"At most {limit} comments per batch.")
        ]


class CommentDetailQuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    explain = serializers.BooleanField(
        default=False, help_text="Include `explanation`: the spans behind each flagged label."
    )


class ScoresSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One probability in [0, 1] per label."""

    toxic = serializers.FloatField()
    severe_toxic = serializers.FloatField()
    obscene = serializers.FloatField()
    threat = serializers.FloatField()
    insult = serializers.FloatField()
    identity_hate = serializers.FloatField()


class DecisionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    action = serializers.CharField()
    decided_at = serializers.DateTimeField()


class CommentOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="public_id", read_only=True)
    status = serializers.ChoiceField(choices=CommentStatus.choices)
    flagged = serializers.BooleanField(source="is_flagged")
    flagged_labels = serializers.ListField(child=serializers.ChoiceField(choices=list(LABELS)))
    scores = ScoresSerializer(allow_null=True)
    model_version = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()
    scoring_error = serializers.SerializerMethodField(
        help_text="Why scoring gave up on this comment (status `failed`); null otherwise."
    )

    class Meta:
        model = Comment
        fields = [
            "id",
            "external_id",
            "text",
            "author_id",
            "metadata",
            "status",
            "flagged",
            "flagged_labels",
            "scores",
            "model_version",
            "decision",
            "created_at",
            "scored_at",
            "scoring_error",
        ]

    def get_model_version(self, comment: Comment) -> str | None:
        return comment.model_version.version if comment.model_version else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_scoring_error(self, comment: Comment) -> str | None:
        return comment.scoring_error if comment.status == CommentStatus.FAILED else None

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, comment: Comment) -> dict[str, Any] | None:
        if not comment.decision:
            return None
        return {"action": comment.decision, "decided_at": comment.decided_at}


class SpanSerializer(serializers.Serializer):  # type: ignore[type-arg]
    start = serializers.IntegerField(help_text="Character offset into `text` (inclusive).")
    end = serializers.IntegerField(help_text="Character offset into `text` (exclusive).")
    text = serializers.CharField()
    weight = serializers.FloatField(help_text="How much the span pushes the label's score up.")


class CommentExplainedSerializer(CommentOutputSerializer):
    explanation = serializers.DictField(
        child=SpanSerializer(many=True),
        # Present only with ?explain=true: the detail endpoint documents one response schema.
        required=False,
        help_text="With `?explain=true` only: for each flagged label, the spans of the text "
        "that drove its score, strongest first (computed when the comment was scored; empty "
        "if none was flagged).",
    )

    class Meta(CommentOutputSerializer.Meta):
        fields = [*CommentOutputSerializer.Meta.fields, "explanation"]


class CommentAcceptedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="comment.public_id")
    external_id = serializers.CharField(source="comment.external_id")
    status = serializers.CharField(source="comment.status")
    created = serializers.BooleanField()


class CommentBatchAcceptedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    comments = CommentAcceptedSerializer(many=True)


class CommentReportInputSerializer(StrictInputSerializer):
    reporter_id = StrictCharField(max_length=255, help_text="Your id of the reporting user.")
    reason = StrictCharField(
        max_length=2000, trim_whitespace=False, help_text="The user's reason, as given."
    )


class CommentReportOutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    comment_id = serializers.UUIDField(source="comment.public_id")
    reporter_id = serializers.CharField(source="report.reporter_id")
    reason = serializers.CharField(source="report.reason")
    created_at = serializers.DateTimeField(source="report.created_at")
    report_count = serializers.IntegerField(
        source="comment.report_count", help_text="Distinct reporters of the comment so far."
    )
    status = serializers.CharField(source="comment.status")


class CommentEditInputSerializer(StrictInputSerializer):
    text = StrictCharField(trim_whitespace=False, help_text="The new text; scored again.")

    def validate_text(self, value: str) -> str:
        return comment_text_clean(value)
