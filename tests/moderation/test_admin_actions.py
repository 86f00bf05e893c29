"""Every admin action declares the permission it needs: a staff user who may only view every
page, and a moderator, see and run only the actions the docs give them (docs/security.md,
"Admin roles"); custom admin views refuse them as well."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.test import Client, RequestFactory

from moderation.models import ApiKey, Comment, CommentStatus, ModelVersion, WebhookEndpoint
from moderation.services.reviews import moderators_group_ensure
from moderation.services.webhooks import webhook_endpoint_create

pytestmark = pytest.mark.django_db

#: What a moderator may run, by admin; every other action of every admin is refused.
MODERATOR_ACTIONS = {
    "moderation.ReviewQueueItem": {"approve_selected", "remove_selected"},
    "moderation.Review": {"export_jsonl", "export_csv"},
}


@pytest.fixture
def viewer(db: None) -> User:
    """Staff with the view permission on every model, and nothing else."""
    user = User.objects.create_user("viewer", password="view-pass-123", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def moderator(db: None) -> User:
    user = User.objects.create_user("mod", password="review-pass-123")
    moderators_group_ensure(users=[user])
    return User.objects.get(pk=user.pk)


def actions_for(user: User) -> dict[str, set[str]]:
    request = RequestFactory().get("/admin/")
    request.user = user
    offered = {}
    for model, model_admin in admin.site._registry.items():
        names = set(model_admin.get_actions(request))
        if names:
            offered[model._meta.label] = names
    return offered


def test_a_view_only_staff_user_is_offered_no_action(viewer: User) -> None:
    assert actions_for(viewer) == {}


def test_a_moderator_is_offered_only_the_review_and_export_actions(moderator: User) -> None:
    assert actions_for(moderator) == MODERATOR_ACTIONS


def test_a_superuser_is_offered_every_action(db: None) -> None:
    root = User.objects.create_superuser("root", password="root-pass-123")
    offered = actions_for(root)
    request = RequestFactory().get("/admin/")
    request.user = root

    for model, model_admin in admin.site._registry.items():
        declared = {name for _, name, _ in model_admin._get_base_actions()}  # type: ignore[attr-defined]
        if not model_admin.has_delete_permission(request):
            declared.discard("delete_selected")  # rows nobody deletes from the admin
        assert offered.get(model._meta.label, set()) == declared, model._meta.label
    assert {"issue_key", "revoke", "rotate_secret", "activate"} <= set().union(*offered.values())


def _run_action(user: User, model: Any, action: str, pk: Any) -> Any:
    client = Client()
    client.force_login(user)
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    return client.post(url, {"action": action, "_selected_action": [pk]}, follow=True)


def test_actions_posted_by_a_view_only_user_change_nothing(
    viewer: User, platform: Any, issued_key: Any, tiny_model: Any, tmp_path: Any
) -> None:
    endpoint = webhook_endpoint_create(platform=platform, url="https://93.184.215.14/hook")
    secret_before = WebhookEndpoint.objects.get().secret
    other = ModelVersion.objects.create(
        version="other", backend="linear", artifact_path=str(tmp_path), is_active=False
    )

    pages = [
        _run_action(viewer, type(platform), "issue_key", platform.pk),
        _run_action(viewer, ApiKey, "revoke", issued_key.api_key.pk),
        _run_action(viewer, WebhookEndpoint, "rotate_secret", endpoint.endpoint.pk),
        _run_action(viewer, ModelVersion, "activate", other.pk),
    ]

    assert ApiKey.objects.count() == 1
    assert ApiKey.objects.get().revoked_at is None
    assert WebhookEndpoint.objects.get().secret == secret_before
    assert ModelVersion.objects.get(is_active=True).pk == tiny_model.pk
    for page in pages:
        text = page.content.decode()
        assert "copy it now" not in text  # no key or secret was issued and shown


def test_a_moderator_cannot_retry_scoring(
    moderator: User, platform: Any, comment_factory: Any
) -> None:
    comment = comment_factory(platform=platform, status=CommentStatus.FAILED)

    _run_action(moderator, Comment, "retry_failed", comment.pk)

    assert Comment.objects.get(pk=comment.pk).status == CommentStatus.FAILED


@pytest.mark.parametrize(
    "url",
    ["/admin/moderation/retrainrun/retrain/", "/admin/moderation/review/export/"],
)
def test_custom_admin_views_refuse_a_view_only_user(viewer: User, url: str) -> None:
    client = Client()
    client.force_login(viewer)

    assert client.post(url).status_code == 403
