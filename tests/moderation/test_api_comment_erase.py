"""DELETE /api/v1/comments/<id>: erasure. The text, metadata and author id are gone; the audit
(reviews, score history) stays without them; the API, the review queue, scoring and the
corrections export no longer see the comment.

Bad inputs tried: another platform's comment id (404, nothing of it changes), an id that
does not exist, an id that is not a UUID, erasing twice (404 the second time), no key (401).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from moderation.models import Comment, CommentScore, CommentStatus, Review
from moderation.selectors.review_queue import comment_review_queue
from moderation.services.corrections import corrections_reviews
from moderation.services.scoring_queue import comments_sweep_pending
from tests.api_calls import URL, assert_error, post


@pytest.fixture
def reviewed(
    platform: Any, comment_factory: Any, review_factory: Any, model_version_factory: Any
) -> Any:
    comment = comment_factory(
        platform=platform,
        external_id="e-1",
        text="you absolute walnut",
        author_id="u-42",
        metadata={"thread": "t-9"},
        status=CommentStatus.FLAGGED,
        flagged_labels=["insult"],
        explanation={"insult": [{"start": 4, "end": 19, "text": "absolute walnut", "weight": 1}]},
    )
    CommentScore.objects.create(
        comment=comment, model_version=model_version_factory(), scores={"insult": 0.9}
    )
    review_factory(comment=comment, action="removed")
    return comment


@pytest.mark.django_db
def test_erasure_empties_the_comment_and_keeps_the_audit(
    api_client: APIClient, reviewed: Any
) -> None:
    url = f"{URL}/{reviewed.public_id}"

    response = api_client.delete(url)

    assert response.status_code == 204
    row = Comment.objects.get(pk=reviewed.pk)
    assert (row.text, row.metadata, row.author_id, row.explanation) == ("", {}, "", {})
    assert row.erased_at is not None
    assert Review.objects.filter(comment=row).count() == 1
    assert CommentScore.objects.filter(comment=row).count() == 1
    assert_error(api_client.get(url), 404, "not_found")
    assert_error(api_client.delete(url), 404, "not_found")
    assert api_client.get(URL).json()["results"] == []
    assert not comment_review_queue().filter(pk=row.pk).exists()
    assert not corrections_reviews().exists()


@pytest.mark.django_db
def test_the_external_id_can_be_used_again_after_erasure(
    api_client: APIClient, reviewed: Any
) -> None:
    api_client.delete(f"{URL}/{reviewed.public_id}")

    again = post(api_client, {"external_id": "e-1", "text": "a new text"})

    assert again.status_code == 202, again.content
    assert again.json()["id"] != str(reviewed.public_id)


@pytest.mark.django_db
def test_an_erased_pending_comment_is_never_scored_or_swept(
    api_client: APIClient, platform: Any, comment_factory: Any
) -> None:
    comment = comment_factory(platform=platform, status=CommentStatus.PENDING, enqueued_at=None)

    api_client.delete(f"{URL}/{comment.public_id}")

    assert comments_sweep_pending() == 0


@pytest.mark.django_db
def test_another_platforms_comment_is_404_and_untouched(
    api_client: APIClient, platform_factory: Any, comment_factory: Any
) -> None:
    theirs = comment_factory(platform=platform_factory(), text="theirs")

    assert_error(api_client.delete(f"{URL}/{theirs.public_id}"), 404, "not_found")
    assert_error(api_client.delete(f"{URL}/{uuid.uuid4()}"), 404, "not_found")
    assert_error(api_client.delete(f"{URL}/not-a-uuid"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.text == "theirs"
    assert theirs.erased_at is None


def test_without_a_key_it_is_a_401(db: None) -> None:
    response = APIClient().delete(f"{URL}/{uuid.uuid4()}")
    assert response.status_code == 401
    assert json.loads(response.content)["error"]["code"] == "not_authenticated"
