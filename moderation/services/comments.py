"""Comment intake: idempotent create, all-or-nothing batches, enqueue after commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from moderation.errors import BatchItemError, BatchRejected, ExternalIdConflict
from moderation.models import Comment, CommentStatus, Platform, ReviewClaim
from moderation.services.scoring_queue import comments_enqueue_on_commit


@dataclass(frozen=True)
class CommentInput:
    """One comment as a platform submits it (already validated for types and sizes)."""

    external_id: str
    text: str
    author_id: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CommentCreateResult:
    comment: Comment
    created: bool


def _same_payload(comment: Comment, item: CommentInput) -> bool:
    return (
        comment.text == item.text
        and comment.author_id == item.author_id
        and comment.metadata == dict(item.metadata)
    )


def _build(platform: Platform, item: CommentInput, now: Any) -> Comment:
    return Comment(
        platform=platform,
        external_id=item.external_id,
        text=item.text,
        author_id=item.author_id,
        metadata=dict(item.metadata),
        enqueued_at=now,
        enqueue_count=1,
    )


def comment_create(*, platform: Platform, item: CommentInput) -> CommentCreateResult:
    """Store a comment and queue it for scoring once the row is committed.

    Idempotent on (platform, external_id): the same payload again returns the stored comment
    with ``created=False``; a different payload raises ExternalIdConflict and writes nothing.
    """
    existing = Comment.objects.filter(platform=platform, external_id=item.external_id).first()
    if existing is None:
        try:
            with transaction.atomic():
                comment = _build(platform, item, timezone.now())
                comment.save()
                comments_enqueue_on_commit([comment.pk])
            return CommentCreateResult(comment=comment, created=True)
        except IntegrityError:
            # A concurrent request stored the same external id first: compare with that one.
            existing = Comment.objects.get(platform=platform, external_id=item.external_id)
    if not _same_payload(existing, item):
        raise ExternalIdConflict(item.external_id, str(existing.public_id))
    return CommentCreateResult(comment=existing, created=False)


#: How often a batch is written again after a concurrent request stored some of its ids.
_CONCURRENT_WRITE_ATTEMPTS = 3


def comments_stored(*, platform: Platform, external_ids: Sequence[str]) -> dict[str, Comment]:
    """The platform's stored comments with these external ids, by external id."""
    return {
        comment.external_id: comment
        for comment in Comment.objects.filter(platform=platform, external_id__in=list(external_ids))
    }


def _batch_write(
    platform: Platform, items: Sequence[CommentInput], external_ids: Sequence[str]
) -> tuple[list[Comment], dict[str, Comment]]:
    """One all-or-nothing attempt: the comments created and those already stored. Raises
    BatchRejected for items naming different stored comments, IntegrityError when a
    concurrent request stored one of the ids first."""
    errors: list[BatchItemError] = []
    with transaction.atomic():
        existing = comments_stored(platform=platform, external_ids=external_ids)
        for index, item in enumerate(items):
            stored = existing.get(item.external_id)
            if stored is not None and not _same_payload(stored, item):
                errors.append(
                    BatchItemError(
                        index=index,
                        external_id=item.external_id,
                        errors={
                            "external_id": [
                                {
                                    "code": ExternalIdConflict.code,
                                    "message": "This external_id already names a "
                                    "different comment.",
                                }
                            ]
                        },
                    )
                )
        if errors:
            raise BatchRejected(errors, conflict=True)
        now = timezone.now()
        new = [_build(platform, item, now) for item in items if item.external_id not in existing]
        created = Comment.objects.bulk_create(new)
        comments_enqueue_on_commit([comment.pk for comment in created])
    return created, existing


