"""factory_boy factories, one per model (tests/conftest.py exposes each as a fixture), and
the two shapes most review tests start from: a flagged comment as a worker leaves it, and a
user in the moderators group."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from classifier.labels import LABELS
from moderation.models import (
    ApiKey,
    AuthorAction,
    Comment,
    CommentReport,
    CommentScore,
    CommentStatus,
    ModelVersion,
    Platform,
    RetrainRun,
    Review,
    ReviewClaim,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from moderation.services.reviews import comment_priority_refresh


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform

    name = factory.Sequence(lambda n: f"platform-{n}")
    display_name = factory.LazyAttribute(lambda o: o.name.title())
    flag_thresholds = factory.LazyFunction(lambda: dict.fromkeys(LABELS, 0.5))
    auto_remove_thresholds = factory.LazyFunction(dict)


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """A key row (its secret is unknown: use `api_key_issue` for a key to call the API with)."""

    class Meta:
        model = ApiKey

    platform = factory.SubFactory(PlatformFactory)
    prefix = factory.Sequence(lambda n: f"tm_{n:07d}")
    digest = factory.LazyFunction(lambda: hashlib.sha256(uuid.uuid4().bytes).hexdigest())


class ModelVersionFactory(factory.django.DjangoModelFactory):
    """A registered version that is not active (its artifact path need not exist)."""

    class Meta:
        model = ModelVersion

    version = factory.Sequence(lambda n: f"test-version-{n}")
    backend = "linear"
    artifact_path = factory.Sequence(lambda n: f"/nonexistent/test-version-{n}")
    label_schema = "jigsaw-toxic-6"
    labels = factory.LazyFunction(lambda: list(LABELS))
    is_active = False


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    platform = factory.SubFactory(PlatformFactory)
    external_id = factory.Sequence(lambda n: f"c-{n}")
    text = factory.Faker("sentence")
    author_id = factory.Sequence(lambda n: f"u-{n}")


class CommentScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommentScore

    comment = factory.SubFactory(CommentFactory)
    model_version = factory.SubFactory(ModelVersionFactory)
    scores = factory.LazyFunction(lambda: dict.fromkeys(LABELS, 0.1))


class CommentReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommentReport

    comment = factory.SubFactory(CommentFactory)
    reporter_id = factory.Sequence(lambda n: f"reporter-{n}")
    reason = "harassment"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user-{n}")
    password = factory.django.Password("review-pass-123")


class ModeratorFactory(UserFactory):
    """A user in the `moderators` group (moderators_group_ensure), re-read so that its
    permission cache is fresh."""

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: Any = None) -> None:
        super()._after_postgeneration(instance, create, results)
        if create:
            from moderation.services.reviews import moderators_group_ensure

            moderators_group_ensure(users=[instance])


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    comment = factory.SubFactory(CommentFactory)
    moderator = factory.SubFactory(ModeratorFactory)
    moderator_username = factory.LazyAttribute(lambda o: o.moderator.username)
    action = "approved"
    labels_before = factory.LazyFunction(lambda: dict.fromkeys(LABELS, 1))
    labels_after = factory.LazyFunction(lambda: dict.fromkeys(LABELS, 0))
    created_at = factory.LazyFunction(timezone.now)


class AuthorActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuthorAction

    platform = factory.SubFactory(PlatformFactory)
    author_id = factory.Sequence(lambda n: f"u-{n}")
    action = "warned"
    moderator = factory.SubFactory(ModeratorFactory)
    moderator_username = factory.LazyAttribute(lambda o: o.moderator.username)
    created_at = factory.LazyFunction(timezone.now)


class ReviewClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewClaim

    comment = factory.SubFactory(CommentFactory)
    moderator = factory.SubFactory(ModeratorFactory)
    claimed_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=10))


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    platform = factory.SubFactory(PlatformFactory)
    url = "https://93.184.215.14/hook"
    secret = factory.LazyFunction(lambda: f"whsec_{uuid.uuid4().hex}")


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    webhook_id = factory.LazyFunction(lambda: f"msg_{uuid.uuid4().hex}")
    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event_type = "webhook.test"
    payload = factory.LazyFunction(lambda: {"type": "webhook.test", "data": {}})
    next_attempt_at = factory.LazyFunction(timezone.now)


class WebhookAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookAttempt

    delivery = factory.SubFactory(WebhookDeliveryFactory)
    attempted_at = factory.LazyFunction(timezone.now)
    succeeded = True
    status_code = 200


class RetrainRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RetrainRun

    backend = "linear"


def make_flagged(
    platform: Any,
    *,
    external_id: str,
    scores: dict[str, float] | None = None,
    text: str = "you are a stupid idiot",
    author_id: str = "",
    explanation: dict[str, Any] | None = None,
    status: str = CommentStatus.FLAGGED,
) -> Comment:
    """A comment as the worker leaves a flagged one (scores, flags, the active version)."""
    scores = scores or {"toxic": 0.91, "insult": 0.87}
    full = {label: float(scores.get(label, 0.02)) for label in LABELS}
    thresholds = platform.flag_thresholds
    comment: Comment = CommentFactory.build(
        platform=platform,
        external_id=external_id,
        text=text,
        author_id=author_id,
        status=status,
        max_score=max(full.values()),
        flagged_labels=[label for label in LABELS if full[label] >= thresholds.get(label, 0.5)],
        model_version=ModelVersion.objects.filter(is_active=True).first(),
        scored_at=timezone.now(),
        explanation=explanation or {},
    )
    comment.set_scores(full)
    comment.save()
    comment_priority_refresh(comment=comment)  # as scoring stores it, from the saved created_at
    return comment


def make_moderator(username: str) -> User:
    """A user named `username` in the moderators group, with a fresh permission cache."""
    user = ModeratorFactory.create(username=username)
    return User.objects.get(pk=user.pk)
