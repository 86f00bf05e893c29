"""The task behind synchronous scoring (`POST /api/v1/analyze` and the compatible endpoints):
score a few texts with the active model, store nothing, and put the answer on the request's
reply channel (moderation/replies.py), not in a result backend.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from moderation import enqueue
from moderation.services.analysis import texts_score_for_reply

logger = logging.getLogger(__name__)


@shared_task(
    name=enqueue.TEXTS_ANALYZE,
    ignore_result=True,
    # The request waits only so long: a lost task is a 503 the client retries, never a
    # redelivery that scores for nobody.
    acks_late=False,
    soft_time_limit=settings.SCORING_SOFT_TIME_LIMIT_SECONDS,
    time_limit=settings.SCORING_TIME_LIMIT_SECONDS,
)
def analyze_texts(
    texts: list[str], reply_to: str, explain_thresholds: dict[str, float] | None = None
) -> None:
    """Score `texts`; with `explain_thresholds`, also the spans of each label at or above its
    threshold there. The answer (or `{"error", "message"}`) goes to `reply_to`."""
    try:
        texts_score_for_reply(texts=texts, reply_to=reply_to, explain_thresholds=explain_thresholds)
    except SoftTimeLimitExceeded:
        logger.warning("Synchronous scoring of %d text(s) ran out of time.", len(texts))
