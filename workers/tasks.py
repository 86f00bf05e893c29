"""Celery tasks: thin, take ids, call one service."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, current_app, shared_task
from celery.exceptions import TimeLimitExceeded
from celery.signals import task_postrun, task_prerun, worker_process_init
from django.conf import settings
from django.db import close_old_connections

from moderation import enqueue, metrics, model_loader
from moderation.errors import NoActiveModel
from moderation.models import Platform
from moderation.services.retraining import RetrainLocked, RetrainOptions, retrain_run
from moderation.services.scoring import comment_batch_score, comments_rescore
from moderation.services.scoring_failures import comments_over_budget
from moderation.services.scoring_queue import comments_sweep_pending
from moderation.services.webhooks import webhook_deliveries_dispatch_due, webhook_delivery_send
from workers import tasks_analyze, tasks_review  # noqa: F401  (autodiscovery looks at this module only)

logger = logging.getLogger(__name__)


@task_prerun.connect
@task_postrun.connect
def reuse_database_connections(sender: Any = None, **_: object) -> None:
    """Treat each task as Django treats a request: keep the connection for CONN_MAX_AGE,
    health-check it before reuse, and close it after an error (CELERY_DB_REUSE_MAX keeps
    Celery from closing it after every task). A task applied in-process (`apply`) runs
    inside its caller's transaction, which must stay open, as Celery's own fixup does."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    close_old_connections()


@worker_process_init.connect
def preload_active_model(**_: object) -> None:
    """A process that scores loads the active model as it starts, not on its first batch.

    Only processes of a worker consuming the scoring or the analyze queue do: a webhooks-only
    worker never needs the model's memory. A failure here is logged; the first batch loads it again.
    """
    queues = set(current_app.amqp.queues.consume_from or {})
    if queues and not queues & {"scoring", settings.ANALYZE_QUEUE}:
        return
    try:
        model_version = model_loader.active_model()[0]
    except NoActiveModel:
        return
    except Exception:
        logger.warning("Could not preload the active model.", exc_info=True)
        return
    logger.info("Preloaded model %s.", model_version.version)


class ScoringTask(Task):  # type: ignore[type-arg]
    """A scoring task that, when its process is killed at the hard time limit, sets aside the
    comments it was asked to score (the soft limit is handled inside the service)."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        if not isinstance(exc, TimeLimitExceeded):
            return
        comment_ids = kwargs.get("comment_ids") if kwargs else None
        if comment_ids is None and args:
            comment_ids = args[0]
        if comment_ids:
            comments_over_budget(
                comment_ids=list(comment_ids), seconds=settings.SCORING_TIME_LIMIT_SECONDS
            )


@shared_task(
    base=ScoringTask,
    name=enqueue.COMMENTS_SCORE,
    soft_time_limit=settings.SCORING_SOFT_TIME_LIMIT_SECONDS,
    time_limit=settings.SCORING_TIME_LIMIT_SECONDS,
    autoretry_for=(NoActiveModel,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
)
def score_comments(comment_ids: list[int]) -> None:
    """Score these comments (and others waiting) in one model call. Safe to run twice."""
    result = comment_batch_score(comment_ids=comment_ids)
    metrics.scoring_batch_observe(
        model_version=result.model_version,
        scored=result.scored,
        flagged=result.flagged,
        auto_removed=result.auto_removed,
        waited_seconds=result.waited_seconds,
    )


@shared_task(name=enqueue.COMMENTS_SWEEP_PENDING)
def sweep_pending_comments() -> None:
    """Re-enqueue comments left pending past the timeout (a broker outage, a killed worker)."""
    comments_sweep_pending()


@shared_task(name=enqueue.WEBHOOKS_SEND)
def send_webhook(delivery_id: int, manual: bool = False) -> None:
    """One attempt at a webhook delivery; a no-op if it is done, held or not yet due."""
    webhook_delivery_send(delivery_id=delivery_id, manual=manual)


@shared_task(name=enqueue.WEBHOOKS_DISPATCH_DUE)
def dispatch_due_webhooks() -> None:
    """Enqueue due webhook deliveries: long-delayed retries and any whose task was lost."""
    webhook_deliveries_dispatch_due()


@shared_task(name=enqueue.COMMENTS_RESCORE)
def rescore_flagged_comments(platform_id: int | None = None) -> None:
    """Score flagged, unreviewed comments again with the active model (after a promotion)."""
    platform = None
    if platform_id is not None:
        platform = Platform.objects.filter(pk=platform_id).first()
        if platform is None:
            return
    comments_rescore(platform=platform)


@shared_task(name=enqueue.TRAINING_RETRAIN, ignore_result=True)
def retrain_from_corrections(backend: str | None = None, trigger: str = "schedule") -> None:
    """Retrain on the `training` queue (beat, or an admin's request); skips if one is running."""
    try:
        retrain_run(
            options=RetrainOptions(backend=backend or settings.RETRAIN_BACKEND, trigger=trigger)
        )
    except RetrainLocked as exc:
        logger.info("Retrain not started: %s", exc.message, extra={"trigger": trigger})
