"""Platforms (tenants), their moderation policy, and their API keys."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from classifier.labels import LABELS


def default_flag_thresholds() -> dict[str, float]:
    return {label: settings.MODERATION_DEFAULT_FLAG_THRESHOLD for label in LABELS}


class Platform(models.Model):
    """A tenant: one site or app that sends comments, with its own moderation policy."""

    name = models.SlugField(max_length=64, unique=True)
    display_name = models.CharField(max_length=200, blank=True)
    #: Per-label score at or above which a comment is flagged for review: {label: float}.
    flag_thresholds = models.JSONField(default=default_flag_thresholds)
    #: Per label, the score at or above which the comment is removed without waiting for
    #: review: {label: float}. A label that is absent never removes on its own.
    auto_remove_thresholds = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per label, the score at or above which a comment is removed automatically; "
        "labels not listed never remove without a moderator.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

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
