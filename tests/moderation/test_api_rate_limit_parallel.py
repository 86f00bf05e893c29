"""The rate limit holds under parallel requests: with N per minute, exactly N of many
simultaneous requests are answered, the rest are 429 `rate_limited` (docs/security.md)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from moderation.api.auth import ApiKeyRateThrottle, PlatformRateThrottle

REQUESTS = 40
LIMIT = 10


@pytest.fixture
def redis_cache(settings: Any) -> Any:
    """The throttles count in Redis, as in production (several web processes share it)."""
    url = settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + "/14"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("throttle", "scope"), [(PlatformRateThrottle, "platform"), (ApiKeyRateThrottle, "api_key")]
)
@pytest.mark.django_db(transaction=True)
def test_parallel_requests_get_exactly_the_limit_answered(
    redis_cache: Any,
    issued_key: Any,
    monkeypatch: pytest.MonkeyPatch,
    throttle: Any,
    scope: str,
) -> None:
    monkeypatch.setattr(throttle, "THROTTLE_RATES", {scope: f"{LIMIT}/min"})
    # One fixed instant: requests that straddle a minute boundary would fall in two windows
    # and rightly get up to twice the limit, which is not what this test is about.
    instant = 1_800_000_030.0  # the middle of a window
    monkeypatch.setattr(throttle, "timer", lambda self: instant)
    start = threading.Barrier(REQUESTS)

    def request(n: int) -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued_key.secret}")
        try:
            start.wait()  # all at once
            return int(client.get("/api/v1/comments").status_code)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        statuses = list(pool.map(request, range(REQUESTS)))

    assert statuses.count(200) == LIMIT, statuses
    assert statuses.count(429) == REQUESTS - LIMIT
