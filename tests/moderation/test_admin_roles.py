"""The `moderators` role in the admin: review tools only, no API keys, webhook secrets or
model management, on every page of every admin (including ones added later).

The first test fails when an admin is registered without being put in FORBIDDEN or ALLOWED;
the second walks every URL of every forbidden admin (list, add, change, delete, history and
custom pages such as "retrain"), with GET and POST, as a moderator; the third reads the pages
a moderator may open and looks for key and secret material in them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db.models import Model
from django.test import Client
from django_celery_results.models import GroupResult, TaskResult

from moderation.models import (
    ApiKey,
    Comment,
    ModelVersion,
    Platform,
    RetrainRun,
    WebhookDelivery,
    WebhookEndpoint,
)
from moderation.services.webhooks import (
    WebhookEvent,
    webhook_endpoint_create,
    webhook_events_emit,
)
from tests.factories import make_flagged, make_moderator

#: Admins a moderator must not reach at all.
FORBIDDEN = {
    "auth.Group",
    "auth.User",
    "django_celery_results.GroupResult",
    "django_celery_results.TaskResult",
    "moderation.ApiKey",
    "moderation.ModelVersion",
    "moderation.Platform",
    "moderation.RetrainRun",
    "moderation.WebhookDelivery",
    "moderation.WebhookEndpoint",
}
#: Admins that are the moderators' tools.
ALLOWED = {
    "moderation.AuthorAction",
    "moderation.Comment",
    "moderation.ModerationDashboard",
    "moderation.Review",
    "moderation.ReviewQueueItem",
    "moderation.TextTrial",
}


@pytest.fixture
def secrets_world(db: None, platform: Any, issued_key: Any) -> dict[str, Any]:
    """One row of every forbidden model, and the secrets a moderator must never see."""
    endpoint = webhook_endpoint_create(platform=platform, url="https://93.184.215.14/hook")
    flagged = make_flagged(platform, external_id="seen-by-moderators")
    webhook_events_emit(
        [WebhookEvent(platform_id=platform.pk, event_type="comment.flagged", data={})]
    )
    RetrainRun.objects.create(backend="linear")
    TaskResult.objects.create(task_id="task-1")
    GroupResult.objects.create(group_id="group-1")
    User.objects.create_superuser("root", password="root-pass-123")
    return {
        "moderator": make_moderator("mia"),
        "flagged": flagged,
        "secrets": [
            issued_key.secret,
            issued_key.api_key.digest,
            issued_key.api_key.prefix,
            endpoint.secret,
        ],
    }


def admin_urls(model: type[Model], pk: object) -> list[str]:
    """Every URL of the model's admin, with `pk` in place of the object id."""
    model_admin = admin.site._registry[model]
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    urls = []
    for pattern in model_admin.get_urls():
        regex = pattern.pattern.regex.pattern
        path = re.sub(r"\(\?P<\w+>[^)]*\)", str(pk), regex).lstrip("^").removesuffix(r"\Z")
        urls.append(base + path)
    return urls


def test_every_admin_is_either_forbidden_or_allowed_for_moderators() -> None:
    registered = {model._meta.label for model in admin.site._registry}

    assert registered == FORBIDDEN | ALLOWED
    assert not FORBIDDEN & ALLOWED


def test_moderators_reach_no_page_of_a_forbidden_admin(secrets_world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(secrets_world["moderator"])
    counts_before = {model: model._default_manager.count() for model in admin.site._registry}
    reached = []

    for model in admin.site._registry:
        if model._meta.label not in FORBIDDEN:
            continue
        row = model._default_manager.first()
        assert row is not None, f"no {model._meta.label} row to try the pages with"
        for url in admin_urls(model, row.pk):
            # Followed: the bare "<id>/" URL redirects to the change page, which must refuse.
            for response in (
                client.get(url, follow=True),
                client.post(url, {"post": "yes"}, follow=True),
            ):
                page = response.content.decode(errors="replace")
                if response.status_code not in (403, 404, 405) or any(
                    secret in page for secret in secrets_world["secrets"]
                ):
                    reached.append(f"{response.request['REQUEST_METHOD']} {url}")

    assert reached == []
    assert {
        model: model._default_manager.count() for model in admin.site._registry
    } == counts_before
    assert Platform.objects.get().is_active


def test_moderators_pages_show_no_key_or_secret(secrets_world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(secrets_world["moderator"])
    flagged: Comment = secrets_world["flagged"]
    pages = [
        "/admin/",
        "/admin/moderation/reviewqueueitem/",
        f"/admin/moderation/reviewqueueitem/{flagged.pk}/decide/",
        "/admin/moderation/comment/",
        f"/admin/moderation/comment/{flagged.pk}/change/",
        "/admin/moderation/review/",
        "/admin/moderation/moderationdashboard/",
        "/admin/moderation/texttrial/",
    ]

    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for secret in secrets_world["secrets"]:
            assert secret not in page, url
        assert "whsec_" not in page, url
        assert "/admin/moderation/apikey/" not in page, url
    assert Group.objects.get(name="moderators").user_set.filter(username="mia").exists()
    assert ApiKey.objects.exists()
    assert WebhookEndpoint.objects.exists()
    assert WebhookDelivery.objects.exists()
    assert ModelVersion.objects.exists()
