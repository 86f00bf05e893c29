"""Retrain runs: each run of the retraining command, what it compared and what it decided."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from moderation.models.model_versions import ModelVersion


class RetrainStatus(models.TextChoices):
    RUNNING = "running", "Running"
    PROMOTED = "promoted", "Candidate promoted"
    REJECTED = "rejected", "Candidate rejected"
    NOT_PROMOTED = "not_promoted", "Candidate kept, not promoted (--no-promote)"
    SKIPPED = "skipped", "Skipped (too few new corrections)"
    DRY_RUN = "dry_run", "Dry run"
    FAILED = "failed", "Failed"


class RetrainRun(models.Model):
    """One run of `retrain`. The running one is also the lock: at most one row is running."""

    status = models.CharField(
        max_length=16, choices=RetrainStatus.choices, default=RetrainStatus.RUNNING
    )
    is_running = models.BooleanField(default=True)
    trigger = models.CharField(max_length=16, default="command")  # command, schedule, admin
    backend = models.CharField(max_length=32)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    champion = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    candidate = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrections_total = models.PositiveIntegerField(default=0)
    corrections_new = models.PositiveIntegerField(default=0)
    #: The newest decision included: the next run counts new corrections from here.
    corrections_until = models.DateTimeField(null=True, blank=True)
    #: Champion and candidate side by side: {"holdout": {...}, "corrections": {...}}.
    comparison = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    report_path = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_running"], condition=Q(is_running=True), name="one_running_retrain"
            ),
        ]

    def __str__(self) -> str:
        return f"retrain {self.pk} ({self.status})"
