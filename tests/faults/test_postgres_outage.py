"""Postgres unreachable from the web server: the API answers 503 with Retry-After and the
standard error body, stores nothing it was refused, and recovers on its own."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from moderation.models import Comment
from tests.faults.conftest import PlatformApi, Posting, comment_text, settled_outcome_count

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_with_postgres_unreachable_the_api_answers_503_and_recovers_by_itself(
    activate_fault_model: Any,
    start_worker: Any,
    db_proxy: Any,
    web_server: Any,
    platform_api: PlatformApi,
    webhook_receiver: Any,
    fault_counts: Any,
) -> None:
    from moderation.services.webhooks import webhook_endpoint_create

    activate_fault_model("faults-postgres")
    webhook_endpoint_create(platform=platform_api.platform, url=webhook_receiver.url)
    start_worker()  # the workers keep their own database connection; only the web loses it
    posting = Posting()
    for n in range(6):
        assert posting.record(platform_api.post_comment(f"pg-{n}", comment_text(n))).ok
    first_id = (posting.accepted)[0]

    db_proxy.cut()  # drops the web server's open connections and refuses new ones
    log_size = len(web_server.log)
    try:
        refused = [
            posting.record(platform_api.post_comment(f"pg-{n}", comment_text(n)))
            for n in range(6, 12)
        ]
        read = platform_api.get(f"comments/{first_id}")
        api_log = web_server.log[log_size:]  # (the readiness probe logs its own failed check)
        alive = requests.get(f"{web_server.url}/healthz", timeout=30)
        ready = requests.get(f"{web_server.url}/readyz", timeout=30)
        # Checked directly, not through the proxy: nothing of the refused requests was stored.
        assert not Comment.objects.filter(external_id__in=[f"pg-{n}" for n in range(6, 12)])
    finally:
        db_proxy.restore()

    for response in [*refused, read]:
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert response.json()["error"]["code"] == "database_unavailable"
    # Alive (an orchestrator must not restart it for this), but not ready, for the database.
    assert alive.status_code == 200
    assert ready.status_code == 503
    assert "database" in ready.json()["failing"]
    assert "Traceback" not in api_log
    assert api_log.count("Database unavailable during") == len(refused) + 1

    # Back without a restart: the client sends the refused comments again.
    for n in range(6, 12):
        assert (
            posting.record(platform_api.post_comment(f"pg-{n}", comment_text(n))).status_code == 202
        )
    assert platform_api.get(f"comments/{first_id}").ok
    ready_again = requests.get(f"{web_server.url}/readyz", timeout=30).json()
    assert "database" not in ready_again.get("failing", [])
    counts = fault_counts(
        settled_outcome_count(
            scenario="Postgres unreachable (web)", posting=posting, receiver=webhook_receiver
        )
    )
    assert counts.duplicated == 0
    assert counts.lost == 0
    assert (counts.posted, counts.accepted, counts.scored) == (18, 12, 12)
