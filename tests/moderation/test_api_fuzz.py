"""Schema-driven fuzzing of the REST API: no 5xx, and every answer is what the schema says.

schemathesis reads the project's own OpenAPI schema (`/api/schema/`) from the WSGI app and,
for every operation, generates requests that fit the schema (positive) and requests that
break it (negative: wrong types, missing fields, out-of-range values, unknown fields,
malformed path parameters). Each is sent in-process through the WSGI app with a real
platform's API key, on the real test database, and its answer is checked: not a server
error, a documented status code, the documented content type and headers, and a body that
matches the documented schema (error bodies included). Operations with an id in the path are
fuzzed twice: with generated ids (which must answer 404) and with the ids of real objects
of the platform, so that bodies and query strings reach the views.

Bounded by default: FUZZ_EXAMPLES (15) examples per operation, variant and mode,
derandomized, so every run repeats the same search (under a minute on two cores).
`FUZZ_EXAMPLES=500 pytest tests/moderation/test_api_fuzz.py -s` runs a deeper search. The
totals (operations, requests, status codes, failures) are printed, and written as JSON to
FUZZ_REPORT when that is set; docs/security.md records a run.

Not checked here, because the schema cannot say them: that schema-valid requests are
accepted (a cursor must be one the API issued, a webhook URL must resolve to a public
address, external ids must be unique within a batch, metadata strings must not hold NUL)
and that every schema-breaking request is refused (an empty filter value means "no filter",
and the webhook lists ignore query parameters they do not know; the comment list refuses
them). The tests next to this one cover those rules.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from moderation.services.webhooks import (
    WebhookEvent,
    webhook_endpoint_create,
    webhook_events_emit,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_on_test_database() -> Iterator[None]:
    """Requests through the WSGI app share the test's connection and transaction.

    Django closes the connection at the end of each request (request_finished), which would
    end the test's transaction; its own test client turns that off the same way.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _real_path_parameters(platform: Any, comment_factory: Any) -> dict[str, str]:
    """Ids of the platform's own objects, one per path parameter name in the API."""
    comment = comment_factory(platform=platform)
    # A public address that is never contacted: sends happen only after commit, and the test
    # transaction never commits.
    endpoint = webhook_endpoint_create(platform=platform, url="https://93.184.215.14/hook").endpoint
    (delivery,) = webhook_events_emit(
        [WebhookEvent(platform_id=platform.pk, event_type="comment.flagged", data={})]
    )
    return {
        "comment_id": str(comment.public_id),
        "endpoint_id": str(endpoint.public_id),
        "webhook_id": delivery.webhook_id,
    }


def _fuzz(
    strategy: Any,
    *,
    label: str,
    headers: dict[str, str],
    sent: Counter[int],
    failures: dict[str, str],
) -> None:
    """Send EXAMPLES cases drawn from `strategy`; count status codes, collect failures."""

    @given(case=strategy)
    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send_one(case: Any) -> None:
        # Every request shares the test's transaction; a savepoint keeps a database error in
        # one of them (which would be a 500, and reported) from aborting all the later ones.
        savepoint = transaction.savepoint()
        response = case.call(headers=headers)
        sent[response.status_code] += 1
        if response.status_code >= 500:
            transaction.savepoint_rollback(savepoint)
        else:
            transaction.savepoint_commit(savepoint)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, BaseExceptionGroup) as exc:
            # Collected rather than raised, so one run reports every distinct failure.
            for failure in getattr(exc, "exceptions", None) or [exc]:
                failures.setdefault(f"{label}: {getattr(failure, 'title', failure)}", str(exc))

    send_one()


@pytest.mark.e2e
@pytest.mark.django_db
def test_fuzzing_the_api_finds_no_server_error_and_no_schema_violation(
    wsgi_on_test_database: None,
    platform: Any,
    issued_key: Any,
    comment_factory: Any,
    celery_worker_process: Any,
) -> None:
    from config.wsgi import application

    # A real worker answers the synchronous operations, with the shipped model that the
    # migrations activate (committed, so the worker sees it beside the test's transaction).

    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    headers = {"Authorization": f"Bearer {issued_key.secret}"}
    real_ids = _real_path_parameters(platform, comment_factory)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    sent: Counter[int] = Counter()
    failures: dict[str, str] = {}
    nothing_to_break = 0

    for operation in operations:
        names = [parameter.name for parameter in operation.path_parameters]
        variants: list[dict[str, str] | None] = [None]
        if names:
            variants.append({name: real_ids[name] for name in names})
        for path_parameters in variants:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                # The key is fixed, so negative cases break the request, not the credentials
                # (bad keys have their own tests).
                strategy = operation.as_strategy(
                    generation_mode=mode, path_parameters=path_parameters, headers=headers
                )
                try:
                    _fuzz(
                        strategy,
                        label=operation.label,
                        headers=headers,
                        sent=sent,
                        failures=failures,
                    )
                except Unsatisfiable:
                    # Nothing left to break: the key and the ids are fixed, and the
                    # operation has no query string or body.
                    assert mode is GenerationMode.NEGATIVE, operation.label
                    nothing_to_break += 1

    totals = {
        "operations": len(operations),
        "examples_per_variant_and_mode": EXAMPLES,
        "negative_runs_with_nothing_to_break": nothing_to_break,
        "requests": sum(sent.values()),
        "status_codes": {str(code): count for code, count in sorted(sent.items())},
        "failures": len(failures),
    }
    print(f"\nAPI fuzz totals: {json.dumps(totals)}")
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w", encoding="utf-8") as report:
            json.dump({**totals, "failure_titles": sorted(failures)}, report, indent=2)

    assert len(operations) == 20  # a new operation shows up here, and gets fuzzed
    assert not any(code >= 500 for code in sent)
    assert failures == {}, "\n\n".join(failures.values())
    # The fuzzing reached past authentication and into the views, not only 401s and 404s.
    assert {200, 202, 400, 404} <= set(sent)


def test_the_schema_is_valid_openapi_and_generates_without_warnings(tmp_path: Any) -> None:
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    # --fail-on-warn: a view or serializer the generator has to guess about fails here.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert "/api/v1/comments/batch" in out.read_text()
