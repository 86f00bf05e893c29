"""Every API error is `{"error": {"code", "message", ...}}` with a stable code.

Codes: not_authenticated, invalid_api_key, key_revoked, key_expired, platform_disabled,
invalid_authorization_header, permission_denied, not_found, method_not_allowed,
unsupported_media_type, malformed_json, invalid_utf8, too_deep (moderation/api/parsers.py),
payload_too_large (also for Django's own body limit), bad_request (Django's other request
limits), validation_error (with `fields`), batch_rejected (with `items`),
external_id_conflict, rate_limited, database_unavailable (503 with `Retry-After`), server_error.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import psycopg
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from moderation.errors import BatchRejected, ExternalIdConflict, ModerationError
from moderation.services.analysis import ScoringFailed, ScoringUnavailable

logger = logging.getLogger(__name__)

#: What a lost or refused database connection raises: Django's wrappers, and psycopg's own
#: when it is used directly.
DATABASE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)

_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.ParseError: "malformed_json",
    exceptions.Throttled: "rate_limited",
}


def _field_errors(detail: Any) -> Any:
    """DRF's nested error details as {field: [{"code", "message"}]} (recursively)."""
    if isinstance(detail, dict):
        return {key: _field_errors(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail) for item in detail):
            return [{"code": item.code, "message": str(item)} for item in detail]
        return [_field_errors(item) for item in detail]
    if isinstance(detail, exceptions.ErrorDetail):
        return [{"code": detail.code, "message": str(detail)}]
    return detail


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def batch_rejected_body(exc: BatchRejected) -> dict[str, Any]:
    return error_body(
        exc.code,
        exc.message,
        items=[
            {"index": item.index, "external_id": item.external_id, "errors": item.errors}
            for item in exc.items
        ],
    )


def _payload_too_large_body() -> dict[str, Any]:
    limit = settings.MODERATION_MAX_REQUEST_BYTES
    return error_body("payload_too_large", f"The request body is over {limit} bytes.")


def _bad_request_body() -> dict[str, Any]:
    return error_body("bad_request", "The request was malformed.")


def _database_unavailable(request: HttpRequest, exc: BaseException) -> tuple[dict[str, Any], int]:
    """The body and the `Retry-After` seconds of a 503 `database_unavailable`, logged."""
    logger.warning("Database unavailable during %s %s: %s", request.method, request.path, exc)
    retry_after = settings.DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS
    body = error_body(
        "database_unavailable",
        "The database cannot be reached; nothing was stored. Retry later.",
        retry_after_seconds=retry_after,
    )
    return body, retry_after


def database_unavailable_response(request: HttpRequest, exc: BaseException) -> JsonResponse:
    """503 `database_unavailable` with `Retry-After`: the request stored nothing (a write
    that did not commit is rolled back), and the same request can be sent again."""
    body, retry_after = _database_unavailable(request, exc)
    response = JsonResponse(body, status=503)
    response["Retry-After"] = str(retry_after)
    return response


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
        body, retry_after = _database_unavailable(context["request"], exc)
        return Response(
            body,
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(retry_after)},
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(_payload_too_large_body(), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        return Response(_bad_request_body(), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, BatchRejected):
        status_code = status.HTTP_409_CONFLICT if exc.conflict else status.HTTP_400_BAD_REQUEST
        return Response(batch_rejected_body(exc), status=status_code)
    if isinstance(exc, ExternalIdConflict):
        return Response(
            error_body(exc.code, exc.message, comment_id=exc.comment_public_id),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, ScoringUnavailable):
        return Response(
            error_body(exc.code, exc.message, retry_after_seconds=exc.retry_after_seconds),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(exc.retry_after_seconds)},
        )
    if isinstance(exc, ScoringFailed):
        return Response(
            error_body(exc.code, exc.message), status=status.HTTP_422_UNPROCESSABLE_ENTITY
        )
    if isinstance(exc, ModerationError):
        return Response(error_body(exc.code, exc.message), status=status.HTTP_400_BAD_REQUEST)

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            "validation_error",
            "The request was not valid; `fields` says what to fix.",
            fields=_field_errors(exc.detail),
        )
        return response
    assert isinstance(exc, exceptions.APIException)
    code = next((code for cls, code in _CODES.items() if isinstance(exc, cls)), None)
    if code is None:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
    extra: dict[str, Any] = {}
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        extra["retry_after_seconds"] = int(wait)
    response.data = error_body(code, str(exc.detail), **extra)
    return response


#: Paths whose every answer is JSON, errors included: ours and the compatible APIs'.
API_PATH_PREFIXES = ("/api/", "/v1/", "/v1alpha1/")


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIXES)


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> Any:
    if _wants_json(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def json_server_error(request: HttpRequest) -> Any:
    # Django calls this while handling the exception, so it is still at hand: a database
    # outage met outside a view (in a middleware, say) is a 503 too, not a 500 page.
    current = sys.exc_info()[1]
    if isinstance(current, DATABASE_UNAVAILABLE_ERRORS):
        return database_unavailable_response(request, current)
    if _wants_json(request):
        return JsonResponse(
            error_body("server_error", "An unexpected error occurred; it was logged."), status=500
        )
    from django.views.defaults import server_error

    return server_error(request)


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> Any:
    if _wants_json(request):
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(_payload_too_large_body(), status=413)
        return JsonResponse(_bad_request_body(), status=400)
    from django.views.defaults import bad_request

    return bad_request(request, exception or Exception())


class ApiJsonErrorsMiddleware:
    """Under the API prefixes, a 404 or 405 that Django itself answers (no such URL, a method
    a plain view does not take) is the JSON error body too, with DEBUG on as well: Django's
    debug pages are HTML, and handler404 is not used while DEBUG is on. An exception no view
    handled is a JSON 500 there, never the debug traceback page."""

    _CODES = {404: ("not_found", "Not found."), 405: ("method_not_allowed", "Method not allowed.")}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        known = self._CODES.get(response.status_code)
        if (
            known is None
            or not _wants_json(request)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        replaced = JsonResponse(error_body(*known), status=response.status_code)
        if response.has_header("Allow"):
            replaced["Allow"] = response["Allow"]
        return replaced

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _wants_json(request) or isinstance(exception, DATABASE_UNAVAILABLE_ERRORS):
            return None  # DatabaseUnavailableMiddleware's, or Django's own pages
        if isinstance(exception, Http404):
            return JsonResponse(error_body("not_found", "Not found."), status=404)
        if isinstance(exception, PermissionDenied):
            return JsonResponse(error_body("permission_denied", "Permission denied."), status=403)
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(_payload_too_large_body(), status=413)
        if isinstance(exception, SuspiciousOperation):
            return JsonResponse(_bad_request_body(), status=400)
        logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
        return JsonResponse(
            error_body("server_error", "An unexpected error occurred; it was logged."), status=500
        )


class DatabaseUnavailableMiddleware:
    """Answers 503 `database_unavailable` (with `Retry-After`) when a view outside the REST
    API (the admin, say) loses the database, instead of a 500 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_UNAVAILABLE_ERRORS):
            return database_unavailable_response(request, exception)
        return None
