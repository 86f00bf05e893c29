"""JSON log lines (LOG_FORMAT=json) carry the ids of what they are about."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from config.logs import CeleryTaskFilter, logging_config
from moderation.models import Comment, CommentStatus
from moderation.services.scoring import comment_batch_score
from moderation.services.webhooks import (
    WebhookEvent,
    webhook_delivery_send,
    webhook_endpoint_create,
    webhook_events_emit,
)
from tests.conftest import PROJECT_ROOT
from tests.webhook_receiver import Reply
from workers.tasks import score_comments

LogLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def json_log_lines(caplog: pytest.LogCaptureFixture) -> Iterator[LogLines]:
    """Everything logged during the test, through the JSON formatter of LOG_FORMAT=json."""
    spec = dict(logging_config(log_format="json", level="INFO")["formatters"]["json"])
    formatter = import_string(spec.pop("()"))(**spec)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(CeleryTaskFilter())
    caplog.set_level(logging.INFO)
    logging.getLogger().addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger().removeHandler(handler)


def line_starting(lines: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    [line] = [line for line in lines if line["message"].startswith(prefix)]
    return line


@pytest.mark.django_db
def test_a_scoring_batch_logs_its_comment_ids(
    json_log_lines: LogLines, tiny_model: Any, comment_factory: Any
) -> None:
    comments = [comment_factory(text=text) for text in ("you stupid idiot", "thanks a lot")]

    comment_batch_score(comment_ids=[comment.pk for comment in comments])

    line = line_starting(json_log_lines(), "Scored 2 comment(s)")
    assert line["comment_ids"] == sorted(comment.pk for comment in comments)
    assert line["model_version"] == "tiny-v1"
    assert line["level"] == "INFO"
    assert line["logger"] == "moderation.services.scoring"
    assert line["time"].endswith("+00:00")
    assert "task_id" not in line  # not inside a task


@pytest.mark.django_db
def test_lines_inside_a_celery_task_carry_its_id(
    json_log_lines: LogLines, tiny_model: Any, comment_factory: Any
) -> None:
    comment = comment_factory(text="i am going to kill you")

    # Run in this process (not through the broker): the point is the logging context.
    result = score_comments.apply(args=([comment.pk],))

    line = line_starting(json_log_lines(), "Scored 1 comment(s)")
    assert line["comment_ids"] == [comment.pk]
    assert line["task_id"] == result.id
    assert line["task_name"] == "moderation.comments.score"
    assert Comment.objects.get(pk=comment.pk).status != CommentStatus.PENDING


@pytest.mark.django_db
def test_webhook_attempts_log_delivery_endpoint_and_comment(
    json_log_lines: LogLines, platform: Any, webhook_receiver: Any, comment_factory: Any
) -> None:
    endpoint = webhook_endpoint_create(platform=platform, url=webhook_receiver.url).endpoint
    comment = comment_factory(platform=platform, text="flagged one")
    [delivery] = webhook_events_emit(
        [
            WebhookEvent(
                platform_id=platform.pk,
                event_type="comment.flagged",
                data={"comment": {"id": str(comment.public_id)}},
                comment_id=comment.pk,
            )
        ]
    )
    webhook_receiver.script(Reply(status=503))

    webhook_delivery_send(delivery_id=delivery.pk)

    line = line_starting(json_log_lines(), f"Webhook {delivery.webhook_id} attempt 1")
    assert line["level"] == "WARNING"
    assert line["delivery_id"] == delivery.pk
    assert line["webhook_id"] == delivery.webhook_id
    assert line["endpoint_id"] == endpoint.pk
    assert line["comment_id"] == comment.pk
    assert line["outcome"] == "http_error"
    assert line["status_code"] == 503


def test_an_unknown_log_format_stops_the_process_at_start() -> None:
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        logging_config(log_format="xml", level="INFO")


def test_production_logs_json_unless_told_otherwise() -> None:
    script = (
        "from django.conf import settings;"
        "print(settings.LOGGING['handlers']['console']['formatter'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "example.org",
    }
    env.pop("LOG_FORMAT", None)
    formats = [
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=PROJECT_ROOT,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        for extra in ({}, {"LOG_FORMAT": "plain"})
    ]

    assert formats == ["json", "plain"]
