"""API keys: compared in constant time, and rate-limited per key and per platform.

Bad inputs tried: more requests than a key's limit (API_KEY_RATE_LIMIT), more requests than
the platform's limit spread over two keys (API_RATE_LIMIT); both answer 429 with Retry-After
and the `rate_limited` error body, and neither limit touches another key or platform.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from moderation.api.auth import ApiKeyRateThrottle, PlatformRateThrottle
from moderation.services.platforms import api_key_digest, api_key_issue
from tests.api_calls import URL, assert_error


def client_for(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture(autouse=True)
def empty_throttle_cache() -> Iterator[None]:
    cache.clear()  # the throttles count in Django's cache (local memory in the tests)
    yield
    cache.clear()


@pytest.mark.django_db
def test_the_key_is_checked_with_a_constant_time_comparison_of_digests(
    issued_key: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)

    response = client_for(issued_key.secret).get(URL)

    assert response.status_code == 200
    assert compared == [(issued_key.api_key.digest, api_key_digest(issued_key.secret))]


@pytest.mark.django_db
def test_a_key_over_its_own_limit_gets_429_and_the_platforms_other_key_does_not(
    platform: Any, issued_key: Any, platform_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "2/min"})
    busy = client_for(issued_key.secret)
    sibling = client_for(api_key_issue(platform=platform).secret)
    elsewhere = client_for(api_key_issue(platform=platform_factory()).secret)

    statuses = [busy.get(URL).status_code for _ in range(3)]
    refused = busy.get(URL)

    assert statuses == [200, 200, 429]
    error = assert_error(refused, 429, "rate_limited")
    assert 0 < int(refused["Retry-After"]) <= 60
    assert error["retry_after_seconds"] == int(refused["Retry-After"])
    assert sibling.get(URL).status_code == 200
    assert elsewhere.get(URL).status_code == 200


@pytest.mark.django_db
def test_the_platform_limit_counts_all_its_keys_together(
    platform: Any, issued_key: Any, platform_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PlatformRateThrottle, "THROTTLE_RATES", {"platform": "3/min"})
    first = client_for(issued_key.secret)
    second = client_for(api_key_issue(platform=platform).secret)
    elsewhere = client_for(api_key_issue(platform=platform_factory()).secret)

    statuses = [client.get(URL).status_code for client in (first, second, first, second)]
    refused = first.get(URL)

    assert statuses == [200, 200, 200, 429]
    assert_error(refused, 429, "rate_limited")
    assert int(refused["Retry-After"]) > 0
    assert elsewhere.get(URL).status_code == 200


@pytest.mark.django_db
def test_a_refused_post_writes_nothing(issued_key: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moderation.models import Comment

    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "1/min"})
    client = client_for(issued_key.secret)
    body = {"external_id": "c-1", "text": "hi"}

    accepted = client.post(URL, body, format="json")
    refused = client.post(URL, {**body, "external_id": "c-2"}, format="json")

    assert (accepted.status_code, refused.status_code) == (202, 429)
    assert list(Comment.objects.values_list("external_id", flat=True)) == ["c-1"]


@pytest.mark.django_db
def test_requests_a_key_limit_refused_do_not_use_up_the_platforms_budget(
    platform: Any, issued_key: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "2/min"})
    monkeypatch.setattr(PlatformRateThrottle, "THROTTLE_RATES", {"platform": "3/min"})
    runaway = client_for(issued_key.secret)
    sibling = client_for(api_key_issue(platform=platform).secret)

    statuses = [runaway.get(URL).status_code for _ in range(6)]

    assert statuses == [200, 200, 429, 429, 429, 429]
    # Two requests served so far: the platform's third is still there for the other key.
    assert sibling.get(URL).status_code == 200
    assert sibling.get(URL).status_code == 429
