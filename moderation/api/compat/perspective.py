"""Perspective API's `comments:analyze` and `comments:suggestscore`, answered by our model.

A Perspective client changes only its base URL (and passes one of our platform keys as
`?key=`): requests and answers keep Perspective's shape, errors Google's
(`{"error": {"code", "message", "status", "details"}}`). Our labels answer Perspective's six
production attributes (PERSPECTIVE_ATTRIBUTES); any other attribute is refused by name.
"""

from __future__ import annotations

from typing import Any, Final

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from moderation.api.auth import ApiKeyAuthentication, PlatformClient, QueryKeyAuthentication
from moderation.api.compat.errors import CompatBadRequest, compat_exception_handler
from moderation.api.serializers import comment_text_clean
from moderation.services.analysis import texts_analyze
from moderation.services.feedback import comment_score_suggest

#: Perspective's attribute name -> our label that answers it.
PERSPECTIVE_ATTRIBUTES: Final[dict[str, str]] = {
    "TOXICITY": "toxic",
    "SEVERE_TOXICITY": "severe_toxic",
    "IDENTITY_ATTACK": "identity_hate",
    "INSULT": "insult",
    "PROFANITY": "obscene",
    "THREAT": "threat",
}
#: The languages our model scores.
LANGUAGES: Final = ("en",)

_ANALYZE_FIELDS: Final = frozenset(
    {
        "comment",
        "context",
        "requestedAttributes",
        "spanAnnotations",
        "languages",
        "doNotStore",
        "clientToken",
        "sessionId",
        "communityId",
    }
)
_SUGGEST_FIELDS: Final = frozenset(
    {"comment", "context", "attributeScores", "languages", "communityId", "clientToken"}
)
_MAX_TOKEN_CHARS: Final = 512

_GOOGLE_STATUS: Final = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "INVALID_ARGUMENT",
    409: "ALREADY_EXISTS",
    413: "INVALID_ARGUMENT",
    415: "INVALID_ARGUMENT",
    422: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}


def _google_error(
    status_code: int, code: str, bad_request: CompatBadRequest | None, message: str
) -> dict[str, Any]:
    error: dict[str, Any] = {
        "code": status_code,
        "message": message,
        "status": _GOOGLE_STATUS.get(status_code, "INTERNAL"),
    }
    reason = bad_request.reason if bad_request else ""
    error["details"] = [
        {
            "@type": "type.googleapis.com/google.commentanalyzer.v1alpha1.Error",
            "errorType": reason or code.upper(),
        }
    ]
    return {"error": error}


def _refuse(message: str, reason: str = "") -> CompatBadRequest:
    return CompatBadRequest(message, reason=reason)


