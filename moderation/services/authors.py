"""Actions against an author: warn, silence for a period, ban. Each is recorded (append-only,
`AuthorAction`) and sent to the platform as an `author.actioned` webhook in the same
transaction; the platform enforces it. Optionally the author's open flagged comments are
removed at the same time, each as an ordinary recorded decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from moderation.models import AuthorAction, AuthorActionKind, Comment, Decision, Platform, Review
from moderation.services.reviews import (
    REVIEW_NOTE_MAX_CHARS,
    REVIEWABLE_STATUSES,
    InvalidReview,
    comments_review_bulk,
)
from moderation.services.webhooks import WebhookEvent, webhook_events_emit

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_ACTION_NOUNS = {"warned": "warning", "silenced": "silence", "banned": "ban"}
#: Longest silence a moderator may impose, in hours (a longer one is a ban).
AUTHOR_SILENCE_MAX_HOURS = 24 * 90


@dataclass(frozen=True)
class AuthorActionResult:
    action: AuthorAction
    removed: list[Review] = field(default_factory=list)
    #: (comment, why it was left alone) for open comments that could not be removed.
    skipped: list[tuple[Comment, str]] = field(default_factory=list)


def author_open_flagged(*, platform: Platform, author_id: str) -> list[Comment]:
    """The author's flagged comments nobody has decided yet (escalated ones included)."""
    return list(
        Comment.objects.filter(
            platform=platform, author_id=author_id, status__in=REVIEWABLE_STATUSES
        )
        .filter(decision__in=["", Decision.ESCALATED])
        .order_by("created_at", "pk")
    )


def author_action_take(
    *,
    platform: Platform,
    author_id: str,
    moderator: User,
    action: str,
    silence_hours: int | None = None,
    note: str = "",
    remove_open_flagged: bool = False,
) -> AuthorActionResult:
    """Warn, silence (for `silence_hours`, 1 to AUTHOR_SILENCE_MAX_HOURS) or ban `author_id` on
    `platform`, record it and fire `author.actioned`. With `remove_open_flagged`, the author's
    open flagged comments are then removed, each its own decision (a comment a colleague holds
    is left alone and listed in `skipped`). Raises InvalidReview for bad input; nothing is
    written then."""
    if action not in AuthorActionKind.values:
        raise InvalidReview(f"Unknown author action {action!r}; choose warn, silence or ban.")
    if not author_id:
        raise InvalidReview("This comment has no author to act on.")
    until = None
    if action == AuthorActionKind.SILENCED:
        if silence_hours is None or not 1 <= silence_hours <= AUTHOR_SILENCE_MAX_HOURS:
            raise InvalidReview(
                f"A silence lasts 1 to {AUTHOR_SILENCE_MAX_HOURS} hours; say how many."
            )
    elif silence_hours:
        raise InvalidReview("Only a silence has a duration.")
    note = note.strip()
    if len(note) > REVIEW_NOTE_MAX_CHARS:
        raise InvalidReview(f"The note is {len(note)} characters; at most {REVIEW_NOTE_MAX_CHARS}.")

    with transaction.atomic():
        now = timezone.now()
        if action == AuthorActionKind.SILENCED:
            until = now + timedelta(hours=int(silence_hours or 0))
        record = AuthorAction.objects.create(
            platform=platform,
            author_id=author_id,
            action=action,
            until=until,
            moderator=moderator,
            moderator_username=moderator.get_username(),
            note=note,
            created_at=now,
        )
        webhook_events_emit(
            [
                WebhookEvent(
                    platform_id=platform.pk,
                    event_type="author.actioned",
                    data={
                        "author_id": author_id,
                        "action": action,
                        "until": until.isoformat() if until else None,
                        "moderator": record.moderator_username,
                        "note": note,
                        "decided_at": now.isoformat(),
                    },
                )
            ]
        )
    if not remove_open_flagged:
        return AuthorActionResult(action=record)
    bulk = comments_review_bulk(
        comments=author_open_flagged(platform=platform, author_id=author_id),
        moderator=moderator,
        action=Decision.REMOVED,
        note=f"Removed with the author's {_ACTION_NOUNS[action]}.",
    )
    AuthorAction.objects.filter(pk=record.pk).update(comments_removed=len(bulk.reviewed))
    record.comments_removed = len(bulk.reviewed)
    return AuthorActionResult(action=record, removed=bulk.reviewed, skipped=bulk.skipped)
