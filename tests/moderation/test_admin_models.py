"""The admin's model versions and retrain runs: what the gate decided, and the buttons."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.models import ModelVersion, PromotionState, RetrainRun, RetrainStatus


@pytest.mark.django_db
def test_versions_show_origin_promotion_and_reason(admin_client: Any, tiny_model: Any) -> None:
    ModelVersion.objects.filter(pk=tiny_model.pk).update(
        promotion=PromotionState.REJECTED, promotion_reason="Not better on the corrections."
    )

    listing = admin_client.get("/admin/moderation/modelversion/").content.decode()
    detail = admin_client.get(f"/admin/moderation/modelversion/{tiny_model.pk}/change/")

    assert "shipped" in listing.lower()
    assert "Rejected" in listing
    assert "Not better on the corrections." in detail.content.decode()


@pytest.mark.django_db
def test_retrain_runs_list_and_the_retrain_button(
    admin_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    RetrainRun.objects.create(
        backend="linear",
        status=RetrainStatus.SKIPPED,
        is_running=False,
        reason="Only 3 new correction(s) since the last retrain.",
    )
    listing = admin_client.get("/admin/moderation/retrainrun/").content.decode()
    assert "Only 3 new correction(s)" in listing
    assert "Retrain now" in listing

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = admin_client.post("/admin/moderation/retrainrun/retrain/", follow=True)

    assert len(queued) == 1  # the task is sent once the request's transaction commits
    assert any("Retrain queued" in str(m) for m in response.context["messages"])
    assert admin_client.get("/admin/moderation/retrainrun/retrain/").status_code == 405


@pytest.mark.django_db
def test_rescore_action_queues_a_rescore(
    admin_client: Any, tiny_model: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        admin_client.post(
            "/admin/moderation/modelversion/",
            {"action": "rescore_with_active", "_selected_action": [tiny_model.pk]},
        )
    assert len(queued) == 1


@pytest.mark.django_db
def test_moderators_cannot_reach_model_management(client: Any) -> None:
    from tests.factories import make_moderator

    client.force_login(make_moderator("mia"))

    assert client.get("/admin/moderation/modelversion/").status_code == 403
    assert client.get("/admin/moderation/retrainrun/").status_code == 403
    assert client.post("/admin/moderation/retrainrun/retrain/").status_code == 403
