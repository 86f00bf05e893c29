"""PATCH /api/v1/comments/<id>: a new text is scored again and the old scores stay in the
history.

Bad inputs tried (400 validation_error naming the field, the comment unchanged): no text, an
empty text, only whitespace, only invisible characters, a NUL byte, a text over the limit, a
number, an unknown field (`author_id`, which cannot be edited); and (404) another platform's
comment, an erased comment, an id that does not exist.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from moderation.models import Comment, CommentScore, CommentStatus
from moderation.services.comments import comment_erase
from tests.api_calls import URL, assert_error, post
from tests.conftest import wait_for

ABUSIVE = "you are a stupid worthless idiot"
KIND = "thanks for the helpful answer"


def patch(client: APIClient, comment: Any, body: Any) -> Any:
    return client.patch(
        f"{URL}/{comment.public_id}" if not isinstance(comment, str) else comment,
        data=json.dumps(body),
        content_type="application/json",
    )


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_an_edited_text_is_scored_again_and_the_old_scores_stay_in_history(
    celery_worker_process: Any, tiny_model: Any, api_client: APIClient
) -> None:
    created = post(api_client, {"external_id": "ed-1", "text": ABUSIVE}).json()
    comment = Comment.objects.get(public_id=created["id"])
    wait_for(lambda: Comment.objects.get(pk=comment.pk).status != CommentStatus.PENDING)

    edited = patch(api_client, comment, {"text": KIND})

    assert edited.status_code == 200, edited.content
    assert edited.json()["status"] == "pending"
    assert edited.json()["text"] == KIND
    wait_for(lambda: Comment.objects.get(pk=comment.pk).status != CommentStatus.PENDING)
    after = api_client.get(f"{URL}/{comment.public_id}").json()
    assert after["status"] == "allowed"
    history = {
        row.text_revision: row.scores for row in CommentScore.objects.filter(comment=comment)
    }
    assert set(history) == {0, 1}
    assert history[0]["insult"] > 0.5
    assert history[1]["insult"] == after["scores"]["insult"] < 0.5


@pytest.mark.django_db
def test_an_edit_clears_the_decision_and_queues_the_comment(
    api_client: APIClient,
    platform: Any,
    comment_factory: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    comment = comment_factory(
        platform=platform, text=ABUSIVE, status=CommentStatus.FLAGGED, decision="removed"
    )

    with django_capture_on_commit_callbacks() as callbacks:
        response = patch(api_client, comment, {"text": KIND})

    assert response.status_code == 200
    comment.refresh_from_db()
    assert (comment.text, comment.text_revision, comment.status) == (KIND, 1, "pending")
    assert comment.decision == ""
    assert len(callbacks) == 1  # sent to the scoring queue after commit
    with django_capture_on_commit_callbacks() as callbacks:
        same = patch(api_client, comment, {"text": KIND})
    assert same.status_code == 200
    assert callbacks == []
    comment.refresh_from_db()
    assert comment.text_revision == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "required"),
        ({"text": ""}, "blank"),
        ({"text": "   "}, "blank"),
        ({"text": "\u200b"}, "no_visible_text"),
        ({"text": "a\x00b"}, "null_characters_not_allowed"),
        ({"text": "x" * 20_001}, "max_length"),
        ({"text": 5}, "invalid_type"),
        ({"text": "fine", "author_id": "u-2"}, "unknown_field"),
    ],
)
def test_bad_edits_are_400s_and_change_nothing(
    api_client: APIClient, platform: Any, comment_factory: Any, body: Any, code: str
) -> None:
    comment = comment_factory(platform=platform, text="original")

    error = assert_error(patch(api_client, comment, body), 400, "validation_error")

    assert next(iter(error["fields"].values()))[0]["code"] == code
    comment.refresh_from_db()
    assert comment.text == "original"


@pytest.mark.django_db
def test_comments_the_platform_cannot_see_are_404(
    api_client: APIClient, platform: Any, platform_factory: Any, comment_factory: Any
) -> None:
    theirs = comment_factory(platform=platform_factory(), text="theirs")
    erased = comment_erase(comment=comment_factory(platform=platform))

    for target in (theirs, erased, f"{URL}/{uuid.uuid4()}"):
        assert_error(patch(api_client, target, {"text": "new"}), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.text == "theirs"
