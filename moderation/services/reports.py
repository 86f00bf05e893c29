"""User reports that a platform forwards: into the review queue, ahead of unreported comments."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from moderation.models import Comment, CommentReport, CommentStatus
from moderation.services.reviews import comment_priority_refresh


@dataclass(frozen=True)
class CommentReportResult:
    report: CommentReport
    #: False when this reporter had already reported the comment (the first report is kept).
    created: bool
    comment: Comment


@transaction.atomic
def comment_report(*, comment: Comment, reporter_id: str, reason: str) -> CommentReportResult:
    """Record `reporter_id`'s report of `comment` (once per reporter: a repeat changes nothing).

    Each reporter lifts the comment in the review queue (its stored priority is recomputed:
    moderation/review_priority.py). A comment
    the model allowed is flagged for review; a pending one is flagged when it is scored,
    whatever the model says; a decided one stays decided (the report is kept with it).
    """
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    existing = CommentReport.objects.filter(comment=locked, reporter_id=reporter_id).first()
    if existing is not None:
        return CommentReportResult(report=existing, created=False, comment=locked)
    report = CommentReport.objects.create(comment=locked, reporter_id=reporter_id, reason=reason)
    locked.report_count += 1
    fields = ["report_count"]
    if locked.status == CommentStatus.ALLOWED:
        locked.status = CommentStatus.FLAGGED
        fields.append("status")
    locked.save(update_fields=fields)
    comment_priority_refresh(comment=locked)  # the stored queue order counts the report
    return CommentReportResult(report=report, created=True, comment=locked)
