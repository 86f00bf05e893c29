"""Moderation data: platforms (tenants) and their API keys, comments and their scores, models."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from classifier.labels import LABELS


def default_flag_thresholds() -> dict[str, float]:
    return {label: settings.MODERATION_DEFAULT_FLAG_THRESHOLD for label in LABELS}


class Platform(models.Model):
    """A tenant: one site or app that sends comments, with its own moderation policy."""

    name = models.SlugField(max_length=64, unique=True)
    display_name = models.CharField(max_length=200, blank=True)
    #: Per-label score at or above which a comment is flagged for review: {label: float}.
    flag_thresholds = models.JSONField(default=default_flag_thresholds)
    #: Any label scoring at or above this removes the comment without waiting for review.
    auto_remove_threshold = models.FloatField(
        default=0.97, help_text="Any label at or above this score is removed automatically."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(auto_remove_threshold__gt=0) & Q(auto_remove_threshold__lte=1),
                name="platform_auto_remove_threshold_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A platform's API key. Only a SHA-256 digest is stored; the key is shown once."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    #: The first characters of the key, shown in the admin and logs to tell keys apart.
    prefix = models.CharField(max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    #: A rotated-out key keeps working until then; a revoked key stops at once.
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.platform.name})"


class ModelVersion(models.Model):
    """An immutable trained model artifact and what is known about it; one is active."""

    version = models.CharField(max_length=128, unique=True)
    backend = models.CharField(max_length=32)
    #: Directory of the artifact; relative paths are relative to the project root.
    artifact_path = models.CharField(max_length=500)
    label_schema = models.CharField(max_length=200)
    labels = models.JSONField(default=list)
    thresholds = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    training_summary = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_model_version"
            ),
        ]

    def __str__(self) -> str:
        return self.version


class CommentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ALLOWED = "allowed", "Allowed"
    FLAGGED = "flagged", "Flagged"
    AUTO_REMOVED = "auto_removed", "Auto-removed"


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

    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "model_version"], name="comment_score_once_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.comment_id}@{self.model_version_id}"
