"""Log output: plain text lines for a terminal, or one JSON object a line for a collector.

In JSON every line has `time`, `level`, `logger` and `message`, plus the fields the code passed
in `extra=` (`comment_id`, `comment_ids`, `delivery_id`, `endpoint_id`, `webhook_id`, ...: all
`*_id` fields are database primary keys) and, inside a Celery task, `task_id` and `task_name`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ImproperlyConfigured

LOG_FORMATS = ("plain", "json")


class CeleryTaskFilter(logging.Filter):
    """Adds `task_id` and `task_name` to lines logged while a Celery task runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        from celery import current_task

        # current_task is a proxy that is falsy outside a task.
        request = getattr(current_task, "request", None) if current_task else None
        task_id = getattr(request, "id", None)
        if task_id and not hasattr(record, "task_id"):
            record.task_id = task_id
            record.task_name = current_task.name
        return True


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The LOGGING setting for `log_format` ("plain" or "json").

    Raises ImproperlyConfigured for any other format, so a typo stops the process at start
    instead of silently logging text a collector cannot parse.
    """
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(
            f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}."
        )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"celery_task": {"()": "config.logs.CeleryTaskFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",  # ISO 8601, UTC
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["celery_task"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }
