"""The comments API: intake, idempotency, scoping, listing, and every bad input we refuse.

Bad inputs tried here, each answered with a 4xx JSON error and no row written: missing key,
unknown key, revoked key, expired key, a non-Bearer header, empty text, whitespace-only text,
100 KB text, NUL in text / external_id / metadata, a lone surrogate, wrong types (number,
list, null, object), unknown fields, a non-object body, malformed JSON, NaN, the wrong
content type, an oversized body, a duplicate external id with new text, a batch of 501, a
batch with one bad item, a batch repeating an external id, a batch conflicting with a stored
comment, a bad filter value, another platform's comment id, a wrong method, too many requests.
More in test_api_limits.py (encoding, nesting, metadata limits, pagination, property tests),
test_api_keys.py (per-key limits), test_api_isolation.py and test_api_fuzz.py (schemathesis).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from moderation.models import Comment, CommentStatus
from moderation.services.platforms import api_key_issue, api_key_revoke, api_key_rotate
from tests.api_calls import URL, assert_error, post


@pytest.mark.django_db
def test_post_stores_comment_and_answers_202_pending(
    api_client: APIClient, platform: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(
            api_client,
            {"external_id": "c-1", "text": "Hello there", "author_id": "u-1", "metadata": {"a": 1}},
        )

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["scores"] is None
    assert body["flagged"] is False
    comment = Comment.objects.get(public_id=body["id"])
    assert (comment.platform, comment.external_id, comment.text) == (platform, "c-1", "Hello there")
    assert comment.metadata == {"a": 1}
    assert len(callbacks) == 1  # scoring is enqueued only once the row is committed


@pytest.mark.django_db
def test_same_payload_again_returns_existing_comment_with_200(api_client: APIClient) -> None:
    first = post(api_client, {"external_id": "c-1", "text": "Hello"})
    again = post(api_client, {"external_id": "c-1", "text": "Hello"})

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Comment.objects.count() == 1


@pytest.mark.django_db
def test_same_external_id_with_new_text_is_409_and_keeps_the_original(
    api_client: APIClient,
) -> None:
    first = post(api_client, {"external_id": "c-1", "text": "Hello"})
    response = post(api_client, {"external_id": "c-1", "text": "Something else"})

    error = assert_error(response, 409, "external_id_conflict")
    assert error["comment_id"] == first.json()["id"]
    assert Comment.objects.get().text == "Hello"


@pytest.mark.django_db
def test_same_external_id_on_two_platforms_are_two_comments(
    api_client: APIClient, platform_factory: Any
) -> None:
    other = APIClient()
    other.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_key_issue(platform=platform_factory()).secret}"
    )
    assert post(api_client, {"external_id": "c-1", "text": "A"}).status_code == 202
    assert post(other, {"external_id": "c-1", "text": "B"}).status_code == 202
    assert Comment.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"external_id": "c-1", "text": ""}, "text", "blank"),
        ({"external_id": "c-1", "text": "   \n\t "}, "text", "blank"),
        ({"external_id": "c-1", "text": "x" * 100_000}, "text", "max_length"),
        ({"external_id": "c-1", "text": "bad\x00byte"}, "text", "null_characters_not_allowed"),
        ({"external_id": "c\x001", "text": "ok"}, "external_id", "null_characters_not_allowed"),
        (
            {"external_id": "c-1", "text": "ok", "metadata": {"k": "v\x00"}},
            "metadata",
            "invalid_text",
        ),
        ({"external_id": "c-1", "text": "ok", "metadata": ["a"]}, "metadata", "invalid_type"),
        (
            {"external_id": "c-1", "text": "ok", "metadata": {"k": "v" * 20_000}},
            "metadata",
            "too_large",
        ),
        ({"external_id": 12, "text": "ok"}, "external_id", "invalid_type"),
        ({"external_id": "c-1", "text": ["a", "b"]}, "text", "invalid_type"),
        ({"external_id": "c-1", "text": None}, "text", "null"),
        ({"external_id": "c-1", "text": {"t": 1}}, "text", "invalid_type"),
        ({"external_id": "c-1", "text": "ok", "author_id": 7}, "author_id", "invalid_type"),
        ({"external_id": "c-1", "text": "ok", "score": 1}, "score", "unknown_field"),
        ({"text": "ok"}, "external_id", "required"),
        ({"external_id": "c-1"}, "text", "required"),
        ({"external_id": "x" * 256, "text": "ok"}, "external_id", "max_length"),
    ],
)
@pytest.mark.django_db
def test_invalid_comment_is_400_with_field_code_and_no_row(
    api_client: APIClient, body: dict[str, Any], field: str, code: str
) -> None:
    response = post(api_client, body)

    error = assert_error(response, 400, "validation_error")
    assert error["fields"][field][0]["code"] == code
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_lone_surrogate_is_refused_not_a_500(api_client: APIClient) -> None:
    raw = b'{"external_id": "c-1", "text": "broken \\ud800 text"}'
    response = api_client.post(URL, data=raw, content_type="application/json")

    error = assert_error(response, 400, "validation_error")
    assert error["fields"]["text"][0]["code"] == "invalid_unicode"
    assert Comment.objects.count() == 0


@pytest.mark.parametrize(
    "raw", [b'{"external_id": "c-1", "text": ', b"not json", b'{"text": NaN}', b""]
)
@pytest.mark.django_db
def test_malformed_json_is_400(api_client: APIClient, raw: bytes) -> None:
    response = api_client.post(URL, data=raw, content_type="application/json")

    if raw:
        assert_error(response, 400, "malformed_json")
    else:  # an empty body parses as no data: every field is missing
        assert_error(response, 400, "validation_error")
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_non_object_body_is_400(api_client: APIClient) -> None:
    response = post(api_client, ["external_id", "text"])

    assert_error(response, 400, "validation_error")
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_wrong_content_type_is_415(api_client: APIClient) -> None:
    response = api_client.post(URL, data="external_id=c-1&text=hi", content_type="text/plain")

    assert_error(response, 415, "unsupported_media_type")
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_oversized_body_is_413(api_client: APIClient, settings: Any) -> None:
    settings.MODERATION_MAX_REQUEST_BYTES = 1000
    response = post(api_client, {"external_id": "c-1", "text": "y" * 2000})

    assert_error(response, 413, "payload_too_large")
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_missing_key_is_401(db: None) -> None:
    response = post(APIClient(), {"external_id": "c-1", "text": "hi"})

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Comment.objects.count() == 0


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer tm_not-a-real-key", "invalid_api_key"),
        ("Token abc", "invalid_authorization_header"),
        ("Bearer", "invalid_authorization_header"),
        ("Bearer a b", "invalid_authorization_header"),
    ],
)
@pytest.mark.django_db
def test_bad_credentials_are_401(db: None, header: str, code: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert_error(post(client, {"external_id": "c-1", "text": "hi"}), 401, code)
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_revoked_key_is_401(api_client: APIClient, issued_key: Any) -> None:
    api_key_revoke(api_key=issued_key.api_key)

    assert_error(post(api_client, {"external_id": "c-1", "text": "hi"}), 401, "key_revoked")
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_rotation_with_grace_keeps_old_key_until_it_expires(
    api_client: APIClient, platform: Any, issued_key: Any
) -> None:
    new = api_key_rotate(platform=platform, grace=timedelta(hours=1))
    assert post(api_client, {"external_id": "c-1", "text": "hi"}).status_code == 202

    issued_key.api_key.refresh_from_db()
    issued_key.api_key.expires_at = timezone.now() - timedelta(seconds=1)
    issued_key.api_key.save()
    assert_error(post(api_client, {"external_id": "c-2", "text": "hi"}), 401, "key_expired")

    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {new.secret}")
    assert post(fresh, {"external_id": "c-2", "text": "hi"}).status_code == 202


@pytest.mark.django_db
def test_key_records_last_use(api_client: APIClient, issued_key: Any) -> None:
    assert issued_key.api_key.last_used_at is None
    api_client.get(URL)

    issued_key.api_key.refresh_from_db()
    assert issued_key.api_key.last_used_at is not None


@pytest.mark.django_db
def test_key_is_stored_only_as_a_digest(issued_key: Any) -> None:
    from moderation.models import ApiKey

    stored = ApiKey.objects.get(pk=issued_key.api_key.pk)
    assert issued_key.secret not in {stored.digest, stored.prefix, stored.name}
    assert len(stored.digest) == 64


@pytest.mark.django_db
def test_detail_of_another_platforms_comment_is_404(
    api_client: APIClient, comment_factory: Any
) -> None:
    foreign = comment_factory()

    response = api_client.get(f"{URL}/{foreign.public_id}")

    assert_error(response, 404, "not_found")


@pytest.mark.django_db
def test_unknown_id_and_unknown_path_are_json_404(api_client: APIClient) -> None:
    assert_error(api_client.get(f"{URL}/00000000-0000-0000-0000-000000000000"), 404, "not_found")
    assert_error(api_client.get(f"{URL}/not-a-uuid"), 404, "not_found")


@pytest.mark.django_db
def test_wrong_method_is_405(api_client: APIClient) -> None:
    assert_error(api_client.delete(URL), 405, "method_not_allowed")


@pytest.mark.django_db
def test_detail_shows_scores_flags_version_and_decision(
    api_client: APIClient, platform: Any, comment_factory: Any, tiny_model: Any
) -> None:
    from moderation.services.scoring import comment_batch_score

    comment = comment_factory(platform=platform, text="you are a stupid worthless idiot")
    comment_batch_score(comment_ids=[comment.pk])

    body = api_client.get(f"{URL}/{comment.public_id}").json()

    assert set(body["scores"]) == {
        "toxic",
        "severe_toxic",
        "obscene",
        "threat",
        "insult",
        "identity_hate",
    }
    assert all(0.0 <= value <= 1.0 for value in body["scores"].values())
    assert body["model_version"] == "tiny-v1"
    assert body["status"] in {"flagged", "auto_removed"}
    assert body["flagged"] is True
    assert "toxic" in body["flagged_labels"]
    assert body["decision"] is None
    assert body["scored_at"] is not None


@pytest.mark.django_db
def test_list_is_scoped_filtered_and_paginated(
    api_client: APIClient, platform: Any, comment_factory: Any
) -> None:
    for index in range(5):
        comment_factory(platform=platform, external_id=f"mine-{index}")
    comment_factory(platform=platform, external_id="flagged-1", status=CommentStatus.FLAGGED)
    comment_factory(external_id="someone-elses")

    first = api_client.get(URL, {"page_size": 4}).json()
    second = api_client.get(first["next"]).json()
    flagged = api_client.get(URL, {"flagged": "true"}).json()
    by_id = api_client.get(URL, {"external_id": "mine-3"}).json()
    pending = api_client.get(URL, {"status": "pending"}).json()

    ids = [c["external_id"] for c in first["results"] + second["results"]]
    assert sorted(ids) == sorted([f"mine-{i}" for i in range(5)] + ["flagged-1"])
    assert second["next"] is None
    assert [c["external_id"] for c in flagged["results"]] == ["flagged-1"]
    assert [c["external_id"] for c in by_id["results"]] == ["mine-3"]
    assert len(pending["results"]) == 5


@pytest.mark.django_db
def test_list_filters_by_created_range(
    api_client: APIClient, platform: Any, comment_factory: Any
) -> None:
    old = comment_factory(platform=platform, external_id="old")
    Comment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    comment_factory(platform=platform, external_id="new")
    since = (timezone.now() - timedelta(days=1)).isoformat()

    after = api_client.get(URL, {"created_after": since}).json()
    before = api_client.get(URL, {"created_before": since}).json()

    assert [c["external_id"] for c in after["results"]] == ["new"]
    assert [c["external_id"] for c in before["results"]] == ["old"]


@pytest.mark.django_db
def test_bad_filter_value_is_400(api_client: APIClient) -> None:
    error = assert_error(
        api_client.get(URL, {"created_after": "yesterday"}), 400, "validation_error"
    )
    assert "created_after" in error["fields"]
    assert_error(api_client.get(URL, {"status": "maybe"}), 400, "validation_error")


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(
    api_client: APIClient, platform: Any, comment_factory: Any, django_assert_num_queries: Any
) -> None:
    comment_factory.create_batch(30, platform=platform)
    # key lookup, last-used update, page of comments (with model version joined)
    with django_assert_num_queries(3):
        response = api_client.get(URL, {"page_size": 30})
    assert len(response.json()["results"]) == 30


@pytest.mark.django_db
def test_over_the_rate_limit_is_429_with_retry_after(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache

    from moderation.api.auth import PlatformRateThrottle

    cache.clear()
    monkeypatch.setattr(PlatformRateThrottle, "THROTTLE_RATES", {"platform": "2/min"})

    responses = [api_client.get(URL) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 429]
    error = assert_error(responses[2], 429, "rate_limited")
    assert error["retry_after_seconds"] > 0


@pytest.mark.django_db
def test_explain_returns_the_spans_behind_flagged_labels(
    api_client: APIClient, platform: Any, comment_factory: Any, tiny_model: Any
) -> None:
    from moderation.services.scoring import comment_batch_score

    comment = comment_factory(platform=platform, text="Well, you are a stupid idiot.")
    comment_batch_score(comment_ids=[comment.pk])

    plain = api_client.get(f"{URL}/{comment.public_id}").json()
    explained = api_client.get(f"{URL}/{comment.public_id}", {"explain": "true"}).json()

    assert "explanation" not in plain
    spans = explained["explanation"]["toxic"]
    assert spans
    assert spans == sorted(spans, key=lambda span: -span["weight"])
    for span in spans:
        assert explained["text"][span["start"] : span["end"]] == span["text"]
