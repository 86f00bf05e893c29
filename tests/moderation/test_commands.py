"""Management commands an operator runs: platforms, keys, models, first-start setup."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from moderation.models import ApiKey, ModelVersion, Platform


def run(*args: Any) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


def can_post(key: str, external_id: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return int(
        client.post(
            "/api/v1/comments", {"external_id": external_id, "text": "hi"}, format="json"
        ).status_code
    )


@pytest.mark.django_db
def test_platform_create_prints_a_working_key_on_the_last_line() -> None:
    lines = run("platform_create", "forum", "--flag-threshold", "threat=0.3")

    platform = Platform.objects.get(name="forum")
    recommended = ModelVersion.objects.get(is_active=True).thresholds
    assert platform.flag_thresholds["threat"] == 0.3
    assert platform.flag_thresholds["toxic"] == pytest.approx(recommended["toxic"], abs=1e-4)
    assert can_post(lines[-1], "c-1") == 202


@pytest.mark.parametrize(
    "args",
    [
        ["--flag-threshold", "rudeness=0.3"],
        ["--flag-threshold", "threat=1.5"],
        ["--flag-threshold", "threat=abc"],
        ["--auto-remove", "threat=0.2", "--flag-threshold", "threat=0.5"],  # below the flag
        ["--auto-remove", "rudeness=0.99"],
        ["--auto-remove", "threat"],
    ],
)
@pytest.mark.django_db
def test_platform_create_refuses_bad_policies(args: list[str]) -> None:
    with pytest.raises(CommandError):
        run("platform_create", "forum", *args)
    assert not Platform.objects.exists()


@pytest.mark.django_db
def test_platform_create_refuses_a_taken_name() -> None:
    run("platform_create", "forum")
    with pytest.raises(CommandError):
        run("platform_create", "forum")


@pytest.mark.django_db
def test_key_rotate_issues_a_new_key_and_revokes_the_old_one() -> None:
    old = run("platform_create", "forum")[-1]
    new = run("platform_key_rotate", "forum")[-1]

    assert new != old
    assert can_post(new, "c-1") == 202
    assert can_post(old, "c-2") == 401
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_key_rotate_of_an_unknown_platform_fails() -> None:
    with pytest.raises(CommandError, match="No platform"):
        run("platform_key_rotate", "nope")


@pytest.mark.django_db
def test_model_activate_rolls_between_versions(tiny_model: Any, tiny_model_dir: Any) -> None:
    shipped = ModelVersion.objects.exclude(pk=tiny_model.pk).get()

    run("model_activate", shipped.version)
    assert ModelVersion.objects.get(is_active=True) == shipped
    run("model_activate", tiny_model.version)
    assert ModelVersion.objects.get(is_active=True) == tiny_model
    with pytest.raises(CommandError, match="No model version"):
        run("model_activate", "no-such-version")


@pytest.mark.django_db
def test_demo_setup_prints_credentials_once_and_is_safe_to_rerun() -> None:
    first = "\n".join(run("demo_setup"))
    second = "\n".join(run("demo_setup"))

    assert "API key: tm_" in first
    assert "password: " in first
    assert "tm_" not in second
    assert "exists" in second
    assert Platform.objects.filter(name="demo").count() == 1
    assert ModelVersion.objects.filter(is_active=True).count() == 1


@pytest.mark.django_db
def test_migrate_registers_the_shipped_model_as_active() -> None:
    from classifier.artifacts import read_manifest, shipped_model_dir

    active = ModelVersion.objects.get(is_active=True)
    assert active.version == read_manifest(shipped_model_dir()).version
