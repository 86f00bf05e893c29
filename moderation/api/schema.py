"""The OpenAPI schema says what the API really answers, errors included.

Every operation documents the error responses it can give, each with the one error body
(`{"error": {"code", "message", ...}}`): 401, 429 and 503 everywhere, 404 where the path names an
object, 400 where there are query parameters or a body, 413 and 415 where there is a body.
Input serializers that refuse unknown fields say so (`additionalProperties: false`), and
strict strings carry the patterns they are checked against (no NUL; not blank where blank is
refused), so a schema-driven client or fuzzer generates what the API accepts.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import (
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

#: No NUL anywhere (Postgres text cannot hold it).
NO_NUL_PATTERN = r"^[^\u0000]*$"
#: No NUL, and at least one character that is not whitespace.
NOT_BLANK_PATTERN = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"


#: The one error body (see moderation.api.errors).
ERROR_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Stable, machine-readable: see the README's list.",
                },
                "message": {"type": "string", "description": "For a person; may change."},
                "fields": {
                    "type": "object",
                    "description": 'validation_error: `{field: [{"code", "message"}]}`.',
                },
                "items": {
                    "type": "array",
                    "items": {"type": "object"},
                    "description": "batch_rejected: `{index, external_id, errors}` per item.",
                },
                "comment_id": {
                    "type": "string",
                    "format": "uuid",
                    "description": "external_id_conflict: the stored comment.",
                },
                "retry_after_seconds": {
                    "type": "integer",
                    "description": "rate_limited: when to try again.",
                },
            },
        }
    },
}


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ERROR_BODY_SCHEMA, description=description)


_ERRORS: dict[str, str] = {
    "400": "`validation_error` (with `fields`), `malformed_json` or `invalid_utf8`.",
    "401": "`not_authenticated`, `invalid_api_key`, `key_revoked`, `key_expired`, "
    "`invalid_authorization_header` or `platform_disabled`.",
    "404": "`not_found`: no such object for this platform.",
    "413": "`payload_too_large`.",
    "415": "`unsupported_media_type`: send application/json.",
    "429": "`rate_limited`, with `retry_after_seconds`.",
    "503": "`database_unavailable`: nothing was stored; retry after `Retry-After` seconds.",
}


class ModerationAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the error responses each API operation can give."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response" or not self.path.startswith("/api/v1/"):
            return responses
        has_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer()
        has_query = any(parameter["in"] == "query" for parameter in self._get_parameters())
        codes = ["401", "429", "503"]
        if "{" in self.path:
            codes.append("404")
        if has_body or has_query:
            codes.append("400")
        if has_body:
            codes += ["413", "415"]
        for code in codes:
            documented = responses.get(code)
            if documented is None or "content" not in documented:
                description = documented["description"] if documented else _ERRORS[code]
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    error_response(description), code, direction=direction
                )
        for code in ("429", "503"):
            if code in responses:
                responses[code]["headers"] = {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before the next request.",
                    }
                }
        return dict(sorted(responses.items()))


class StrictInputSchema(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    """Input serializers refuse unknown fields: `additionalProperties: false`."""

    target_class = "moderation.api.serializers.StrictInputSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(  # type: ignore[no-untyped-call]
            self.target, direction, bypass_extensions=True
        )
        if direction == "request":
            schema["additionalProperties"] = False
        if not type(self.target).__dict__.get("__doc__"):
            schema.pop("description", None)  # not the base class's docstring
        return schema


class StrictCharFieldSchema(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """JSON strings only, no NUL, and not blank unless the field allows it."""

    target_class = "moderation.api.serializers.StrictCharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer_field(  # type: ignore[no-untyped-call]
            self.target, direction, bypass_extensions=True
        )
        if direction == "request":
            schema["pattern"] = NO_NUL_PATTERN if self.target.allow_blank else NOT_BLANK_PATTERN
        return schema


class CommentItemsSchema(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """A batch's `comments`: 1 to MODERATION_MAX_BATCH_ITEMS comment inputs."""

    target_class = "moderation.api.serializers.CommentItemsField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        from moderation.api.serializers import CommentInputSerializer

        items = auto_schema.resolve_serializer(CommentInputSerializer(), direction)
        schema: dict[str, Any] = {"type": "array", "items": items.ref, "minItems": 1}
        if self.target.max_length is not None:
            schema["maxItems"] = self.target.max_length
        return schema
