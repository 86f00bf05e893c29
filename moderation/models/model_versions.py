"""Model versions: immutable trained artifacts, exactly one active."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ModelVersionOrigin(models.TextChoices):
    SHIPPED = "shipped", "Shipped with the code"
    REGISTERED = "registered", "Registered by an operator"
    RETRAINED = "retrained", "Trained by retrain"


class PromotionState(models.TextChoices):
    """What the promotion gate said of a retrained candidate (blank for other versions)."""

    NONE = "", "Not gated"
    PROMOTED = "promoted", "Promoted"
    REJECTED = "rejected", "Rejected"
    NOT_PROMOTED = "not_promoted", "Passed, not promoted (--no-promote)"


class ModelVersion(models.Model):
    """An immutable trained model artifact and what is known about it; one is active."""

    version = models.CharField(max_length=128, unique=True)
    backend = models.CharField(max_length=32)
    #: Directory of the artifact; relative paths are relative to the project root.
    artifact_path = models.CharField(max_length=500)
    label_schema = models.CharField(max_length=200)
    labels = models.JSONField(default=list)
    thresholds = models.JSONField(default=dict, blank=True)
    #: The artifact's recommended auto-remove threshold per label (absent or null: never).
    auto_remove_thresholds = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    training_summary = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    origin = models.CharField(
        max_length=16, choices=ModelVersionOrigin.choices, default=ModelVersionOrigin.REGISTERED
    )
    promotion = models.CharField(
        max_length=16, choices=PromotionState.choices, default=PromotionState.NONE, blank=True
    )
    #: Why the gate decided as it did, in words (shown in the admin).
    promotion_reason = models.TextField(blank=True)
    #: Where the evaluation report (numbers and plots) of this version lives.
    report_path = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_model_version"
            ),
        ]

    def __str__(self) -> str:
        return self.version
