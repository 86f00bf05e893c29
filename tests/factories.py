"""factory_boy factories for the moderation models."""

from __future__ import annotations

import factory

from classifier.labels import LABELS
from moderation.models import Comment, Platform


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform

    name = factory.Sequence(lambda n: f"platform-{n}")
    display_name = factory.LazyAttribute(lambda o: o.name.title())
    flag_thresholds = factory.LazyFunction(lambda: dict.fromkeys(LABELS, 0.5))
    auto_remove_thresholds = factory.LazyFunction(dict)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    platform = factory.SubFactory(PlatformFactory)
    external_id = factory.Sequence(lambda n: f"c-{n}")
    text = factory.Faker("sentence")
    author_id = factory.Sequence(lambda n: f"u-{n}")
