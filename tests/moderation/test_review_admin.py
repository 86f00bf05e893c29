"""The review queue, the decision page, the audit log and the role, through the admin."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from classifier.labels import LABELS
from moderation.models import Comment, CommentStatus, ModelVersion, Review, ReviewClaim
from moderation.review_priority import review_priority_stored
from moderation.services.reviews import comment_review, review_claim_acquire
from tests.factories import make_flagged, make_moderator

QUEUE = "/admin/moderation/reviewqueueitem/"
AUDIT = "/admin/moderation/review/"


def decide_url(comment: Comment) -> str:
    return f"{QUEUE}{comment.pk}/decide/"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice(db: None) -> User:
    return make_moderator("alice")


@pytest.fixture
def bob(db: None) -> User:
    return make_moderator("bob")


def rows(html: str) -> str:
    """The result table of a changelist ("" when nothing matched)."""
    if 'id="result_list"' not in html:
        return ""
    return html.split('id="result_list"')[1].split("</table>")[0]


def test_the_queue_lists_flagged_unreviewed_comments_by_priority(
    platform: Any, alice: User
) -> None:
    severe = make_flagged(platform, external_id="severe", scores={"threat": 0.99})
    mild = make_flagged(platform, external_id="mild", scores={"toxic": 0.7})
    borderline = make_flagged(platform, external_id="borderline", scores={"insult": 0.51})
    decided = make_flagged(platform, external_id="decided", scores={"toxic": 0.95})
    comment_review(comment=decided, moderator=alice, action="removed")
    make_flagged(platform, external_id="allowed", status=CommentStatus.ALLOWED)

    html = client_for(alice).get(QUEUE).content.decode()

    listed = rows(html)
    order = [listed.index(c.external_id) for c in (severe, mild, borderline)]
    assert order == sorted(order), "a 0.99 threat, then a 0.7 toxic, then a 0.51 insult"
    assert "decided" not in listed
    assert "allowed" not in listed
    assert "Keyboard shortcuts" in html


def test_a_row_shows_scores_tripped_labels_highlights_and_the_authors_record(
    platform: Any, alice: User
) -> None:
    text = "you <b>idiot</b> " + "and more words " * 30
    start = text.index("idiot")
    make_flagged(
        platform,
        external_id="row",
        text=text,
        author_id="troll",
        explanation={"insult": [{"start": start, "end": start + 5, "text": "idiot", "weight": 2}]},
    )
    make_flagged(platform, external_id="again", author_id="troll")
    make_flagged(platform, external_id="third", author_id="troll", status="auto_removed")

    listed = rows(client_for(alice).get(QUEUE).content.decode())

    assert '<mark class="tm-hl"' in listed
    assert ">idiot</mark>" in listed
    assert "&lt;b&gt;" in listed  # the text is escaped
    assert "<b>idiot" not in listed
    assert 'title="2 other flagged comment(s)' in listed
    assert "?author=troll" in listed  # the author's record is a link to their page
    assert 'title="toxic: 0.910' in listed
    assert '<span class="tm-badge">insult</span>' in listed


def test_filters_and_search_narrow_the_queue(
    platform: Any, platform_factory: Any, alice: User
) -> None:
    other = platform_factory()
    make_flagged(platform, external_id="mine-threat", scores={"threat": 0.8}, text="i will hurt")
    make_flagged(other, external_id="other-insult", scores={"insult": 0.6}, text="moron")
    client = client_for(alice)

    def listed(**params: Any) -> str:
        response = client.get(QUEUE, params)
        assert response.status_code == 200
        return rows(response.content.decode())

    assert "other-insult" not in listed(platform__id__exact=platform.pk)
    assert "mine-threat" not in listed(flagged_label="insult")
    assert "other-insult" not in listed(score="0.7-0.9")
    assert "mine-threat" not in listed(q="moron")
    assert "mine-threat" in listed(age="1h")
    assert "mine-threat" not in listed(age="7d+")
    assert "mine-threat" in listed(model_version__id__exact=ModelVersion.objects.get().pk)
    assert "mine-threat" not in listed(state="escalated")


def test_the_queue_page_query_count_stays_flat_at_twenty_thousand_open_comments(
    platform: Any, alice: User, django_assert_num_queries: Any
) -> None:
    model_version = ModelVersion.objects.get(is_active=True)
    now = timezone.now()
    comments = []
    for i in range(20_000):
        score = 0.5 + (i % 50) / 100
        comment = Comment(
            platform=platform,
            external_id=f"bulk-{i}",
            text=f"comment number {i} you idiot",
            author_id=f"author-{i % 40}",
            status=CommentStatus.FLAGGED,
            max_score=score,
            flagged_labels=["toxic"],
            model_version=model_version,
            scored_at=now,
        )
        scores = dict.fromkeys(LABELS, 0.01) | {"toxic": score}
        comment.set_scores(scores)
        comment.review_priority = review_priority_stored(scores=scores, created_at=now)
        comments.append(comment)
    Comment.objects.bulk_create(comments, batch_size=2000)
    top = Comment.objects.order_by("-review_priority", "-pk").first()
    assert top is not None
    review_claim_acquire(comment=top, moderator=alice)
    client = client_for(alice)

    # session, user, the user's and its group's permissions, platforms and model versions for
    # the filters, the page count, the page of rows (scores, claims, author counts, the last
    # review and the model's never-predicted labels joined in)
    with django_assert_num_queries(8):
        response = client.get(QUEUE)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="tm-review-link"') == 50
    assert '<span class="tm-claim" title="claimed' in html
    assert "&lt;span" not in html  # the claim is a badge, not escaped markup
    assert '<span id="tm-result-count">20000</span> comments' in html


def test_opening_a_comment_writes_nothing_its_page_claims_it_and_a_colleague_is_told(
    platform: Any, alice: User, bob: User
) -> None:
    comment = make_flagged(platform, external_id="contested")
    alices = client_for(alice)

    first = alices.get(decide_url(comment))
    assert first.status_code == 200
    assert not ReviewClaim.objects.exists()  # a GET only looks
    assert f'data-claim-url="{QUEUE}{comment.pk}/claim/"' in first.content.decode()
    claimed = alices.post(f"{QUEUE}{comment.pk}/claim/", HTTP_ACCEPT="application/json")
    assert claimed.json()["ok"] is True
    second = client_for(bob).get(decide_url(comment)).content.decode()

    assert "alice opened this comment" in second
    assert "<fieldset disabled>" in second
    response = client_for(bob).post(
        decide_url(comment), {"action": "removed", "last_review": 0}, follow=True
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("alice opened this comment" in m and "not recorded" in m for m in messages)
    assert not Review.objects.exists()


def test_relabel_through_the_form_records_every_label_and_moves_to_the_next(
    platform: Any, alice: User
) -> None:
    first = make_flagged(platform, external_id="first", scores={"toxic": 0.99})
    second = make_flagged(platform, external_id="second", scores={"toxic": 0.8})
    client = client_for(alice)
    page = client.get(decide_url(first)).content.decode()
    assert 'value="1" class="tm-label-choice" id="id_label_toxic_0" checked' in page

    labels = {f"label_{label}": "0" for label in LABELS} | {
        "label_toxic": "1",
        "label_obscene": "1",
    }
    response = client.post(
        decide_url(first), {"action": "relabeled", "last_review": 0, "note": "swearing", **labels}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(decide_url(second))
    review = Review.objects.get(comment=first)
    assert review.labels_after == dict.fromkeys(LABELS, 0) | {"toxic": 1, "obscene": 1}
    assert review.note == "swearing"
    audit = client.get(decide_url(first)).content.decode()
    assert "This comment was relabeled" in audit
    assert "obscene yes" in audit


def test_a_relabel_with_labels_missing_is_refused_with_the_form_shown_again(
    platform: Any, alice: User
) -> None:
    comment = make_flagged(platform, external_id="partial")

    response = client_for(alice).post(
        decide_url(comment), {"action": "relabeled", "last_review": 0, "label_toxic": "1"}
    )

    assert response.status_code == 400
    assert "Choose yes or no: a relabel sets every label." in response.content.decode()
    assert not Review.objects.exists()


def test_a_relabel_the_service_refuses_shows_its_reason_on_the_form(
    platform: Any, alice: User
) -> None:
    comment = make_flagged(platform, external_id="odd")
    labels = {f"label_{label}": "0" for label in LABELS} | {"label_threat": "1"}

    response = client_for(alice).post(
        decide_url(comment), {"action": "relabeled", "last_review": 0, **labels}
    )

    assert response.status_code == 400
    assert "threat is kinds of toxicity" not in response.content.decode()
    assert "set toxic to yes as well" in response.content.decode()
    assert not Review.objects.exists()


def test_deciding_an_already_decided_comment_says_who_did(
    platform: Any, alice: User, bob: User
) -> None:
    comment = make_flagged(platform, external_id="late")
    client = client_for(alice)
    client.get(decide_url(comment))
    comment_review(comment=comment, moderator=alice, action="approved")

    response = client_for(bob).post(
        decide_url(comment), {"action": "removed", "last_review": 0}, follow=True
    )

    messages = [str(m) for m in response.context["messages"]]
    assert any("already approved by alice" in m for m in messages)
    assert response.status_code == 200


def test_bulk_approve_and_remove_from_the_queue(platform: Any, alice: User, bob: User) -> None:
    one = make_flagged(platform, external_id="one")
    two = make_flagged(platform, external_id="two")
    held = make_flagged(platform, external_id="held")
    review_claim_acquire(comment=held, moderator=bob)

    response = client_for(alice).post(
        QUEUE,
        {"action": "approve_selected", "_selected_action": [one.pk, two.pk, held.pk]},
        follow=True,
    )

    messages = [str(m) for m in response.context["messages"]]
    assert "Approved 2 comment(s): one, two." in messages
    assert any(m.startswith("held was not approved: bob opened") for m in messages)
    assert set(Review.objects.values_list("comment__external_id", flat=True)) == {"one", "two"}


def test_the_audit_is_visible_and_cannot_be_edited_or_deleted(
    platform: Any, alice: User, admin_client: Any
) -> None:
    comment = make_flagged(platform, external_id="audited")
    review = comment_review(comment=comment, moderator=alice, action="removed", note="n1")

    comment_page = admin_client.get(f"/admin/moderation/comment/{comment.pk}/change/")
    detail = admin_client.get(f"{AUDIT}{review.pk}/change/")
    delete = admin_client.post(f"{AUDIT}{review.pk}/delete/", {"post": "yes"})
    listing = admin_client.get(AUDIT).content.decode()

    assert "moderator decisions (audit, append-only)" in comment_page.content.decode().lower()
    assert "n1" in comment_page.content.decode()
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert delete.status_code == 403
    assert "delete_selected" not in listing
    assert Review.objects.filter(pk=review.pk, note="n1").exists()


def test_the_export_action_streams_the_selected_decisions(platform: Any, alice: User) -> None:
    picked = make_flagged(platform, external_id="picked")
    other = make_flagged(platform, external_id="other")
    review = comment_review(comment=picked, moderator=alice, action="approved")
    comment_review(comment=other, moderator=alice, action="removed")
    client = client_for(alice)

    response = client.post(AUDIT, {"action": "export_jsonl", "_selected_action": [review.pk]})
    everything = client.get(f"{AUDIT}export/", {"format": "csv"})

    assert response.streaming
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    records = [json.loads(line) for line in body.splitlines()]
    assert [r["external_id"] for r in records] == ["picked"]
    assert everything.streaming
    assert everything["Content-Disposition"].endswith('.csv"')
    csv_body = b"".join(everything.streaming_content)  # type: ignore[attr-defined]
    assert len(csv_body.decode().splitlines()) == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"format": "xml"}, "format must be one of"),
        ({"since": "yesterday"}, "since must be an ISO 8601"),
        ({"platform": "nope"}, "no platform named 'nope'"),
    ],
)
def test_a_bad_export_request_is_refused_with_a_reason(
    alice: User, params: dict[str, str], message: str
) -> None:
    response = client_for(alice).get(f"{AUDIT}export/", params)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_moderators_see_the_review_tools_but_not_keys_webhooks_or_models(alice: User) -> None:
    client = client_for(alice)

    index = client.get("/admin/").content.decode()

    for allowed in ("Review queue", "Dashboard", "Try a text", "Reviews"):
        assert allowed in index
    for hidden in ("API keys", "Model versions", "Platforms", "Webhook"):
        assert hidden not in index
    for url in (
        "/admin/moderation/apikey/",
        "/admin/moderation/modelversion/",
        "/admin/moderation/platform/",
        "/admin/moderation/webhookendpoint/",
    ):
        assert client.get(url).status_code in (403, 404), url


def test_a_user_without_the_review_permission_can_look_but_not_decide(
    platform: Any, db: None
) -> None:
    viewer = User.objects.create_user("viewer", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_reviewqueueitem"))
    comment = make_flagged(platform, external_id="look")
    client = client_for(viewer)

    assert client.get(decide_url(comment)).status_code == 200
    assert client.post(decide_url(comment), {"action": "approved"}).status_code == 403
    assert "approve_selected" not in client.get(QUEUE).content.decode()


def test_a_row_button_decides_that_comment_once_and_the_message_names_it(
    platform: Any, alice: User
) -> None:
    comment = make_flagged(
        platform, external_id="row-remove", text="Nobody wants you here, leave.", author_id="a"
    )
    client = client_for(alice)
    queue = client.get(QUEUE).content.decode()
    assert f'formaction="{QUEUE}{comment.pk}/quick/?last_review=0' in queue

    response = client.post(
        f"{QUEUE}{comment.pk}/quick/", {"decision": "removed", "last_review": 0}, follow=True
    )
    again = client.post(
        f"{QUEUE}{comment.pk}/quick/",
        {"decision": "removed", "last_review": 0},
        HTTP_ACCEPT="application/json",
    )

    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Removed row-remove (“Nobody wants you here, leave.”)."]
    assert again.status_code == 409
    assert again.json()["message"].startswith("row-remove (“Nobody")
    assert "already removed by alice" in again.json()["message"]
    assert Review.objects.filter(comment=comment).count() == 1  # recorded once


def test_a_get_of_the_row_endpoints_writes_nothing(platform: Any, alice: User) -> None:
    comment = make_flagged(platform, external_id="looked-at")
    client = client_for(alice)

    for endpoint in ("quick", "claim", "release"):
        assert client.get(f"{QUEUE}{comment.pk}/{endpoint}/").status_code == 405

    assert not Review.objects.exists()
    assert not ReviewClaim.objects.exists()


def test_my_claims_lists_what_i_hold_and_a_claim_can_be_released_from_the_queue(
    platform: Any, alice: User, bob: User
) -> None:
    mine = make_flagged(platform, external_id="mine")
    theirs = make_flagged(platform, external_id="theirs")
    make_flagged(platform, external_id="free")
    review_claim_acquire(comment=mine, moderator=alice)
    review_claim_acquire(comment=theirs, moderator=bob)
    client = client_for(alice)

    my_claims = rows(client.get(QUEUE, {"claim": "mine"}).content.decode())
    assert ">mine</a>" in my_claims
    assert ">theirs</a>" not in my_claims
    assert ">free</a>" not in my_claims
    assert f'formaction="{QUEUE}{mine.pk}/release/' in my_claims
    assert "_changelist_filters=claim%3Dmine" in my_claims  # opening a row keeps the view
    response = client.post(f"{QUEUE}{mine.pk}/release/", follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Released mine (“you are a stupid idiot”)."
    ]
    assert list(ReviewClaim.objects.values_list("comment__external_id", flat=True)) == ["theirs"]


def test_labels_flipped_before_remove_are_the_ones_recorded_and_exported(
    platform: Any, alice: User
) -> None:
    comment = make_flagged(platform, external_id="flip", scores={"toxic": 0.9, "insult": 0.8})
    client = client_for(alice)
    labels = {f"label_{label}": "0" for label in LABELS} | {
        "label_toxic": "1",
        "label_threat": "1",  # the moderator adds threat and drops insult
    }

    response = client.post(
        decide_url(comment),
        {"action": "removed", "reason": "threat", "last_review": 0, **labels},
        follow=True,
    )
    export = client.get(f"{AUDIT}export/", {"format": "jsonl"})

    assert "Removed with your labels: flip" in " ".join(
        str(m) for m in response.context["messages"]
    )
    record = json.loads(b"".join(export.streaming_content))  # type: ignore[attr-defined]
    assert record["decision"] == "removed"
    assert record["reason"] == "threat"
    assert record["labels"] == dict.fromkeys(LABELS, 0) | {"toxic": 1, "threat": 1}


def test_a_remove_with_the_labels_as_prefilled_keeps_the_documented_meaning(
    platform: Any, alice: User
) -> None:
    comment = make_flagged(platform, external_id="as-is", scores={"toxic": 0.9, "insult": 0.8})
    labels = {f"label_{label}": "0" for label in LABELS} | {
        "label_toxic": "1",
        "label_insult": "1",
    }

    client_for(alice).post(decide_url(comment), {"action": "removed", "last_review": 0, **labels})

    review = Review.objects.get(comment=comment)
    assert review.labels_after == dict.fromkeys(LABELS) | {"toxic": 1, "insult": 1}


def test_the_decision_page_shows_the_metadata_and_the_thread(platform: Any, alice: User) -> None:
    parent = make_flagged(platform, external_id="p-1", text="Who is coming to the match?")
    parent.metadata = {"thread_id": "t-9"}
    parent.save(update_fields=["metadata"])
    reply = make_flagged(platform, external_id="r-1", text="Not you, <loser>.")
    reply.metadata = {"parent_id": "p-1", "thread_id": "t-9", "lang": "en"}
    reply.save(update_fields=["metadata"])

    page = client_for(alice).get(decide_url(reply)).content.decode()

    assert "In reply to <b>p-1</b>" in page
    assert "Who is coming to the match?" in page
    assert "&quot;lang&quot;: &quot;en&quot;" in page  # pretty-printed, escaped
    assert "&lt;loser&gt;" in page
