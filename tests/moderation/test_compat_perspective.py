"""Perspective API compatibility: `comments:analyze` and `comments:suggestscore` answer
google-api-python-client (built from the commentanalyzer discovery document in
perspective_discovery.json, with only its root URL pointed at the live server) and the plain
HTTP calls Perspective's documentation shows, with the key passed as `?key=`.

Bad inputs tried (each a 400 in Google's error format, `status: INVALID_ARGUMENT`, with an
`errorType` where Perspective has one): an unknown attribute (through the real client), no
comment, an empty text, only whitespace, a NUL byte, a text over the limit, a number as text,
an HTML comment type, an unknown field at the top and inside `comment`, no
`requestedAttributes`, an empty one, a non-PROBABILITY score type, a threshold above 1 and a
string threshold, an unsupported language, `languages` not a list, `spanAnnotations` a
string, a number as `clientToken`, a list body; for suggestscore an unknown attribute, a
value above 1, a missing summaryScore and no attributeScores; and a wrong key (401).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from rest_framework.test import APIClient

from moderation.models import Comment, Review

ABUSIVE = "you are a stupid worthless idiot"
DISCOVERY = Path(__file__).with_name("perspective_discovery.json")


def _perspective(live_server: Any, key: str) -> Any:
    """The Perspective client, as its documentation builds it, on this server."""
    import httplib2
    from googleapiclient import discovery

    document = json.loads(DISCOVERY.read_text())
    document["rootUrl"] = document["baseUrl"] = f"{live_server.url}/"
    return discovery.build_from_document(document, developerKey=key, http=httplib2.Http(timeout=30))


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_perspective_client_gets_its_attributes_from_our_labels(
    celery_worker_process: Any, tiny_model: Any, live_server: Any, issued_key: Any
) -> None:
    client = _perspective(live_server, issued_key.secret)

    response = (
        client.comments()
        .analyze(
            body={
                "comment": {"text": ABUSIVE},
                "requestedAttributes": {"TOXICITY": {}, "INSULT": {}, "THREAT": {}},
                "spanAnnotations": True,
                "languages": ["en"],
                "doNotStore": True,
                "clientToken": "token-1",
            }
        )
        .execute()
    )

    scores = response["attributeScores"]
    assert set(scores) == {"TOXICITY", "INSULT", "THREAT"}
    assert scores["INSULT"]["summaryScore"]["type"] == "PROBABILITY"
    assert scores["INSULT"]["summaryScore"]["value"] > 0.5
    assert scores["INSULT"]["spanScores"] == [
        {"begin": 0, "end": len(ABUSIVE), "score": scores["INSULT"]["summaryScore"]}
    ]
    assert response["languages"] == ["en"]
    assert response["clientToken"] == "token-1"
    assert not Comment.objects.exists()

    # Our own endpoint gives the same scores for the same text.
    ours = requests.post(
        f"{live_server.url}/api/v1/analyze",
        json={"text": ABUSIVE},
        headers={"Authorization": f"Bearer {issued_key.secret}"},
        timeout=30,
    ).json()["results"][0]["scores"]
    assert scores["INSULT"]["summaryScore"]["value"] == ours["insult"]
    assert scores["THREAT"]["summaryScore"]["value"] == ours["threat"]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_plain_http_with_the_key_in_the_url_and_a_score_threshold(
    celery_worker_process: Any, tiny_model: Any, live_server: Any, issued_key: Any
) -> None:
    response = requests.post(
        f"{live_server.url}/v1alpha1/comments:analyze?key={issued_key.secret}",
        json={
            "comment": {"text": ABUSIVE},
            "requestedAttributes": {
                "INSULT": {"scoreThreshold": 0.5},
                "IDENTITY_ATTACK": {"scoreThreshold": 0.99},
                "PROFANITY": {"scoreType": "PROBABILITY"},
            },
        },
        timeout=30,
    )

    assert response.status_code == 200, response.text
    scores = response.json()["attributeScores"]
    assert set(scores) == {"INSULT", "PROFANITY"}  # IDENTITY_ATTACK is under its threshold
    assert "spanScores" not in scores["INSULT"]
    assert "clientToken" not in response.json()


@pytest.mark.django_db(transaction=True)
def test_an_unknown_attribute_is_the_clients_http_error_in_googles_format(
    live_server: Any, issued_key: Any
) -> None:
    from googleapiclient.errors import HttpError

    client = _perspective(live_server, issued_key.secret)

    with pytest.raises(HttpError) as refused:
        client.comments().analyze(
            body={"comment": {"text": "hello"}, "requestedAttributes": {"FLIRTATION": {}}}
        ).execute()

    assert refused.value.status_code == 400
    error = json.loads(refused.value.content)["error"]
    assert error["code"] == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert "FLIRTATION" in error["message"]
    assert error["details"][0]["errorType"] == "ATTRIBUTE_NOT_SUPPORTED"


@pytest.mark.django_db(transaction=True)
def test_suggestscore_stores_a_correction_that_the_export_reads(
    live_server: Any, issued_key: Any, platform: Any
) -> None:
    from moderation.services.corrections import corrections_records, corrections_reviews

    client = _perspective(live_server, issued_key.secret)

    response = (
        client.comments()
        .suggestscore(
            body={
                "comment": {"text": "you absolute walnut"},
                "attributeScores": {
                    "INSULT": {"summaryScore": {"value": 0.9}},
                    "THREAT": {"summaryScore": {"value": 0.1}},
                },
                "clientToken": "fb-7",
            }
        )
        .execute()
    )

    assert response == {"clientToken": "fb-7"}
    review = Review.objects.get()
    assert review.comment.platform == platform
    assert review.comment.text == "you absolute walnut"
    assert review.moderator_username.startswith("perspective-suggestscore:")
    [record] = list(corrections_records(corrections_reviews(platform=platform.name)))
    assert record["decision"] == "relabeled"
    assert record["labels"] == {
        "toxic": None, "severe_toxic": None, "obscene": None, "threat": 0, "insult": 1,
        "identity_hate": None,
    }  # fmt: skip


def test_a_wrong_key_is_a_401_in_googles_format(live_server: Any, db: None) -> None:
    response = requests.post(
        f"{live_server.url}/v1alpha1/comments:analyze?key=tm_wrong",
        json={"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}},
        timeout=30,
    )

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["status"] == "UNAUTHENTICATED"
    assert error["details"][0]["errorType"] == "INVALID_API_KEY"


GOOD = {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        ({"requestedAttributes": {"TOXICITY": {}}}, "COMMENT_EMPTY"),
        ({**GOOD, "comment": {"text": ""}}, "COMMENT_EMPTY"),
        ({**GOOD, "comment": {"text": "   "}}, "COMMENT_EMPTY"),
        ({**GOOD, "comment": {"text": "a\x00b"}}, "INVALID_REQUEST"),
        ({**GOOD, "comment": {"text": "x" * 20_001}}, "COMMENT_TOO_LONG"),
        ({**GOOD, "comment": {"text": 5}}, "INVALID_REQUEST"),
        ({**GOOD, "comment": {"text": "hi", "type": "HTML"}}, "COMMENT_TYPE_NOT_SUPPORTED"),
        ({**GOOD, "comment": {"text": "hi", "lang": "en"}}, "INVALID_REQUEST"),
        ({**GOOD, "extra": 1}, "INVALID_REQUEST"),
        ({"comment": {"text": "hi"}}, "INVALID_REQUEST"),
        ({**GOOD, "requestedAttributes": {}}, "INVALID_REQUEST"),
        ({**GOOD, "requestedAttributes": {"SPAM": {}}}, "ATTRIBUTE_NOT_SUPPORTED"),
        (
            {**GOOD, "requestedAttributes": {"TOXICITY": {"scoreType": "STD_DEV_SCORE"}}},
            "INVALID_SCORE_TYPE",
        ),
        ({**GOOD, "requestedAttributes": {"TOXICITY": {"scoreThreshold": 2}}}, "INVALID_REQUEST"),
        (
            {**GOOD, "requestedAttributes": {"TOXICITY": {"scoreThreshold": "0.5"}}},
            "INVALID_REQUEST",
        ),
        ({**GOOD, "languages": ["de"]}, "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"),
        ({**GOOD, "languages": "en"}, "INVALID_REQUEST"),
        ({**GOOD, "spanAnnotations": "yes"}, "INVALID_REQUEST"),
        ({**GOOD, "clientToken": 5}, "INVALID_REQUEST"),
        ([GOOD], "INVALID_REQUEST"),
    ],
)
def test_bad_analyze_requests_are_400s_in_googles_format(
    api_client: APIClient, body: Any, error_type: str
) -> None:
    response = api_client.post(
        "/v1alpha1/comments:analyze", data=json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"]
    assert error["details"][0]["errorType"] == error_type


@pytest.mark.django_db
@pytest.mark.parametrize(
    "attribute_scores",
    [
        {"SPAM": {"summaryScore": {"value": 0.5}}},
        {"INSULT": {"summaryScore": {"value": 1.5}}},
        {"INSULT": {}},
        {},
        None,
    ],
)
def test_bad_suggestions_are_400s_and_store_nothing(
    api_client: APIClient, attribute_scores: Any
) -> None:
    body: dict[str, Any] = {"comment": {"text": "hello"}}
    if attribute_scores is not None:
        body["attributeScores"] = attribute_scores
    response = api_client.post(
        "/v1alpha1/comments:suggestscore", data=json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert not Comment.objects.exists()
    assert not Review.objects.exists()
