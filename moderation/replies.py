"""Reply channels: how a scoring worker hands a synchronous answer back to the web request
that waits for it.

A request makes a fresh address, sends the task with it, and waits on the address; the worker
puts one JSON answer there. With Redis (ANALYZE_REPLY_URL, by default the broker's Redis) the
address is a list key: the worker RPUSHes with an expiry and the request BLPOPs, so the answer
is in the request's hands within a round trip, and an answer nobody waits for any more
expires. Without Redis (the embedded development default, the filesystem broker) the address
is a file under VAR_DIR that the request polls. Never the database: it would add a write and a
poll per request.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings

_KEY_PREFIX = "toxmod:reply:"
_clients: dict[str, Any] = {}


def _redis(url: str) -> Any:
    client = _clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30)
        _clients[url] = client
    return client


def _folder() -> Path:
    folder = Path(settings.VAR_DIR) / "replies"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def reply_address_new() -> str:
    """A fresh, unguessable address for one answer."""
    return f"{_KEY_PREFIX}{uuid.uuid4().hex}"


def reply_send(*, address: str, answer: dict[str, Any]) -> None:
    """Put `answer` (JSON-serialisable) at `address`; it expires after ANALYZE_REPLY_TTL_SECONDS
    if nobody takes it."""
    body = json.dumps(answer, separators=(",", ":"))
    ttl = int(settings.ANALYZE_REPLY_TTL_SECONDS)
    url = settings.ANALYZE_REPLY_URL
    if url:
        pipeline = _redis(url).pipeline(transaction=False)
        pipeline.rpush(address, body)
        pipeline.expire(address, ttl)
        pipeline.execute()
        return
    target = _folder() / address.removeprefix(_KEY_PREFIX)
    partial = target.with_suffix(".part")
    partial.write_text(body, encoding="utf-8")
    os.replace(partial, target)  # the waiter never reads half an answer


def reply_wait(*, address: str, timeout_seconds: float) -> dict[str, Any] | None:
    """The answer put at `address`, or None if none came within `timeout_seconds`.

    Raises the Redis client's ConnectionError if Redis cannot be reached."""
    url = settings.ANALYZE_REPLY_URL
    if url:
        # BLPOP takes fractional seconds; 0 would mean "for ever".
        popped = _redis(url).blpop([address], timeout=max(timeout_seconds, 0.01))
        if popped is None:
            return None
        answer: dict[str, Any] = json.loads(popped[1])
        return answer
    target = _folder() / address.removeprefix(_KEY_PREFIX)
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if target.exists():
            answer = json.loads(target.read_text(encoding="utf-8"))
            target.unlink(missing_ok=True)
            return answer
        time.sleep(0.01)
    return None
