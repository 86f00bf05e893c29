"""Comments, their current scores and outcome, and their score history."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import F, Q

from classifier.labels import LABELS
from moderation.models.model_versions import ModelVersion
from moderation.models.platforms import Platform


class CommentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ALLOWED = "allowed", "Allowed"
    FLAGGED = "flagged", "Flagged"
    AUTO_REMOVED = "auto_removed", "Auto-removed"
    #: The model raised on this comment SCORING_MAX_ATTEMPTS times; `scoring_error` says why.
    FAILED = "failed", "Failed"


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    REMOVED = "removed", "Removed"
    ESCALATED = "escalated", "Escalated"
    RELABELED = "relabeled", "Relabeled"


class Comment(models.Model):
    """A comment a platform submitted, its current scores and the outcome."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="comments")
    external_id = models.CharField(max_length=255)
    text = models.TextField()
    author_id = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=CommentStatus.choices, default=CommentStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    #: When the comment was last handed to the broker; the sweeper re-enqueues stale ones.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    enqueue_count = models.PositiveIntegerField(default=0)
    #: Scoring attempts on which the model raised for this comment alone (a poison text);
    #: at SCORING_MAX_ATTEMPTS it becomes `failed` and leaves the pending set.
    scoring_attempts = models.PositiveIntegerField(default=0)
    #: The last such error, truncated; empty unless an attempt failed.
    scoring_error = models.TextField(blank=True)

    # The current scores (history in CommentScore). One column per label keeps filtering
    # and ordering by a label's score an indexed query.
    score_toxic = models.FloatField(null=True, blank=True)
    score_severe_toxic = models.FloatField(null=True, blank=True)
    score_obscene = models.FloatField(null=True, blank=True)
    score_threat = models.FloatField(null=True, blank=True)
    score_insult = models.FloatField(null=True, blank=True)
    score_identity_hate = models.FloatField(null=True, blank=True)
    #: The highest label score: the review queue's first ordering key.
    max_score = models.FloatField(null=True, blank=True, db_index=True)
    flagged_labels = models.JSONField(default=list, blank=True)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="comments"
    )
    scored_at = models.DateTimeField(null=True, blank=True)
    #: For flagged comments, the spans that drove each flagged label's score, computed by the
    #: worker at scoring time: {label: [{"start", "end", "text", "weight"}]} (offsets into text).
    explanation = models.JSONField(default=dict, blank=True)

    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    #: When the platform erased the comment (DELETE): its text, metadata and author id are
    #: gone, the row stays for the audit of its reviews and scores, and the API no longer
    #: shows it.
    erased_at = models.DateTimeField(null=True, blank=True)
    #: How many distinct users reported the comment (CommentReport rows): lifts it in the
    #: review queue, and a reported comment the model allows is flagged for review all the same.
    report_count = models.PositiveIntegerField(default=0)
    #: How many times the platform edited the text (PATCH); each edit is scored again and its
    #: scores recorded in the history beside the earlier text's.
    text_revision = models.PositiveIntegerField(default=0)
    #: The review queue's order, stored so that it can be indexed: see moderation/review_priority.py
    #: (the priority now is this plus a term that is the same for every comment). Null until
    #: scored; recomputed when scores, reports or the review state change.
    review_priority = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="comment_unique_external_id"
            ),
        ]
        indexes = [
            models.Index(fields=["platform", "-created_at"], name="comment_platform_created"),
            models.Index(fields=["status", "enqueued_at"], name="comment_status_enqueued"),
            models.Index(fields=["platform", "status"], name="comment_platform_status"),
            # The review queue's page: open comments, highest priority first.
            models.Index(
                F("review_priority").desc(),
                F("id").desc(),
                name="comment_review_priority",
                condition=Q(status__in=["flagged", "auto_removed"]),
            ),
            # An author's record (the queue's "n other flagged", the author page).
            models.Index(fields=["platform", "author_id", "status"], name="comment_author_status"),
        ]

    def __str__(self) -> str:
        return f"{self.platform_id}:{self.external_id}"

    @property
    def is_flagged(self) -> bool:
        return self.status in (CommentStatus.FLAGGED, CommentStatus.AUTO_REMOVED)

    @property
    def scores(self) -> dict[str, float] | None:
        if self.scored_at is None:
            return None
        return {label: getattr(self, f"score_{label}") for label in LABELS}

    def set_scores(self, scores: dict[str, Any]) -> None:
        for label in LABELS:
            setattr(self, f"score_{label}", float(scores[label]))


class CommentScore(models.Model):
    """Every score a model version gave a comment: the history behind Comment's current scores."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="score_history")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    scores = models.JSONField()
    #: The comment's text_revision these scores are of (0: the text as first submitted).
    text_revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "model_version", "text_revision"],
                name="comment_score_once_per_version_and_text",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.comment_id}@{self.model_version_id}"


class CommentReport(models.Model):
    """A user's report of a comment, forwarded by the platform: one per reporter and comment."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    #: The platform's id of the user who reported it.
    reporter_id = models.CharField(max_length=255)
    #: The user's reason, as the platform passes it on.
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reporter_id"], name="comment_report_once_per_reporter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.comment_id} reported by {self.reporter_id}"
