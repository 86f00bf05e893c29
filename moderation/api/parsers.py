"""The one request parser: JSON in UTF-8, bounded in size and nesting, strict about numbers.

Refused before any field is looked at, each with its error code:

- a body over MODERATION_MAX_REQUEST_BYTES (by Content-Length, or by what is read): 413
  `payload_too_large`;
- bytes that are not UTF-8 (JSON's only encoding on the wire, RFC 8259; a `charset`
  parameter is not trusted to say otherwise): 400 `invalid_utf8`;
- nesting deeper than MAX_JSON_DEPTH: 400 `too_deep` (Python's parser would otherwise hit
  its recursion limit, a 500, and later recursive code could too);
- anything json.loads refuses, NaN / Infinity, and numbers that do not fit a finite float
  (`1e999` would be stored as Infinity, which Postgres' jsonb cannot hold): 400
  `malformed_json`.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

from django.conf import settings
from rest_framework import exceptions, parsers, status

#: The API's own documents are at most four levels deep (a batch, its list, an item, its
#: metadata, which has its own limit of MODERATION_MAX_METADATA_DEPTH); far below the parser's
#: recursion limit.
MAX_JSON_DEPTH: Final = 32


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class InvalidUtf8(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request body is not valid UTF-8."
    default_code = "invalid_utf8"


class TooDeep(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels."
    default_code = "too_deep"


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in `value` (a scalar is 0, `{}` is 1), without
    recursion, so any depth the parser produced can be measured."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        else:
            deepest = max(deepest, depth)
            continue
        deepest = max(deepest, depth + 1)
    return deepest


class BoundedJSONParser(parsers.JSONParser):
    """JSON only, at most MODERATION_MAX_REQUEST_BYTES, UTF-8, at most MAX_JSON_DEPTH deep."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        limit = settings.MODERATION_MAX_REQUEST_BYTES
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and str(length).isdigit() and int(length) > limit:
            raise PayloadTooLarge(f"The request body is over {limit} bytes.")
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge(f"The request body is over {limit} bytes.")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidUtf8(
                f"The request body is not valid UTF-8 (byte {exc.start} cannot be decoded)."
            ) from exc
        try:
            data = json.loads(text, parse_float=_finite_float, parse_constant=_refuse_constant)
        except RecursionError as exc:
            raise TooDeep() from exc
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
        if json_depth(data) > MAX_JSON_DEPTH:
            raise TooDeep()
        return data
