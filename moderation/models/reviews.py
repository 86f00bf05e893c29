"""Moderator reviews: the append-only audit of decisions, claims, and the admin's review pages.

`Review` rows are written only by `moderation.services.reviews`; nothing updates or deletes
them (the admin offers neither). The proxy models give the review queue, the dashboard and the
"try a text" page their own admin entries and view permissions, which the `moderators` group
is granted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from moderation.models.comments import Comment, Decision

#: Decisions that settle a comment; an escalation asks someone else to decide.
FINAL_DECISIONS = (Decision.APPROVED, Decision.REMOVED, Decision.RELABELED)


class Review(models.Model):
    """One moderator decision on a comment: who, when, what, the labels before and after."""

    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, related_name="reviews")
    #: Kept (by name, below) if the account is deleted later: the record outlives the user.
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    moderator_username = models.CharField(max_length=150)
    action = models.CharField(max_length=16, choices=Decision.choices)
    #: What the model said when the moderator decided: {label: score in [0, 1]}.
    labels_before = models.JSONField()
    model_version = models.CharField(max_length=128, blank=True)
    #: The moderator's ground truth: {label: 1, 0 or null (unknown)}; see corrections-format.md.
    labels_after = models.JSONField()
    note = models.TextField(blank=True)
    #: Why a comment was removed: a code from settings.MODERATION_REMOVAL_REASONS ("" for none).
    reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["comment", "-created_at"], name="review_comment_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=Decision.values), name="review_action_known"
            ),
        ]
        permissions = [
            ("review_comment", "Can decide on comments in the review queue"),
            ("export_corrections", "Can export moderator corrections"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.moderator_username} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_final(self) -> bool:
        return self.action in FINAL_DECISIONS


class AuthorActionKind(models.TextChoices):
    WARNED = "warned", "Warned"
    SILENCED = "silenced", "Silenced"
    BANNED = "banned", "Banned"


class AuthorAction(models.Model):
    """A moderator's action against an author on a platform: append-only, like `Review`, and
    sent to the platform as an `author.actioned` webhook (the platform enforces it)."""

    platform = models.ForeignKey(
        "moderation.Platform", on_delete=models.PROTECT, related_name="author_actions"
    )
    author_id = models.CharField(max_length=255)
    action = models.CharField(max_length=16, choices=AuthorActionKind.choices)
    #: For a silence, when it ends; null for a warning or a ban.
    until = models.DateTimeField(null=True, blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderator_username = models.CharField(max_length=150)
    note = models.TextField(blank=True)
    #: How many of the author's open flagged comments were removed with it.
    comments_removed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["platform", "author_id", "-created_at"], name="author_action_author"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuthorActionKind.values), name="author_action_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.author_id} by {self.moderator_username}"


class ReviewClaim(models.Model):
    """A moderator has a comment open; others are told so until it expires or is decided."""

    comment = models.OneToOneField(
        Comment, primary_key=True, on_delete=models.CASCADE, related_name="review_claim"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_claims"
    )
    claimed_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.comment_id} claimed by {self.moderator_id} until {self.expires_at}"


class ReviewQueueItem(Comment):
    """A flagged comment waiting for a moderator (the admin's review queue)."""

    class Meta:
        proxy = True
        verbose_name = "review queue item"
        verbose_name_plural = "review queue"


class ModerationDashboard(Comment):
    """Traffic, flag rates, queue health and anomalies (the admin's dashboard page)."""

    class Meta:
        proxy = True
        verbose_name = "dashboard"
        verbose_name_plural = "dashboard"


class TextTrial(Comment):
    """Score a pasted text with the active model without storing it (the admin's try page)."""

    class Meta:
        proxy = True
        verbose_name = "try a text"
        verbose_name_plural = "try a text"