def _object(body: Any, name: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _refuse(f'Invalid value at "{name}": must be a JSON object.')
    return body


def _known_fields(body: dict[str, Any], known: frozenset[str], where: str = "") -> None:
    for name in sorted(set(body) - known):
        raise _refuse(
            f'Invalid JSON payload received. Unknown name "{name}"{where}: Cannot find field.'
        )


def _optional(body: dict[str, Any], name: str, kind: type, what: str) -> Any:
    value = body.get(name)
    if value is not None and not isinstance(value, kind):
        raise _refuse(f'Invalid value at "{name}": must be {what}.')
    if isinstance(value, str) and (len(value) > _MAX_TOKEN_CHARS or "\x00" in value):
        raise _refuse(f'Invalid value at "{name}": at most {_MAX_TOKEN_CHARS} characters.')
    return value


def _comment_text(body: dict[str, Any]) -> str:
    if "comment" not in body:
        raise _refuse("Comment must be specified.", "COMMENT_EMPTY")
    comment = _object(body["comment"], "comment")
    _known_fields(comment, frozenset({"text", "type"}), " at 'comment'")
    if comment.get("type", "PLAIN_TEXT") not in ("PLAIN_TEXT", None):
        raise _refuse("Only PLAIN_TEXT comments are supported.", "COMMENT_TYPE_NOT_SUPPORTED")
    try:
        return comment_text_clean(comment.get("text", ""))
    except serializers.ValidationError as exc:
        codes = exc.get_codes()
        code = codes[0] if isinstance(codes, list) and codes else str(codes)
        if code == "max_length":
            raise _refuse("Comment text is too long.", "COMMENT_TOO_LONG") from exc
        if code in ("blank", "no_visible_text", "required"):
            raise _refuse("Comment must be non-empty.", "COMMENT_EMPTY") from exc
        raise _refuse(f'Invalid value at "comment.text": {_message(exc)}') from exc


def _message(exc: serializers.ValidationError) -> str:
    detail: Any = exc.detail
    while isinstance(detail, list) and detail:
        detail = detail[0]
    return str(detail)


def _languages(body: dict[str, Any], attributes: list[str]) -> list[str]:
    languages = body.get("languages")
    if languages is None:
        return list(LANGUAGES)
    if not isinstance(languages, list) or not all(isinstance(item, str) for item in languages):
        raise _refuse('Invalid value at "languages": must be a list of strings.')
    if languages and not any(item.lower().split("-")[0] in LANGUAGES for item in languages):
        raise _refuse(
            f"Attribute {attributes[0] if attributes else 'TOXICITY'} does not support request "
            f"languages: {','.join(languages)[:200]}",
            "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
        )
    return list(LANGUAGES)


def _attribute(name: str) -> str:
    if name not in PERSPECTIVE_ATTRIBUTES:
        raise _refuse(
            f"Attribute {name[:100]} does not exist: this server answers "
            f"{', '.join(PERSPECTIVE_ATTRIBUTES)}.",
            "ATTRIBUTE_NOT_SUPPORTED",
        )
    return PERSPECTIVE_ATTRIBUTES[name]


def _requested(body: dict[str, Any]) -> dict[str, float | None]:
    """{attribute: its scoreThreshold or None}."""
    requested = body.get("requestedAttributes")
    if not isinstance(requested, dict) or not requested:
        raise _refuse("requestedAttributes must name at least one attribute.")
    thresholds: dict[str, float | None] = {}
    for name, options in requested.items():
        _attribute(name)
        options = _object(options if options is not None else {}, f"requestedAttributes.{name}")
        _known_fields(options, frozenset({"scoreType", "scoreThreshold"}), f" at '{name}'")
        if options.get("scoreType") not in (None, "", "PROBABILITY"):
            raise _refuse(
                f"Score type {str(options['scoreType'])[:50]} is not supported; only PROBABILITY.",
                "INVALID_SCORE_TYPE",
            )
        threshold = options.get("scoreThreshold")
        if threshold is not None and (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not 0 <= threshold <= 1
        ):
            raise _refuse(f'Invalid value at "requestedAttributes.{name}.scoreThreshold".')
        thresholds[name] = None if threshold is None else float(threshold)
    return thresholds


def _score(value: float) -> dict[str, Any]:
    return {"value": value, "type": "PROBABILITY"}


_COMPAT_SCHEMA: Final = {
    "request": OpenApiTypes.OBJECT,
    "responses": {
        code: OpenApiResponse(OpenApiTypes.OBJECT)
        for code in (200, 400, 401, 409, 413, 415, 422, 429, 503)
    },
    "tags": ["compatibility"],
}


class PerspectiveApi(APIView):
    """Perspective's key as `?key=`, or ours as a Bearer header; errors in Google's format."""

    authentication_classes = [ApiKeyAuthentication, QueryKeyAuthentication]

    def get_exception_handler(self) -> Any:
        return compat_exception_handler(_google_error)

    def _platform_client(self, request: Request) -> PlatformClient:
        client = request.user
        assert isinstance(client, PlatformClient)
        return client


class PerspectiveAnalyzeApi(PerspectiveApi):
    @extend_schema(
        summary="Perspective-compatible comments:analyze (synchronous)",
        description="Perspective API's `comments:analyze`; see docs/compatibility.md.",
        **_COMPAT_SCHEMA,  # type: ignore[arg-type]
    )
    def post(self, request: Request) -> Response:
        body = _object(request.data, "body")
        _known_fields(body, _ANALYZE_FIELDS)
        text = _comment_text(body)
        requested = _requested(body)
        languages = _languages(body, list(requested))
        spans = _optional(body, "spanAnnotations", bool, "true or false")
        _optional(body, "doNotStore", bool, "true or false")
        token = _optional(body, "clientToken", str, "a string")
        _optional(body, "sessionId", str, "a string")
        _optional(body, "communityId", str, "a string")
        if body.get("context") is not None:
            _object(body["context"], "context")
        # Nothing is ever stored here, so doNotStore is honoured whatever it says.
        result = texts_analyze(platform=self._platform_client(request).platform, texts=[text])
        scores = result.texts[0].scores
        attribute_scores: dict[str, Any] = {}
        for name, threshold in requested.items():
            value = scores[PERSPECTIVE_ATTRIBUTES[name]]
            if threshold is not None and value < threshold:
                continue
            entry: dict[str, Any] = {"summaryScore": _score(value)}
            if spans:
                # One span, the whole text: the model scores texts, not sentences.
                entry["spanScores"] = [{"begin": 0, "end": len(text), "score": _score(value)}]
            attribute_scores[name] = entry
        answer: dict[str, Any] = {"attributeScores": attribute_scores, "languages": languages}
        if token is not None:
            answer["clientToken"] = token
        return Response(answer)


class PerspectiveSuggestScoreApi(PerspectiveApi):
    @extend_schema(
        summary="Perspective-compatible comments:suggestscore",
        description="Stores the suggested scores as a correction that retraining reads; see "
        "docs/compatibility.md.",
        **_COMPAT_SCHEMA,  # type: ignore[arg-type]
    )
    def post(self, request: Request) -> Response:
        body = _object(request.data, "body")
        _known_fields(body, _SUGGEST_FIELDS)
        text = _comment_text(body)
        suggested = body.get("attributeScores")
        if not isinstance(suggested, dict) or not suggested:
            raise _refuse("attributeScores must name at least one attribute.")
        labels: dict[str, float] = {}
        for name, entry in suggested.items():
            label = _attribute(name)
            entry = _object(entry, f"attributeScores.{name}")
            _known_fields(entry, frozenset({"summaryScore", "spanScores"}), f" at '{name}'")
            summary = _object(entry.get("summaryScore"), f"attributeScores.{name}.summaryScore")
            _known_fields(summary, frozenset({"value", "type"}), f" at '{name}.summaryScore'")
            value = summary.get("value")
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise _refuse(
                    f'Invalid value at "attributeScores.{name}.summaryScore.value": '
                    "a number from 0 to 1."
                )
            labels[label] = float(value)
        _languages(body, list(suggested))
        token = _optional(body, "clientToken", str, "a string")
        _optional(body, "communityId", str, "a string")
        if body.get("context") is not None:
            _object(body["context"], "context")
        client = self._platform_client(request)
        comment_score_suggest(
            platform=client.platform,
            text=text,
            suggested=labels,
            suggested_by=f"perspective-suggestscore:{client.api_key.prefix}",
            client_token=token or "",
        )
        answer: dict[str, Any] = {}
        if token is not None:
            answer["clientToken"] = token
        return Response(answer)
