"""`POST /api/v1/analyze`: scores answered in the request, through a worker."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from moderation.api.analyze_serializers import AnalyzeInputSerializer, AnalyzeOutputSerializer
from moderation.api.auth import PlatformClient
from moderation.api.schema import error_response
from moderation.models import CommentStatus
from moderation.services.analysis import AnalysisResult, texts_analyze


def analysis_results(result: AnalysisResult, *, spans: bool) -> list[dict[str, Any]]:
    """Each text's scores, outcome and (when asked for) spans and stored comment id."""
    rendered = []
    for index, analysis in enumerate(result.texts):
        item: dict[str, Any] = {
            "scores": analysis.scores,
            "status": str(analysis.outcome.status),
            "flagged": analysis.outcome.status != CommentStatus.ALLOWED,
            "flagged_labels": analysis.outcome.flagged_labels,
        }
        if spans:
            item["spans"] = analysis.spans
        if result.comments:
            item["comment_id"] = str(result.comments[index].public_id)
        rendered.append(item)
    return rendered


class AnalyzeApi(APIView):
    @extend_schema(
        summary="Score texts now (synchronous)",
        description="Scores one text or up to 100, answered in the request: the six label "
        "scores and what the platform's thresholds make of them. Stores nothing unless "
        "`store` is true. A worker scores (the web process never loads a model): if none "
        "answers within ANALYZE_TIMEOUT_SECONDS the answer is `503 scoring_unavailable` with "
        "`Retry-After`.",
        request=AnalyzeInputSerializer,
        responses={
            200: AnalyzeOutputSerializer,
            400: error_response("`validation_error`, `malformed_json`, `batch_rejected`."),
            409: error_response("`external_id_conflict` (with `store: true`)."),
            422: error_response("`scoring_failed`: the model raised on these texts."),
            503: error_response("`scoring_unavailable`: no worker answered; retry later."),
        },
        examples=[
            OpenApiExample(
                "One text",
                value={"text": "You are a complete idiot.", "spans": True},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = AnalyzeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        client = request.user
        assert isinstance(client, PlatformClient)
        spans = serializer.validated_data["spans"]
        result = texts_analyze(
            platform=client.platform,
            texts=serializer.texts_given,
            spans=spans,
            store=serializer.comments_to_store,
        )
        return Response(
            {
                "model_version": result.model_version,
                "results": analysis_results(result, spans=spans),
            }
        )
