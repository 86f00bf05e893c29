"""The admin shows comments with their scores, filters flagged ones, and keeps keys secret."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.models import ApiKey, CommentStatus
from moderation.services.scoring import comment_batch_score

CHANGELIST = "/admin/moderation/comment/"


@pytest.fixture
def scored_comments(platform: Any, comment_factory: Any, tiny_model: Any) -> list[Any]:
    comments = [
        comment_factory(platform=platform, external_id="abusive", text="you stupid idiot moron"),
        comment_factory(platform=platform, external_id="threat", text="i am going to kill you"),
        comment_factory(
            platform=platform, external_id="kind", text="thanks for the helpful answer"
        ),
    ]
    comment_batch_score(comment_ids=[c.pk for c in comments])
    for comment in comments:
        comment.refresh_from_db()
    return comments


@pytest.mark.django_db
def test_flagged_comments_are_listed_with_score_bars(
    admin_client: Any, scored_comments: Any
) -> None:
    flagged = [c for c in scored_comments if c.status == CommentStatus.FLAGGED]
    assert flagged, "the tiny model should flag the abusive comments"

    page = admin_client.get(CHANGELIST, {"status__exact": "flagged"})

    assert page.status_code == 200
    html = page.content.decode()
    for comment in flagged:
        assert comment.external_id in html
    assert "kind" not in html.split('id="result_list"')[1]
    assert html.count('title="toxic: ') == len(flagged)


@pytest.mark.django_db
def test_filters_by_label_score_platform_and_search(
    admin_client: Any, scored_comments: Any, platform: Any
) -> None:
    threat_flagged = [c for c in scored_comments if "threat" in c.flagged_labels]

    by_label = admin_client.get(CHANGELIST, {"flagged_label": "threat"}).content.decode()
    by_score = admin_client.get(CHANGELIST, {"max_score_gte": "0.5"})
    by_platform = admin_client.get(CHANGELIST, {"platform__id__exact": platform.pk})
    by_search = admin_client.get(CHANGELIST, {"q": "helpful"}).content.decode()

    result = by_label.split('id="result_list"')[1] if threat_flagged else by_label
    for comment in threat_flagged:
        assert comment.external_id in result
    assert by_score.status_code == by_platform.status_code == 200
    assert "kind" in by_search.split('id="result_list"')[1]


@pytest.mark.django_db
def test_changelist_query_count_is_flat(
    admin_client: Any, platform: Any, comment_factory: Any, django_assert_num_queries: Any
) -> None:
    comment_factory.create_batch(40, platform=platform)
    # session, user, page of comments, filter choices (platforms, versions): not one per row
    with django_assert_num_queries(8):
        page = admin_client.get(CHANGELIST)
    assert page.status_code == 200


@pytest.mark.django_db
def test_issuing_a_key_in_the_admin_shows_it_once_and_stores_a_digest(
    admin_client: Any, platform: Any
) -> None:
    response = admin_client.post(
        "/admin/moderation/platform/",
        {"action": "issue_key", "_selected_action": [platform.pk]},
        follow=True,
    )

    messages = [str(m) for m in response.context["messages"]]
    secret = next(m.split(": ")[-1] for m in messages if "New key" in m)
    key = ApiKey.objects.get(platform=platform)
    assert secret.startswith("tm_")
    assert secret not in key.digest
    detail = admin_client.get(f"/admin/moderation/apikey/{key.pk}/change/").content.decode()
    assert secret not in detail


@pytest.mark.django_db
def test_model_versions_are_listed_and_can_be_activated(admin_client: Any, tiny_model: Any) -> None:
    from moderation.models import ModelVersion

    shipped = ModelVersion.objects.exclude(pk=tiny_model.pk).get()
    page = admin_client.get("/admin/moderation/modelversion/")
    assert tiny_model.version in page.content.decode()

    admin_client.post(
        "/admin/moderation/modelversion/",
        {"action": "activate", "_selected_action": [shipped.pk]},
    )

    assert ModelVersion.objects.get(is_active=True) == shipped
