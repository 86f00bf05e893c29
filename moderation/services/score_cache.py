"""Scores by text hash: a text the active model has scored once is not scored again.

Spam waves and reposts send the same text many times; the model's output for a text depends only
on the text and the model version, so workers keep each result in the cache (Redis in
production, `CACHE_URL`) under the version and a 128-bit hash of the text, with the explanation
spans computed so far. A new version starts with an empty cache by construction (the version is
in the key). The cache is an optimisation only: when it is unreachable, scoring goes on without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches

logger = logging.getLogger(__name__)


@dataclass
class CachedScore:
    """One text's probabilities (LABELS order) and the spans of each label explained so far
    (a label mapped to [] was explained and had no salient span)."""

    probabilities: list[float]
    explanation: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def text_digest(text: str) -> str:
    """The cache's name for a text: a 128-bit BLAKE2b of its UTF-8 bytes, hex."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _key(model_version: str, digest: str) -> str:
    # Short keys: the cache framework validates every key character by character.
    return f"score:{model_version}:{digest}"


def score_cache_get_many(*, model_version: str, digests: Sequence[str]) -> dict[str, CachedScore]:
    """The cached results among these digests (one round trip); {} if disabled or unreachable."""
    if not settings.SCORE_CACHE_SECONDS or not digests:
        return {}
    keys = {_key(model_version, digest): digest for digest in digests}
    try:
        found = caches[settings.SCORE_CACHE_ALIAS].get_many(list(keys))
    except Exception:
        logger.warning("The score cache is unreachable; scoring without it.", exc_info=True)
        return {}
    results = {}
    for key, raw in found.items():
        try:
            value = json.loads(raw)
            results[keys[key]] = CachedScore(
                [float(p) for p in value["p"]], dict(value.get("e", {}))
            )
        except (TypeError, ValueError, KeyError):
            continue  # an entry written by something else: score the text again
    return results


def score_cache_set_many(*, model_version: str, entries: Mapping[str, CachedScore]) -> None:
    """Store these results for SCORE_CACHE_SECONDS (one round trip); never raises."""
    if not settings.SCORE_CACHE_SECONDS or not entries:
        return
    values = {
        _key(model_version, digest): json.dumps(
            {"p": entry.probabilities, "e": entry.explanation}, separators=(",", ":")
        )
        for digest, entry in entries.items()
    }
    try:
        caches[settings.SCORE_CACHE_ALIAS].set_many(values, timeout=settings.SCORE_CACHE_SECONDS)
    except Exception:
        logger.warning("Could not write the score cache; scoring goes on.", exc_info=True)
