"""Reading comments, always scoped to one platform for API callers."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from moderation.models import Comment, Platform


def comment_list_for_platform(*, platform: Platform) -> QuerySet[Comment]:
    """The platform's comments, newest first, with what their representation needs."""
    return Comment.objects.filter(platform=platform, erased_at__isnull=True).select_related(
        "model_version"
    )


def comment_get_for_platform(*, platform: Platform, public_id: UUID) -> Comment:
    """One of the platform's comments; Http404 for another platform's (never a 403 leak)."""
    comment = comment_list_for_platform(platform=platform).filter(public_id=public_id).first()
    if comment is None:
        raise Http404("No such comment.")
    return comment
