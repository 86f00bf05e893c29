"""POST /v1/moderations answers the official `openai` client, unmodified, from a running
server, with a real worker scoring.

Bad inputs tried (each a 400 in OpenAI's error format, `type: invalid_request_error`, with the
offending `param`): no `input`, `input` a number, null, an empty list, an empty string, only
whitespace, a NUL byte, a list mixing strings and objects, a list with a number, 101 strings,
a text over the length limit, an image part (`image_input_not_supported`), an unknown part
type, a text part without its text, an unknown top-level field, `model` a number, a body that
is a list, malformed JSON; and a wrong key (401) and no worker (503 with Retry-After).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from moderation.models import Comment

ABUSIVE = "you are a stupid worthless idiot"
KIND = "thanks for the helpful answer"
THREAT = "i am going to kill you"
CATEGORIES = {
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
    "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions", "sexual",
    "sexual/minors", "violence", "violence/graphic",
}  # fmt: skip


def _client(live_server: Any, key: str) -> Any:
    from openai import OpenAI

    return OpenAI(base_url=f"{live_server.url}/v1", api_key=key, max_retries=0, timeout=30)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_openai_client_gets_categories_mapped_from_our_labels(
    celery_worker_process: Any, tiny_model: Any, live_server: Any, issued_key: Any
) -> None:
    client = _client(live_server, issued_key.secret)

    response = client.moderations.create(model="omni-moderation-latest", input=ABUSIVE)

    assert response.id.startswith("modr-")
    assert response.model == "tiny-v1"
    [result] = response.results
    assert result.flagged is True
    assert result.categories.harassment is True
    assert result.category_scores.harassment > 0.5
    # Categories no label of ours covers: 0 and never flagged.
    assert result.category_scores.self_harm == 0.0
    assert result.categories.sexual_minors is False
    assert result.category_applied_input_types.violence == ["text"]
    raw = result.model_dump(by_alias=True)
    assert set(raw["categories"]) == CATEGORIES
    assert set(raw["category_scores"]) == CATEGORIES
    # Our own six labels ride along as an extra field.
    ours = (result.model_extra or {})["toxmod"]
    assert ours["scores"]["insult"] == result.category_scores.harassment
    assert "insult" in ours["flagged_labels"]
    assert ours["status"] == "flagged"
    assert not Comment.objects.exists()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_list_gets_one_result_per_string_and_text_parts_get_one(
    celery_worker_process: Any, tiny_model: Any, live_server: Any, issued_key: Any
) -> None:
    client = _client(live_server, issued_key.secret)

    listed = client.moderations.create(input=[KIND, THREAT])
    parts = client.moderations.create(
        input=[{"type": "text", "text": "you idiot,"}, {"type": "text", "text": "shut up"}]
    )

    kind, threat = listed.results
    assert kind.flagged is False
    assert not any(kind.categories.model_dump().values())
    assert threat.flagged is True
    assert threat.categories.violence is True
    assert threat.category_scores.violence == threat.model_extra["toxmod"]["scores"]["threat"]
    assert len(parts.results) == 1


@pytest.mark.django_db(transaction=True)
def test_an_image_part_is_a_clear_400(live_server: Any, issued_key: Any) -> None:
    import openai

    client = _client(live_server, issued_key.secret)

    with pytest.raises(openai.BadRequestError) as refused:
        client.moderations.create(
            input=[
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            ]
        )

    assert refused.value.status_code == 400
    assert refused.value.code == "image_input_not_supported"
    assert refused.value.param == "input[1]"
    assert "Image input is not supported" in refused.value.message


@pytest.mark.django_db(transaction=True)
def test_a_wrong_key_is_the_clients_authentication_error(live_server: Any, db: None) -> None:
    import openai

    with pytest.raises(openai.AuthenticationError) as refused:
        _client(live_server, "tm_not-a-key").moderations.create(input="hello")

    assert refused.value.status_code == 401
    assert refused.value.code == "invalid_api_key"


@pytest.mark.django_db(transaction=True)
def test_no_worker_is_a_503_with_retry_after(
    live_server: Any, issued_key: Any, settings: Any
) -> None:
    import openai

    settings.ANALYZE_QUEUE = "nobody-listens-here"
    settings.ANALYZE_TIMEOUT_SECONDS = 0.3

    with pytest.raises(openai.InternalServerError) as refused:
        _client(live_server, issued_key.secret).moderations.create(input="hello")

    assert refused.value.status_code == 503
    assert refused.value.response.headers["Retry-After"] == str(
        settings.ANALYZE_RETRY_AFTER_SECONDS
    )
    assert refused.value.type == "server_error"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "input"),
        ({"input": 3}, "input"),
        ({"input": None}, "input"),
        ({"input": []}, "input"),
        ({"input": ""}, "input"),
        ({"input": "   "}, "input"),
        ({"input": "a\x00b"}, "input"),
        ({"input": ["fine", {"type": "text", "text": "x"}]}, "input"),
        ({"input": ["fine", 3]}, "input"),
        ({"input": ["x"] * 101}, "input"),
        ({"input": "x" * 20_001}, "input"),
        ({"input": ["ok", ""]}, "input[1]"),
        ({"input": [{"type": "audio", "audio": "..."}]}, "input[0]"),
        ({"input": [{"type": "text"}]}, "input[0]"),
        ({"input": "hi", "user": "u-1"}, "user"),
        ({"input": "hi", "model": 4}, "model"),
        (["hi"], None),
    ],
)
def test_bad_input_is_a_400_in_openais_format(
    api_client: APIClient, body: Any, param: str | None
) -> None:
    response = api_client.post(
        "/v1/moderations", data=json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["message"]


@pytest.mark.django_db
def test_malformed_json_is_a_400_in_openais_format(api_client: APIClient) -> None:
    response = api_client.post("/v1/moderations", data="{", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.json()["error"]["code"] == "malformed_json"
