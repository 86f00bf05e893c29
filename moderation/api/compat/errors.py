"""Errors of the compatible endpoints: ours, reshaped into the format each foreign API's
clients parse."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response

from moderation.api.errors import api_exception_handler


class CompatBadRequest(exceptions.APIException):
    """A request the foreign API would refuse: `param` names the offending field (OpenAI's
    `param`), `reason` is the foreign API's own error kind where it has one."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_request"

    def __init__(self, message: str, *, param: str | None = None, reason: str = "") -> None:
        super().__init__(message, code="invalid_request")
        self.param = param
        self.reason = reason


#: (status code, our error code, CompatBadRequest or None, the message) -> the foreign body.
ErrorShaper = Callable[[int, str, CompatBadRequest | None, str], dict[str, Any]]


def compat_exception_handler(shaper: ErrorShaper) -> Callable[..., Response | None]:
    """A DRF exception handler that answers what ours would (status, headers such as
    Retry-After) with the body `shaper` makes of it."""

    def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
        response = api_exception_handler(exc, context)
        if response is None:
            return None
        ours = response.data.get("error", {}) if isinstance(response.data, dict) else {}
        message = str(ours.get("message", "The request failed."))
        fields = ours.get("fields")
        if isinstance(fields, dict) and fields:
            # Our validation errors name fields; say the first one in words.
            name, problems = next(iter(fields.items()))
            if isinstance(problems, list) and problems and isinstance(problems[0], dict):
                message = f"{name}: {problems[0].get('message', message)}"
        bad_request = exc if isinstance(exc, CompatBadRequest) else None
        response.data = shaper(
            response.status_code, str(ours.get("code", "error")), bad_request, message
        )
        return response

    return handle
