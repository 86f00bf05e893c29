"""Feedback from API clients: scores a client says a text should have had, kept as corrections
that retraining reads like a moderator's."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from classifier.labels import LABELS
from moderation.models import Comment, Decision, Platform, Review
from moderation.services.scoring_queue import comments_enqueue_on_commit

#: A suggested score at or above this is the label's ground truth 1, below it 0.
SUGGESTION_POSITIVE_AT = 0.5


@transaction.atomic
def comment_score_suggest(
    *,
    platform: Platform,
    text: str,
    suggested: Mapping[str, float],
    suggested_by: str,
    client_token: str = "",
) -> Review:
    """Record `suggested` ({label: score in [0, 1]}, some labels) for `text` as a correction.

    The text is stored as the platform's comment (external id `suggestion-<uuid>`, scored like
    any other) with a final `relabeled` decision by `suggested_by`: each suggested label is 1
    at or above SUGGESTION_POSITIVE_AT and 0 below, the others unknown (null). The corrections
    export, and so retraining, reads it as a moderator's decision; the review queue never
    shows it (it is already decided).
    """
    now = timezone.now()
    comment = Comment.objects.create(
        platform=platform,
        external_id=f"suggestion-{uuid.uuid4().hex}",
        text=text,
        metadata={"source": "suggestscore", "client_token": client_token},
        enqueued_at=now,
        enqueue_count=1,
        decision=Decision.RELABELED,
        decided_at=now,
    )
    comments_enqueue_on_commit([comment.pk])
    return Review.objects.create(
        comment=comment,
        moderator=None,
        moderator_username=suggested_by[:150],
        action=Decision.RELABELED,
        labels_before={},
        model_version="",
        labels_after={
            label: (int(suggested[label] >= SUGGESTION_POSITIVE_AT) if label in suggested else None)
            for label in LABELS
        },
        note="Suggested scores: " + json.dumps(dict(suggested), sort_keys=True),
        created_at=now,
    )
