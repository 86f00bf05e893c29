"""The reply channel carries one answer from a worker to the request waiting for it: through
Redis (the broker's, in the tests) or, with the embedded filesystem broker, through files."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from moderation.replies import reply_address_new, reply_send, reply_wait


@pytest.fixture(params=["redis", "files"])
def channel(request: Any, settings: Any, tmp_path: Any) -> str:
    if request.param == "files":
        settings.ANALYZE_REPLY_URL = ""
        settings.VAR_DIR = tmp_path
    return str(request.param)


def test_an_answer_sent_while_waiting_arrives_at_once(channel: str) -> None:
    address = reply_address_new()
    sender = threading.Timer(0.1, reply_send, kwargs={"address": address, "answer": {"n": 1}})
    sender.start()

    started = time.monotonic()
    answer = reply_wait(address=address, timeout_seconds=5)

    assert answer == {"n": 1}
    assert time.monotonic() - started < 1
    # Taken once: a second wait finds nothing.
    assert reply_wait(address=address, timeout_seconds=0.05) is None


def test_no_answer_is_none_after_the_timeout(channel: str) -> None:
    started = time.monotonic()

    assert reply_wait(address=reply_address_new(), timeout_seconds=0.2) is None
    assert 0.15 < time.monotonic() - started < 2


def test_an_answer_nobody_takes_expires_in_redis(settings: Any) -> None:
    import redis

    settings.ANALYZE_REPLY_TTL_SECONDS = 7
    address = reply_address_new()

    reply_send(address=address, answer={"late": True})

    ttl = redis.Redis.from_url(settings.ANALYZE_REPLY_URL).ttl(address)
    assert 0 < ttl <= 7
