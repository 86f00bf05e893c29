"""The comment list's filters: `label`, `min_score` and `decision` narrow it; a parameter the
list does not know is a 400, not silently ignored.

Bad inputs tried: an unknown parameter, a misspelt filter (`lable`), an unknown label, a
min_score above 1, below 0 and not a number, an unknown decision.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from moderation.models import CommentStatus, Decision
from tests.api_calls import URL, assert_error


def _ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["external_id"] for item in response.json()["results"]}


@pytest.fixture
def listed(platform: Any, comment_factory: Any) -> None:
    now = timezone.now()

    def scored(external_id: str, labels: list[str], top: float, **fields: Any) -> None:
        comment_factory(
            platform=platform,
            external_id=external_id,
            flagged_labels=labels,
            status=CommentStatus.FLAGGED if labels else CommentStatus.ALLOWED,
            scored_at=now,
            max_score=top,
            score_toxic=top if "toxic" in labels else 0.1,
            score_severe_toxic=top if "severe_toxic" in labels else 0.05,
            score_obscene=0.1,
            score_threat=0.1,
            score_insult=top if "insult" in labels else 0.1,
            score_identity_hate=0.1,
            **fields,
        )

    scored("insulting", ["toxic", "insult"], 0.93)
    scored("severe", ["severe_toxic"], 0.71, decision=Decision.REMOVED, decided_at=now)
    scored("mild", ["toxic"], 0.55, decision=Decision.APPROVED, decided_at=now)
    scored("fine", [], 0.1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"label": "toxic"}, {"insulting", "mild"}),  # not "severe": severe_toxic is another
        ({"label": ["insult", "severe_toxic"]}, {"insulting", "severe"}),
        ({"min_score": "0.7"}, {"insulting", "severe"}),
        ({"label": "toxic", "min_score": "0.9"}, {"insulting"}),
        ({"decision": "approved"}, {"mild"}),
        ({"decision": ["removed", "none"]}, {"severe", "insulting", "fine"}),
        ({"decision": "none", "label": "toxic"}, {"insulting"}),
    ],
)
def test_filters_narrow_the_list(
    api_client: APIClient, listed: None, query: dict[str, Any], expected: set[str]
) -> None:
    assert _ids(api_client.get(URL, query)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"sort": "score"}, "sort", "unknown_parameter"),
        ({"lable": "toxic"}, "lable", "unknown_parameter"),
        ({"label": "spam"}, "label", "invalid_choice"),
        ({"min_score": "1.5"}, "min_score", "max_value"),
        ({"min_score": "-0.1"}, "min_score", "min_value"),
        ({"min_score": "high"}, "min_score", "invalid"),
        ({"decision": "deleted"}, "decision", "invalid_choice"),
    ],
)
def test_what_the_list_does_not_know_is_a_400(
    api_client: APIClient, query: dict[str, str], field: str, code: str
) -> None:
    error = assert_error(api_client.get(URL, query), 400, "validation_error")
    assert error["fields"][field][0]["code"] == code


@pytest.mark.django_db
def test_a_filtered_page_costs_the_same_queries(
    api_client: APIClient, listed: None, django_assert_num_queries: Any
) -> None:
    # key lookup, last-used update, page of comments
    with django_assert_num_queries(3):
        response = api_client.get(URL, {"label": "toxic", "min_score": "0.5", "decision": "none"})
    assert _ids(response) == {"insulting"}
