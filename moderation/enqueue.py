"""Sending Celery tasks: task names and the one function that hands a task to the broker.

Callers (services, admin actions) know a task only by its name; the tasks in `workers/` are
registered under the same names, and nothing outside `workers/` imports them, so there is no
import circle between the tasks and the services they call. Sending goes through the Celery
app by name (`send_task`, routed by CELERY_TASK_ROUTES), with the short publish retry policy
(CELERY_PUBLISH_RETRY_POLICY) so that a broker outage never holds a request; what could not
be sent is logged, and the sweeper or the webhook dispatcher sends it later (the row is the
source of truth).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Final

from celery import current_app
from celery.result import AsyncResult
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

COMMENTS_SCORE: Final = "moderation.comments.score"
COMMENTS_SWEEP_PENDING: Final = "moderation.comments.sweep_pending"
COMMENTS_RESCORE: Final = "moderation.comments.rescore"
WEBHOOKS_SEND: Final = "moderation.webhooks.send"
WEBHOOKS_DISPATCH_DUE: Final = "moderation.webhooks.dispatch_due"
TRAINING_RETRAIN: Final = "moderation.training.retrain"
TEXT_SCORE: Final = "moderation.text.score"
TEXTS_ANALYZE: Final = "moderation.texts.analyze"


def task_send(
    name: str,
    *,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    **options: Any,
) -> AsyncResult:  # type: ignore[type-arg]
    """Send the task `name` now, retrying the publish briefly; raises the broker's error
    (kombu's OperationalError) if it stays unreachable. `options` go to `send_task`
    (`countdown`, `expires`, `queue`)."""
    return current_app.send_task(
        name,
        args=list(args),
        kwargs=dict(kwargs or {}),
        retry=True,
        retry_policy=settings.CELERY_PUBLISH_RETRY_POLICY,
        **options,
    )


def task_send_logged(
    name: str,
    *,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    **options: Any,
) -> bool:
    """`task_send`, but a failure is logged instead of raised; False if it was not sent."""
    try:
        task_send(name, args=args, kwargs=kwargs, **options)
    except Exception:
        logger.warning(
            "Could not enqueue %s; it is sent again later.",
            name,
            exc_info=True,
            extra={"task": name, "task_args": list(args)},
        )
        return False
    return True


def task_send_on_commit(
    name: str,
    *,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    **options: Any,
) -> None:
    """Send the task once the current transaction commits (never if it rolls back); a
    failure to send is logged, not raised."""
    transaction.on_commit(
        partial(task_send_logged, name, args=list(args), kwargs=dict(kwargs or {}), **options),
        robust=True,
    )
