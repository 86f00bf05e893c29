"""`POST /v1/moderations`: OpenAI's moderation endpoint, answered by our model.

Takes OpenAI's request (`input`: a string, a list of strings, or a list of text parts;
`model`) and answers its shape (`id`, `model`, `results[]` with `flagged`, `categories`,
`category_scores`, `category_applied_input_types`), with OpenAI's error body. Our labels are
mapped onto the categories they cover (OPENAI_CATEGORY_LABELS); the others are 0 and never
flagged. Each result also carries our own answer under `toxmod`.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from moderation.api.auth import PlatformClient
from moderation.api.compat.errors import CompatBadRequest, compat_exception_handler
from moderation.api.serializers import comment_text_clean
from moderation.models import CommentStatus
from moderation.services.analysis import TextAnalysis, texts_analyze

#: OpenAI's 13 categories, in its order.
OPENAI_CATEGORIES: Final = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

#: The categories our labels cover, each with the labels it is made of: its score is the
#: lowest of their scores, and it is flagged when all of them are flagged under the platform's
#: thresholds. A category not listed has no label of ours behind it: 0, never flagged.
OPENAI_CATEGORY_LABELS: Final[dict[str, tuple[str, ...]]] = {
    "harassment": ("insult",),
    "harassment/threatening": ("threat",),
    "hate": ("identity_hate",),
    "hate/threatening": ("identity_hate", "threat"),
    "violence": ("threat",),
}

_KNOWN_FIELDS: Final = frozenset({"input", "model"})
_MAX_MODEL_CHARS: Final = 200


def _openai_error(
    status_code: int, code: str, bad_request: CompatBadRequest | None, message: str
) -> dict[str, Any]:
    if status_code == 429:
        kind = "rate_limit_exceeded"
    elif status_code >= 500:
        kind = "server_error"
    elif status_code in (401, 403):
        kind = "invalid_request_error" if code != "permission_denied" else "permission_error"
    else:
        kind = "invalid_request_error"
    return {
        "error": {
            "message": message,
            "type": kind,
            "param": bad_request.param if bad_request else None,
            "code": (bad_request.reason or None) if bad_request else code,
        }
    }


def _texts(raw: Any) -> list[str]:
    """The texts to score (one result each) from OpenAI's `input`. Raises CompatBadRequest in
    OpenAI's words."""
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list) or not raw:
        raise CompatBadRequest(
            "'input' must be a string, a non-empty array of strings, or a non-empty array of "
            "input objects.",
            param="input",
        )
    if all(isinstance(item, str) for item in raw):
        return list(raw)
    if not all(isinstance(item, dict) for item in raw):
        raise CompatBadRequest("'input' must not mix strings and input objects.", param="input")
    # An array of input objects is one multi-part input, and gets one result.
    parts = []
    for index, item in enumerate(raw):
        kind = item.get("type")
        if kind == "image_url":
            raise CompatBadRequest(
                "Image input is not supported: this server scores text only. Send the text "
                "parts alone.",
                param=f"input[{index}]",
                reason="image_input_not_supported",
            )
        if kind != "text" or set(item) != {"type", "text"} or not isinstance(item["text"], str):
            raise CompatBadRequest(
                "Each input object must be {'type': 'text', 'text': <string>}.",
                param=f"input[{index}]",
            )
        parts.append(item["text"])
    return ["\n".join(parts)]


def _result(analysis: TextAnalysis) -> dict[str, Any]:
    scores = analysis.scores
    flagged_labels = set(analysis.outcome.flagged_labels)
    category_scores: dict[str, float] = {}
    categories: dict[str, bool] = {}
    for category in OPENAI_CATEGORIES:
        labels = OPENAI_CATEGORY_LABELS.get(category, ())
        category_scores[category] = min((scores[label] for label in labels), default=0.0)
        categories[category] = bool(labels) and all(label in flagged_labels for label in labels)
    return {
        "flagged": analysis.outcome.status != CommentStatus.ALLOWED,
        "categories": categories,
        "category_scores": category_scores,
        "category_applied_input_types": {category: ["text"] for category in OPENAI_CATEGORIES},
        "toxmod": {
            "scores": scores,
            "flagged_labels": analysis.outcome.flagged_labels,
            "status": str(analysis.outcome.status),
        },
    }


class OpenAIModerationsApi(APIView):
    @extend_schema(
        summary="OpenAI-compatible moderation (synchronous)",
        description="OpenAI's `POST /v1/moderations`: point the `openai` client's `base_url` "
        "at this server's `/v1` with a platform key. Errors in OpenAI's format. See "
        "docs/compatibility.md.",
        request=OpenApiTypes.OBJECT,
        responses={
            code: OpenApiResponse(OpenApiTypes.OBJECT)
            for code in (200, 400, 401, 413, 415, 422, 429, 503)
        },
        tags=["compatibility"],
    )
    def post(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, dict):
            raise CompatBadRequest("The request body must be a JSON object.")
        for name in sorted(set(body) - _KNOWN_FIELDS):
            raise CompatBadRequest(f"Unrecognized request argument supplied: {name}", param=name)
        if "input" not in body:
            raise CompatBadRequest("Missing required parameter: 'input'.", param="input")
        texts = _texts(body["input"])
        limit = settings.ANALYZE_MAX_TEXTS
        if len(texts) > limit:
            raise CompatBadRequest(f"'input' may hold at most {limit} strings.", param="input")
        model = body.get("model", "")
        if not isinstance(model, str) or len(model) > _MAX_MODEL_CHARS or "\x00" in model:
            raise CompatBadRequest("'model' must be a string.", param="model")
        for index, text in enumerate(texts):
            try:
                comment_text_clean(text)
            except serializers.ValidationError as exc:
                message = _first_message(exc.detail)
                param = "input" if isinstance(body["input"], str) else f"input[{index}]"
                raise CompatBadRequest(f"{param}: {message}", param=param) from exc
        client = request.user
        assert isinstance(client, PlatformClient)
        result = texts_analyze(platform=client.platform, texts=texts)
        return Response(
            {
                "id": f"modr-{uuid.uuid4().hex}",
                "model": result.model_version,
                "results": [_result(analysis) for analysis in result.texts],
            }
        )

    def get_exception_handler(self) -> Any:
        return compat_exception_handler(_openai_error)


def _first_message(detail: Any) -> str:
    while isinstance(detail, (list, dict)) and detail:
        detail = detail[0] if isinstance(detail, list) else next(iter(detail.values()))
    return str(detail) if detail else "Not a valid text."
