"""Every model has a factory (tests/factories.py), exposed as a fixture in tests/conftest.py,
that stores a valid row."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps

from tests.conftest import FACTORY_FIXTURES


def test_every_concrete_model_has_a_factory() -> None:
    from tests import factories

    covered = {
        getattr(factories, name)._meta.model._meta.label for name in FACTORY_FIXTURES.values()
    }
    models = {
        model._meta.label
        for model in apps.get_app_config("moderation").get_models()
        if not model._meta.proxy
    }

    assert models - covered == set()


@pytest.mark.parametrize("fixture_name", sorted(FACTORY_FIXTURES))
@pytest.mark.django_db
def test_each_factory_fixture_stores_a_row(request: Any, fixture_name: str) -> None:
    factory = request.getfixturevalue(fixture_name)

    row = factory()

    assert type(row)._default_manager.filter(pk=row.pk).exists()
