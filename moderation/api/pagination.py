"""Pagination for API lists: newest first, by cursor (stable while rows are being added)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request


def _invalid(name: str, message: str) -> serializers.ValidationError:
    return serializers.ValidationError({name: [serializers.ErrorDetail(message, code="invalid")]})


class NewestFirstPagination(CursorPagination):
    """`page_size` 1 to 500 and a cursor this API issued; anything else is a 400 (DRF's own
    pagination would ignore a bad page size, 404 a bad cursor, and 500 on a forged one)."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    #: The query parameters pagination reads (a list refuses the ones nobody reads).
    query_parameters = ("cursor", "page_size")
    max_page_size = 500
    invalid_cursor_message = "Invalid cursor; follow `next` or `previous` as given."

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise _invalid(
                self.page_size_query_param,
                f"Must be a whole number from 1 to {self.max_page_size}.",
            )
        return int(raw)

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:  # a bad cursor is a bad request, not a missing page
            raise _invalid(self.cursor_query_param, self.invalid_cursor_message) from exc
        # The position is a created_at value that goes into a query: a forged one that is not a
        # datetime would otherwise reach the database, and so would an offset Postgres cannot
        # store (`+16:58`: a 500). The API issues positions in UTC only, so that is all it takes.
        if cursor is not None and cursor.position is not None:
            try:
                position = parse_datetime(str(cursor.position))
            except ValueError:
                position = None
            if position is None or position.utcoffset() != timedelta(0):
                raise _invalid(self.cursor_query_param, self.invalid_cursor_message)
        return cursor

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters
