"""Platform policy: defaults from the active model, validation of thresholds."""

from __future__ import annotations

from typing import Any

import pytest

from classifier.labels import LABELS
from moderation.errors import InvalidPolicy
from moderation.models import ModelVersion, Platform
from moderation.services.platforms import platform_create


@pytest.mark.django_db
def test_new_platform_starts_from_the_active_models_recommended_thresholds() -> None:
    recommended = ModelVersion.objects.get(is_active=True).thresholds

    platform = platform_create(name="forum")

    for label in LABELS:
        expected = recommended.get(label, 0.5)
        assert platform.flag_thresholds[label] == pytest.approx(expected, abs=1e-4)


@pytest.mark.django_db
def test_labels_without_a_recommendation_fall_back_to_the_setting(
    tiny_model: Any, settings: Any
) -> None:
    settings.MODERATION_DEFAULT_FLAG_THRESHOLD = 0.42
    ModelVersion.objects.filter(pk=tiny_model.pk).update(thresholds={"toxic": 0.3})

    platform = platform_create(name="forum", flag_thresholds={"threat": 0.2})

    assert platform.flag_thresholds == {**dict.fromkeys(LABELS, 0.42), "toxic": 0.3, "threat": 0.2}


@pytest.mark.parametrize(
    ("thresholds", "auto_remove"),
    [
        ({"rudeness": 0.5}, {"toxic": 0.9}),
        ({"toxic": 0.0}, {"toxic": 0.9}),
        ({"toxic": 1.2}, {"toxic": 0.9}),
        ({"toxic": 0.95}, {"toxic": 0.9}),  # removal below the flag threshold
        ({}, {"rudeness": 0.99}),
        ({}, {"threat": 0.0}),
        ({}, {"threat": 1.5}),
    ],
)
@pytest.mark.django_db
def test_invalid_policies_are_refused(
    thresholds: dict[str, float], auto_remove: dict[str, float]
) -> None:
    with pytest.raises(InvalidPolicy):
        platform_create(
            name="forum", flag_thresholds=thresholds, auto_remove_thresholds=auto_remove
        )
    assert not Platform.objects.filter(name="forum").exists()


@pytest.mark.django_db
def test_new_platforms_auto_remove_only_where_the_active_model_recommends_it(
    tiny_model: ModelVersion,
) -> None:
    ModelVersion.objects.filter(pk=tiny_model.pk).update(auto_remove_thresholds={"threat": 0.99})
    platform = platform_create(name="forum")
    assert platform.auto_remove_thresholds == {"threat": 0.99}
    never = platform_create(name="quiet", auto_remove_thresholds={})
    assert never.auto_remove_thresholds == {}
