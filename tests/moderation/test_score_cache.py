"""The score cache: a text is scored once per model version, and the cache is only a shortcut."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from classifier.labels import LABELS
from moderation.models import Comment, CommentScore, CommentStatus, ModelVersion
from moderation.services.score_cache import (
    CachedScore,
    score_cache_get_many,
    score_cache_set_many,
    text_digest,
)
from moderation.services.scoring import _write_back_rows, comment_batch_score

ABUSIVE = "you are a stupid worthless idiot"
KIND = "thanks for the helpful answer"


@pytest.fixture
def score_cache(settings: Any) -> Any:
    settings.SCORE_CACHE_SECONDS = 600
    cache.clear()
    yield cache
    cache.clear()


@pytest.mark.django_db
def test_a_cached_text_is_not_sent_to_the_model_again(
    score_cache: Any, platform: Any, comment_factory: Any, tiny_model: ModelVersion
) -> None:
    # What the cache says for a text is what the comment gets: the model is not asked.
    planted = [0.01, 0.0, 0.02, 0.99, 0.03, 0.0]
    score_cache_set_many(
        model_version=tiny_model.version,
        entries={text_digest(KIND): CachedScore(planted, {"threat": []})},
    )
    comment = comment_factory(platform=platform, text=KIND)

    comment_batch_score(comment_ids=[comment.pk])

    comment.refresh_from_db()
    assert comment.score_threat == pytest.approx(0.99)
    assert comment.flagged_labels == ["threat"]
    assert CommentScore.objects.get(comment=comment).scores["threat"] == pytest.approx(0.99)


@pytest.mark.django_db
def test_repeats_share_one_result_and_it_is_cached_for_this_version_only(
    score_cache: Any, platform: Any, comment_factory: Any, tiny_model: ModelVersion
) -> None:
    wave = [comment_factory(platform=platform, text=ABUSIVE) for _ in range(5)]
    other = comment_factory(platform=platform, text=KIND)

    result = comment_batch_score(comment_ids=[c.pk for c in [*wave, other]])

    assert result.scored == 6
    stored = {(c.score_toxic, c.status) for c in Comment.objects.filter(text=ABUSIVE)}
    assert len(stored) == 1
    assert stored.pop()[1] != CommentStatus.PENDING
    cached = score_cache_get_many(
        model_version=tiny_model.version, digests=[text_digest(ABUSIVE), text_digest(KIND)]
    )
    assert set(cached) == {text_digest(ABUSIVE), text_digest(KIND)}
    toxic = cached[text_digest(ABUSIVE)]
    first = Comment.objects.get(pk=wave[0].pk)
    assert toxic.probabilities[LABELS.index("toxic")] == pytest.approx(first.score_toxic)
    # The flagged labels were explained once, and the spans are kept for the next repeat.
    flagged = first.flagged_labels
    assert flagged
    assert set(flagged) <= set(toxic.explanation)
    assert (
        score_cache_get_many(model_version="another-version", digests=[text_digest(ABUSIVE)]) == {}
    )


@pytest.mark.django_db
def test_scoring_goes_on_when_the_cache_is_unreachable(
    settings: Any, platform: Any, comment_factory: Any, tiny_model: ModelVersion
) -> None:
    settings.SCORE_CACHE_SECONDS = 600
    settings.CACHES = {
        **settings.CACHES,
        "scores": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        },
    }
    settings.SCORE_CACHE_ALIAS = "scores"
    comment = comment_factory(platform=platform, text=ABUSIVE)

    assert comment_batch_score(comment_ids=[comment.pk]).scored == 1

    comment.refresh_from_db()
    assert comment.status != CommentStatus.PENDING


@pytest.mark.django_db
def test_the_portable_write_back_stores_what_the_postgresql_one_does(
    platform: Any, comment_factory: Any, tiny_model: ModelVersion
) -> None:
    """SQLite (the embedded default) writes row by row; the result must be the same."""
    first = comment_factory(platform=platform, text=ABUSIVE)
    second = comment_factory(platform=platform, text=ABUSIVE)
    comment_batch_score(comment_ids=[first.pk])
    first.refresh_from_db()
    second.refresh_from_db()
    for field in (
        "status",
        "flagged_labels",
        "explanation",
        "max_score",
        "scored_at",
        "model_version",
    ):
        setattr(second, field, getattr(first, field))
    second.set_scores(first.scores or {})

    _write_back_rows([second], tiny_model)
    _write_back_rows([second], tiny_model)  # a second run adds no history row

    second.refresh_from_db()
    assert second.scores == first.scores
    assert (second.status, second.flagged_labels, second.explanation, second.model_version) == (
        first.status,
        first.flagged_labels,
        first.explanation,
        tiny_model,
    )
    assert CommentScore.objects.filter(comment=second).count() == 1
