"""A running worker picks up a promoted model, and a rollback, without a restart."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from moderation.models import ModelVersion, RetrainStatus
from moderation.services.retraining import RetrainOptions, retrain_run
from tests.conftest import wait_for
from tests.retraining_data import pattern_corrections, record_corrections

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def scored_with(client: APIClient, external_id: str, text: str) -> str:
    """POST a comment and wait for the worker; the model version it was scored with."""
    comment_id = client.post(
        "/api/v1/comments",
        data=json.dumps({"external_id": external_id, "text": text}),
        content_type="application/json",
    ).json()["id"]

    def version() -> str | None:
        body = client.get(f"/api/v1/comments/{comment_id}").json()
        return body["model_version"] if body["status"] != "pending" else None

    return str(wait_for(version))


def test_worker_switches_to_a_promoted_model_and_back_on_rollback(
    celery_worker_process: Any,
    retrain_settings: Any,
    tiny_model: ModelVersion,
    platform: Any,
    api_client: APIClient,
) -> None:
    assert scored_with(api_client, "before", "the weather is total zorblax") == "tiny-v1"

    record_corrections(platform, pattern_corrections())
    run = retrain_run(options=RetrainOptions())
    assert run.status == RetrainStatus.PROMOTED, run.reason
    assert run.candidate is not None
    promoted = run.candidate.version

    after = scored_with(api_client, "after", "the film is total zorblax")
    call_command("model_activate", "tiny-v1", stdout=StringIO())
    rolled_back = scored_with(api_client, "rolled-back", "the film is total zorblax again")

    assert after == promoted
    assert rolled_back == "tiny-v1"
    assert ModelVersion.objects.get(is_active=True) == tiny_model
