"""Input limits of the API, each refused with its 4xx and error code, and nothing written.

Bad inputs tried here (test_api_comments.py, test_api_batch.py and test_api_webhooks.py try
the field-level ones): bytes that are not UTF-8 inside a JSON string, a `charset` that is not
UTF-8, JSON nested thousands of levels deep, metadata one level deeper than
MODERATION_MAX_METADATA_DEPTH, metadata with more than MODERATION_MAX_METADATA_KEYS keys, a
number too large for a float (`1e999`), an integer of 5,000 digits, a body over
MODERATION_MAX_REQUEST_BYTES declared by Content-Length, a page size of 0 / 501 / "ten", a
forged cursor whose position is not a datetime, a cursor that is not base64, a
`created_before` with an offset Postgres cannot store, `?explain=maybe`, a NUL byte in a
delivery id in the path; and, as property tests (hypothesis), arbitrary bytes as a body,
arbitrary Unicode text / external ids / metadata, and metadata nested to any depth.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from moderation.models import Comment
from tests.api_calls import BATCH_URL, URL, assert_error, post

RAW = "application/json"


def nested(depth: int) -> dict[str, Any]:
    """A metadata object `depth` levels deep: {"k": {"k": ... {"k": 1}}}."""
    value: Any = 1
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.django_db
def test_invalid_utf8_inside_a_json_string_is_400_invalid_utf8(api_client: APIClient) -> None:
    raw = b'{"external_id": "c-1", "text": "caf\xff\xfe"}'

    error = assert_error(api_client.post(URL, data=raw, content_type=RAW), 400, "invalid_utf8")

    assert "UTF-8" in error["message"]
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_a_charset_other_than_utf8_is_not_trusted(api_client: APIClient) -> None:
    latin1 = '{"external_id": "c-1", "text": "café"}'.encode("latin-1")

    response = api_client.post(URL, data=latin1, content_type=f"{RAW}; charset=latin-1")

    assert_error(response, 400, "invalid_utf8")
    assert Comment.objects.count() == 0


@pytest.mark.parametrize("depth", [40, 5_000, 100_000])
@pytest.mark.django_db
def test_json_nested_too_deep_is_400_too_deep_not_a_500(api_client: APIClient, depth: int) -> None:
    raw = b'{"external_id": "c-1", "text": "hi", "metadata": {"a": ' + b"[" * depth
    raw += b"]" * depth + b"}}"

    assert_error(api_client.post(URL, data=raw, content_type=RAW), 400, "too_deep")
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_metadata_depth_limit(api_client: APIClient, settings: Any) -> None:
    settings.MODERATION_MAX_METADATA_DEPTH = 5

    at_limit = post(api_client, {"external_id": "c-1", "text": "hi", "metadata": nested(5)})
    over = post(api_client, {"external_id": "c-2", "text": "hi", "metadata": nested(6)})
    in_a_list = post(
        api_client, {"external_id": "c-3", "text": "hi", "metadata": {"a": [[[[[1]]]]]}}
    )

    assert at_limit.status_code == 202, at_limit.content
    for response in (over, in_a_list):
        error = assert_error(response, 400, "validation_error")
        assert error["fields"]["metadata"][0]["code"] == "too_deep"
    assert list(Comment.objects.values_list("external_id", flat=True)) == ["c-1"]


@pytest.mark.django_db
def test_metadata_key_limit_counts_nested_keys(api_client: APIClient, settings: Any) -> None:
    settings.MODERATION_MAX_METADATA_KEYS = 10
    flat = {f"k{i}": i for i in range(10)}
    nested_keys = {"a": {f"k{i}": i for i in range(6)}, "b": {f"k{i}": i for i in range(3)}}

    ok = post(api_client, {"external_id": "c-1", "text": "hi", "metadata": flat})
    over = post(api_client, {"external_id": "c-2", "text": "hi", "metadata": nested_keys})

    assert ok.status_code == 202, ok.content
    error = assert_error(over, 400, "validation_error")
    assert error["fields"]["metadata"][0]["code"] == "too_many_keys"
    assert Comment.objects.count() == 1


@pytest.mark.django_db
def test_metadata_limits_apply_to_batch_items_too(api_client: APIClient, settings: Any) -> None:
    settings.MODERATION_MAX_METADATA_DEPTH = 2
    items = [
        {"external_id": "b-0", "text": "fine"},
        {"external_id": "b-1", "text": "deep", "metadata": nested(3)},
    ]

    error = assert_error(post(api_client, {"comments": items}, BATCH_URL), 400, "batch_rejected")

    assert error["items"][0]["index"] == 1
    assert error["items"][0]["errors"]["metadata"][0]["code"] == "too_deep"
    assert Comment.objects.count() == 0


@pytest.mark.parametrize(
    "number", [b"1e999", b"-1e999", b"9" * 5000], ids=["inf", "-inf", "5000-digits"]
)
@pytest.mark.django_db
def test_numbers_json_cannot_carry_are_malformed_json(api_client: APIClient, number: bytes) -> None:
    raw = b'{"external_id": "c-1", "text": "hi", "metadata": {"n": ' + number + b"}}"

    assert_error(api_client.post(URL, data=raw, content_type=RAW), 400, "malformed_json")
    assert Comment.objects.count() == 0


@pytest.mark.parametrize("page_size", ["0", "501", "ten", "-1", "1.5"])
@pytest.mark.django_db
def test_page_size_out_of_range_is_400(api_client: APIClient, page_size: str) -> None:
    error = assert_error(api_client.get(URL, {"page_size": page_size}), 400, "validation_error")

    assert error["fields"]["page_size"][0]["code"] == "invalid"


@pytest.mark.parametrize(
    "cursor",
    [
        base64.b64encode(b"p=not-a-date").decode(),  # a forged position reaches the query
        base64.b64encode(b"p=2026-01-01%00").decode(),
        "%%%not-base64",
        "ü",
    ],
)
@pytest.mark.parametrize("url", [URL, "/api/v1/webhooks/deliveries"])
@pytest.mark.django_db
def test_bad_cursor_is_400(api_client: APIClient, url: str, cursor: str) -> None:
    error = assert_error(api_client.get(url, {"cursor": cursor}), 400, "validation_error")

    assert error["fields"]["cursor"][0]["code"] == "invalid"


@pytest.mark.django_db
def test_a_real_cursor_still_pages(
    api_client: APIClient, platform: Any, comment_factory: Any
) -> None:
    comment_factory.create_batch(3, platform=platform)

    first = api_client.get(URL, {"page_size": 2}).json()
    second = api_client.get(first["next"]).json()

    assert len(first["results"]) == 2
    assert len(second["results"]) == 1


@pytest.mark.django_db
def test_datetime_filter_with_an_offset_postgres_cannot_store_is_answered(
    api_client: APIClient, platform: Any, comment_factory: Any
) -> None:
    comment_factory(platform=platform)

    # +16:58 is a valid offset in Python but not in Postgres; the filter compares in UTC.
    response = api_client.get(URL, {"created_before": "2999-05-16T02:45:12+16:58"})
    overflow = api_client.get(URL, {"created_after": "0001-01-01T00:00:00+16:00"})

    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 1
    error = assert_error(overflow, 400, "validation_error")
    assert error["fields"]["created_after"][0]["code"] == "invalid"


@pytest.mark.django_db
def test_explain_takes_only_a_boolean(
    api_client: APIClient, platform: Any, comment_factory: Any
) -> None:
    comment = comment_factory(platform=platform)

    error = assert_error(
        api_client.get(f"{URL}/{comment.public_id}", {"explain": "maybe"}), 400, "validation_error"
    )

    assert error["fields"]["explain"][0]["code"] == "invalid"
    assert "explanation" not in api_client.get(f"{URL}/{comment.public_id}").json()


@pytest.mark.django_db
def test_nul_in_a_delivery_id_is_404_not_a_500(api_client: APIClient) -> None:
    assert_error(api_client.get("/api/v1/webhooks/deliveries/msg_%00x"), 404, "not_found")
    assert_error(
        api_client.post("/api/v1/webhooks/deliveries/msg_%00x/redeliver"), 404, "not_found"
    )


# --- property tests of the intake checks --------------------------------------------------

PROPERTY_SETTINGS = hypothesis_settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Any code point, lone surrogates included (hypothesis leaves them out by default).
any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=300)
# Numbers that survive Postgres' jsonb exactly (it keeps decimal digits, not binary floats).
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(min_value=-1e12, max_value=1e12).map(lambda x: round(x, 6))
    | any_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text, children),
    max_leaves=30,
)


def assert_refused_or_stored(response: Any) -> None:
    """Either accepted (2xx, the row exists) or refused with a 4xx error body; never a 500."""
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}
        assert body["error"]["code"]
        assert body["error"]["message"]


@PROPERTY_SETTINGS
@given(body=st.binary(max_size=300))
@pytest.mark.django_db
def test_any_bytes_as_a_body_are_answered_with_a_4xx(api_client: APIClient, body: bytes) -> None:
    response = api_client.post(URL, data=body, content_type=RAW)

    assert_refused_or_stored(response)
    assert response.status_code != 202 or Comment.objects.filter(id=response.json()["id"])


@PROPERTY_SETTINGS
@given(
    external_id=any_text,
    text=any_text,
    metadata=json_values,
)
@pytest.mark.django_db
def test_any_unicode_fields_are_stored_as_sent_or_refused(
    api_client: APIClient, external_id: str, text: str, metadata: Any
) -> None:
    # ensure_ascii: lone surrogates reach the API as JSON escapes, as a client could send them.
    raw = json.dumps(
        {"external_id": external_id, "text": text, "metadata": metadata}, ensure_ascii=True
    ).encode()
    response = api_client.post(URL, data=raw, content_type=RAW)

    assert_refused_or_stored(response)
    if response.status_code in (200, 202):
        stored = Comment.objects.get(public_id=response.json()["id"])
        assert stored.text == text
        assert stored.metadata == metadata


@PROPERTY_SETTINGS
@given(depth=st.integers(min_value=1, max_value=3_000), in_list=st.booleans())
@pytest.mark.django_db
def test_metadata_of_any_depth_is_stored_only_within_the_limit(
    api_client: APIClient, settings: Any, depth: int, in_list: bool
) -> None:
    settings.MODERATION_MAX_METADATA_DEPTH = 5
    # Written as text: a Python dict this deep could not even be serialised by json.dumps.
    if in_list:  # {"k": [[...]]}: the object, then depth - 1 lists
        metadata = '{"k": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}" if depth > 1 else "{}"
    else:  # {"k": {"k": ... {}}}: depth objects
        metadata = '{"k": ' * (depth - 1) + "{}" + "}" * (depth - 1)
    raw = f'{{"external_id": "deep-{depth}-{in_list}", "text": "hi", "metadata": {metadata}}}'
    response = api_client.post(URL, data=raw.encode(), content_type=RAW)

    assert_refused_or_stored(response)
    assert (response.status_code in (200, 202)) == (depth <= 5), (depth, response.content)
