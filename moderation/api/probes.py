"""Endpoints for operators and orchestrators: liveness, readiness, Prometheus metrics.

Plain Django views, outside the REST API: no API key, no platform throttle. See
docs/operations.md for what each one answers and when to use which.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from moderation.api.errors import error_body
from moderation.metrics import CONTENT_TYPE_LATEST, metrics_render
from moderation.readiness import readiness_check

_SAFE_METHODS = ("GET", "HEAD")


def _method_not_allowed(request: HttpRequest) -> JsonResponse | None:
    if request.method in _SAFE_METHODS:
        return None
    response = JsonResponse(
        error_body("method_not_allowed", f"Method {request.method} is not allowed here."),
        status=405,
    )
    response["Allow"] = ", ".join(_SAFE_METHODS)
    return response


def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers HTTP. Touches nothing else (no database), so a database
    outage never makes an orchestrator restart healthy web processes."""
    return _method_not_allowed(request) or JsonResponse({"status": "ok"})


def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database, the broker and the active model are all usable, else
    503 naming the failing checks, with Retry-After."""
    refused = _method_not_allowed(request)
    if refused is not None:
        return refused
    checks = readiness_check()
    body = {name: result.as_json() for name, result in checks.items()}
    failing = [name for name, result in checks.items() if not result.ok]
    if not failing:
        return JsonResponse({"status": "ready", "checks": body})
    response = JsonResponse(
        {
            "status": "not_ready",
            "failing": failing,
            "checks": body,
            **error_body("not_ready", f"Not ready: {', '.join(failing)} failing."),
        },
        status=503,
    )
    response["Retry-After"] = str(settings.READINESS_RETRY_AFTER_SECONDS)
    return response


def _token_refused(request: HttpRequest) -> JsonResponse | None:
    """None when METRICS_TOKEN is unset or the request carries it as a bearer token."""
    expected = settings.METRICS_TOKEN
    if not expected:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if not header:
        code, message = "not_authenticated", "Send Authorization: Bearer <METRICS_TOKEN>."
    elif scheme.lower() != "bearer" or not given.strip():
        code, message = "invalid_authorization_header", "Use Authorization: Bearer <token>."
    elif hmac.compare_digest(given.strip().encode(), expected.encode()):
        return None
    else:
        code, message = "invalid_token", "The metrics token is not valid."
    response = JsonResponse(error_body(code, message), status=401)
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition of every toxmod_* metric of this host's processes."""
    refused = _method_not_allowed(request) or _token_refused(request)
    if refused is not None:
        return refused
    return HttpResponse(metrics_render(), content_type=CONTENT_TYPE_LATEST)