def comment_batch_create(
    *, platform: Platform, items: Sequence[CommentInput]
) -> list[CommentCreateResult]:
    """Store many comments in one transaction: all of them, or none (BatchRejected).

    Items already stored with the same payload are returned as they are (a retried batch is
    safe, and so is the same batch sent twice at once); a repeated external id inside the
    batch, or one that names a different stored comment, refuses the whole batch.
    """
    errors: list[BatchItemError] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.external_id in first_index:
            errors.append(
                BatchItemError(
                    index=index,
                    external_id=item.external_id,
                    errors={
                        "external_id": [
                            {
                                "code": "duplicate_in_batch",
                                "message": "This external_id already appears at index "
                                f"{first_index[item.external_id]} of the batch.",
                            }
                        ]
                    },
                )
            )
        else:
            first_index[item.external_id] = index
    if errors:
        raise BatchRejected(errors)

    # A concurrent request may store some of these external ids between the read and the
    # write: the unique constraint refuses ours, and reading again answers as a retry does
    # (the stored comments, or a conflict naming the items that differ).
    for _ in range(_CONCURRENT_WRITE_ATTEMPTS):
        try:
            created, existing = _batch_write(platform, items, list(first_index))
            break
        except IntegrityError:
            continue
    else:
        raise BatchRejected(
            [
                BatchItemError(
                    index=-1,
                    external_id=None,
                    errors={
                        "non_field_errors": [
                            {
                                "code": "concurrent_write",
                                "message": "Other requests kept writing these external ids; "
                                "send the batch again.",
                            }
                        ]
                    },
                )
            ],
            conflict=True,
        )

    created_by_id = {comment.external_id: comment for comment in created}
    return [
        CommentCreateResult(comment=created_by_id[item.external_id], created=True)
        if item.external_id in created_by_id
        else CommentCreateResult(comment=existing[item.external_id], created=False)
        for item in items
    ]


@transaction.atomic
def comment_erase(*, comment: Comment) -> Comment:
    """Erase a comment at its platform's request: its text, metadata, author id, explanation
    and scoring error are emptied and its external id freed (`erased:<id>`, so the platform
    may use it again); the row, its score history and its reviews (the audit) stay, without
    them. It is no longer scored, listed, queued for review or exported as a correction.
    Erasing twice changes nothing."""
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    if locked.erased_at is not None:
        return locked
    locked.text = ""
    locked.metadata = {}
    locked.author_id = ""
    locked.explanation = {}
    locked.scoring_error = ""
    locked.external_id = f"erased:{locked.public_id}"
    locked.erased_at = timezone.now()
    locked.save(
        update_fields=[
            "text",
            "metadata",
            "author_id",
            "explanation",
            "scoring_error",
            "external_id",
            "erased_at",
        ]
    )
    ReviewClaim.objects.filter(comment=locked).delete()
    return locked


@transaction.atomic
def comment_text_edit(*, comment: Comment, text: str) -> Comment:
    """Replace the comment's text (already validated as intake validates it) and score it again.

    The comment is pending again with a new text revision, queued for scoring after commit; its
    earlier scores stay in the score history (one row per model version and text revision),
    its moderator decision is cleared (it was about the old text; the review records stay) and
    it sends its outcome webhooks again once scored. The same text again changes nothing.
    """
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    if locked.text == text:
        return locked
    now = timezone.now()
    locked.text = text
    locked.text_revision += 1
    locked.status = CommentStatus.PENDING
    locked.scored_at = None
    locked.review_priority = None  # out of the review queue until scored again
    locked.flagged_labels = []
    locked.explanation = {}
    locked.scoring_attempts = 0
    locked.scoring_error = ""
    locked.decision = ""
    locked.decided_at = None
    locked.enqueued_at = now
    locked.enqueue_count += 1
    locked.save(
        update_fields=[
            "text",
            "text_revision",
            "status",
            "scored_at",
            "review_priority",
            "flagged_labels",
            "explanation",
            "scoring_attempts",
            "scoring_error",
            "decision",
            "decided_at",
            "enqueued_at",
            "enqueue_count",
        ]
    )
    ReviewClaim.objects.filter(comment=locked).delete()
    comments_enqueue_on_commit([locked.pk])
    return locked
