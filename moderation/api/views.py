"""REST endpoints for platforms. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from moderation.api.auth import PlatformClient
from moderation.api.filters import CommentFilter
from moderation.api.pagination import NewestFirstPagination
from moderation.api.schema import error_response
from moderation.api.serializers import (
    CommentAcceptedSerializer,
    CommentBatchAcceptedSerializer,
    CommentBatchInputSerializer,
    CommentDetailQuerySerializer,
    CommentEditInputSerializer,
    CommentExplainedSerializer,
    CommentInputSerializer,
    CommentOutputSerializer,
    CommentReportInputSerializer,
    CommentReportOutputSerializer,
)
from moderation.errors import BatchItemError, BatchRejected
from moderation.models import Comment, Platform
from moderation.selectors.comments import comment_get_for_platform, comment_list_for_platform
from moderation.services.comments import (
    comment_batch_create,
    comment_create,
    comment_erase,
    comment_text_edit,
)
from moderation.services.reports import comment_report


def _platform(request: Request) -> Platform:
    client = request.user
    assert isinstance(client, PlatformClient)
    return client.platform


def _comment(request: Request, comment_id: UUID) -> Comment:
    """The caller's platform's comment with this public id (404 otherwise)."""
    comment: Comment = comment_get_for_platform(platform=_platform(request), public_id=comment_id)
    return comment


class CommentListCreateApi(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = CommentOutputSerializer
    pagination_class = NewestFirstPagination
    filterset_class = CommentFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no caller
            return Comment.objects.none()
        return comment_list_for_platform(platform=_platform(self.request))

    @extend_schema(
        summary="List comments",
        description="The platform's comments, newest first, cursor-paginated.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        known = {*CommentFilter.base_filters, *NewestFirstPagination.query_parameters}
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise serializers.ValidationError(
                {
                    name: [
                        serializers.ErrorDetail(
                            f"Unknown query parameter; the list takes {sorted(known)}.",
                            code="unknown_parameter",
                        )
                    ]
                    for name in unknown
                }
            )
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Submit a comment for scoring",
        request=CommentInputSerializer,
        responses={
            202: CommentOutputSerializer,
            200: OpenApiResponse(
                CommentOutputSerializer,
                description="Already stored with the same payload; returned as it is now.",
            ),
            409: error_response("`external_id_conflict`: different payload."),
        },
        examples=[
            OpenApiExample(
                "A comment",
                value={
                    "external_id": "c-1042",
                    "text": "Thanks, that fixed it!",
                    "author_id": "u-7",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = CommentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = comment_create(platform=_platform(request), item=serializer.to_comment_input())
        return Response(
            CommentOutputSerializer(result.comment).data,
            status=status.HTTP_202_ACCEPTED if result.created else status.HTTP_200_OK,
        )


class CommentBatchCreateApi(APIView):
    @extend_schema(
        summary="Submit up to 500 comments at once (all or nothing)",
        request=CommentBatchInputSerializer,
        responses={
            202: CommentBatchAcceptedSerializer,
            200: OpenApiResponse(
                CommentBatchAcceptedSerializer, description="Every item was already stored."
            ),
            400: error_response(
                "`batch_rejected` (with `items`), `validation_error` or `malformed_json`."
            ),
            409: error_response("`batch_rejected`: an item conflicts with a stored comment."),
        },
    )
    def post(self, request: Request) -> Response:
        envelope = CommentBatchInputSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        items, errors = [], []
        # One serializer validates every item: building one per item (its fields are deep
        # copies) took half the time of a 500-comment batch (docs/performance.md).
        validator = CommentInputSerializer()
        for index, raw in enumerate(envelope.validated_data["comments"]):
            try:
                items.append(validator.comment_input(validator.run_validation(raw)))
            except serializers.ValidationError as exc:
                external_id = raw.get("external_id") if isinstance(raw, dict) else None
                errors.append(
                    BatchItemError(
                        index=index,
                        external_id=external_id if isinstance(external_id, str) else None,
                        errors=_item_errors(serializers.as_serializer_error(exc)),
                    )
                )
        if errors:
            raise BatchRejected(errors)
        results = comment_batch_create(platform=_platform(request), items=items)
        any_created = any(result.created for result in results)
        return Response(
            {"comments": CommentAcceptedSerializer(results, many=True).data},
            status=status.HTTP_202_ACCEPTED if any_created else status.HTTP_200_OK,
        )


def _item_errors(errors: Any) -> dict[str, Any]:
    from moderation.api.errors import _field_errors

    return dict(_field_errors(errors))


class CommentDetailApi(APIView):
    @extend_schema(
        summary="Read one comment",
        parameters=[CommentDetailQuerySerializer],
        responses={200: CommentExplainedSerializer},
    )
    def get(self, request: Request, comment_id: UUID) -> Response:
        comment = _comment(request, comment_id)
        query = CommentDetailQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        explain = query.validated_data["explain"]
        serializer = CommentExplainedSerializer if explain else CommentOutputSerializer
        return Response(serializer(comment).data)

    @extend_schema(
        summary="Edit a comment's text",
        description="The comment is scored again (`status: pending` until then); its earlier "
        "scores stay in its score history and a moderator's decision on the old text is "
        "cleared. The same text again changes nothing.",
        request=CommentEditInputSerializer,
        responses={200: CommentOutputSerializer},
    )
    def patch(self, request: Request, comment_id: UUID) -> Response:
        comment = _comment(request, comment_id)
        serializer = CommentEditInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        edited = comment_text_edit(comment=comment, text=serializer.validated_data["text"])
        return Response(CommentOutputSerializer(edited).data)

    @extend_schema(
        summary="Erase a comment",
        description="Its text, metadata and author id are deleted; the record of its scores "
        "and moderator decisions stays, without them. Afterwards the comment answers 404 and "
        "its external_id may be used again.",
        responses={204: None},
    )
    def delete(self, request: Request, comment_id: UUID) -> Response:
        comment = _comment(request, comment_id)
        comment_erase(comment=comment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentReportsApi(APIView):
    @extend_schema(
        summary="Forward a user's report of a comment",
        description="Puts the comment in the review queue (a comment the model allowed is "
        "flagged for review) and lifts its priority, once per reporter; the same reporter "
        "again answers 200 with the first report.",
        request=CommentReportInputSerializer,
        responses={
            201: CommentReportOutputSerializer,
            200: OpenApiResponse(
                CommentReportOutputSerializer, description="This reporter already reported it."
            ),
        },
    )
    def post(self, request: Request, comment_id: UUID) -> Response:
        comment = _comment(request, comment_id)
        serializer = CommentReportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = comment_report(
            comment=comment,
            reporter_id=serializer.validated_data["reporter_id"],
            reason=serializer.validated_data["reason"],
        )
        return Response(
            CommentReportOutputSerializer(result).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
