"""Actions against authors (warn, silence, ban): the record, the webhook, the bulk removal,
and the author page."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from moderation.models import AuthorAction, Review, WebhookDelivery
from moderation.services.authors import author_action_take
from moderation.services.reviews import InvalidReview, comment_review, review_claim_acquire
from moderation.services.webhooks import webhook_endpoint_create
from tests.factories import make_flagged, make_moderator


@pytest.fixture
def alice(db: None) -> User:
    return make_moderator("alice")


def author_page(platform: Any, author_id: str) -> str:
    return f"/admin/moderation/authoraction/author/{platform.pk}/?author={author_id}"


def test_a_ban_is_recorded_and_sent_to_the_platform(platform: Any, alice: User) -> None:
    webhook_endpoint_create(platform=platform, url="https://hooks.example.com/a")

    result = author_action_take(
        platform=platform, author_id="troll", moderator=alice, action="banned", note="raid"
    )

    record = AuthorAction.objects.get()
    assert (record.author_id, record.action, record.moderator_username) == (
        "troll",
        "banned",
        "alice",
    )
    assert result.action == record
    (delivery,) = WebhookDelivery.objects.filter(event_type="author.actioned")
    data = delivery.payload["data"]
    assert data["author_id"] == "troll"
    assert data["action"] == "banned"
    assert data["until"] is None
    assert data["note"] == "raid"


def test_a_silence_lasts_the_hours_given_and_needs_them(platform: Any, alice: User) -> None:
    with pytest.raises(InvalidReview, match="A silence lasts"):
        author_action_take(platform=platform, author_id="u", moderator=alice, action="silenced")
    assert not AuthorAction.objects.exists()

    result = author_action_take(
        platform=platform, author_id="u", moderator=alice, action="silenced", silence_hours=24
    )

    assert result.action.until is not None
    assert round((result.action.until - result.action.created_at).total_seconds()) == 24 * 3600


def test_removing_all_open_flagged_comments_decides_each_and_leaves_the_rest(
    platform: Any, alice: User
) -> None:
    bob = make_moderator("bob")
    open_one = make_flagged(platform, external_id="open-1", author_id="troll")
    open_two = make_flagged(platform, external_id="open-2", author_id="troll")
    held = make_flagged(platform, external_id="held", author_id="troll")
    review_claim_acquire(comment=held, moderator=bob)
    decided = make_flagged(platform, external_id="kept", author_id="troll")
    comment_review(comment=decided, moderator=bob, action="approved")
    make_flagged(platform, external_id="someone-else", author_id="other")

    result = author_action_take(
        platform=platform,
        author_id="troll",
        moderator=alice,
        action="banned",
        remove_open_flagged=True,
    )

    removed = {review.comment.external_id for review in result.removed}
    assert removed == {open_one.external_id, open_two.external_id}
    assert [comment.external_id for comment, _ in result.skipped] == ["held"]
    assert AuthorAction.objects.get().comments_removed == 2
    assert set(
        Review.objects.filter(action="removed").values_list("comment__external_id", flat=True)
    ) == {"open-1", "open-2"}


def test_the_author_page_shows_their_record_and_takes_an_action(platform: Any, alice: User) -> None:
    make_flagged(platform, external_id="f-1", author_id="troll", text="you are a moron")
    make_flagged(platform, external_id="f-2", author_id="troll")
    client = Client()
    client.force_login(alice)

    page = client.get(author_page(platform, "troll")).content.decode()
    response = client.post(
        author_page(platform, "troll"),
        {"action": "silenced", "silence_hours": "48", "note": "cool off"},
        follow=True,
    )

    assert '<b id="tm-author-comments">2</b>' in page
    assert '<b id="tm-author-flag-rate">100 %</b>' in page
    assert "you are a moron" in page
    messages = [str(m) for m in response.context["messages"]]
    assert messages[0].startswith(f"Silenced troll on {platform.name} until ")
    assert "cool off" in response.content.decode()
    assert AuthorAction.objects.get().action == "silenced"


def test_a_silence_without_hours_is_refused_on_the_page(platform: Any, alice: User) -> None:
    client = Client()
    client.force_login(alice)

    response = client.post(author_page(platform, "troll"), {"action": "silenced"})

    assert response.status_code == 400
    assert "Say for how many hours." in response.content.decode()
    assert not AuthorAction.objects.exists()
