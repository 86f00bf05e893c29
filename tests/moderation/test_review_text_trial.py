"""The "try a text" page: a real worker scores, the policy is applied, nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from moderation.models import Comment
from tests.factories import make_moderator

TRY = "/admin/moderation/texttrial/"


@pytest.fixture
def moderator_client(db: None) -> Client:
    client = Client()
    client.force_login(make_moderator("alice"))
    return client


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_worker_scores_the_text_and_the_page_applies_the_thresholds(
    celery_worker_process: Any, tiny_model: Any, platform: Any, moderator_client: Client
) -> None:
    from django_celery_results.models import TaskResult

    page = moderator_client.post(
        TRY, {"text": "you are a stupid worthless idiot", "platform": platform.name}
    )

    html = page.content.decode()
    assert page.status_code == 200, html[-2000:]
    assert "Scores from tiny-v1" in html
    assert 'class="tm-over"><th>insult</th>' in html
    assert "flagged for review" in html or "removed automatically" in html
    assert not Comment.objects.exists()
    assert not TaskResult.objects.exists()  # the answer is deleted once shown


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_harmless_text_highlights_nothing_and_the_only_platform_is_the_default(
    celery_worker_process: Any, tiny_model: Any, platform: Any, moderator_client: Client
) -> None:
    form = moderator_client.get(TRY).content.decode()
    page = moderator_client.post(
        TRY, {"text": "thanks for the helpful answer and a lovely photo", "platform": ""}
    )

    assert f'<option value="{platform.name}" selected>' in form
    html = page.content.decode()
    assert page.status_code == 200, html[-2000:]
    assert "Nothing would be flagged, so no words are highlighted." in html
    assert '<mark class="tm-hl"' not in html
    assert 'class="tm-over"' not in html


def test_without_a_worker_the_page_says_so(
    moderator_client: Client, settings: Any, platform: Any
) -> None:
    settings.MODERATION_TEXT_TRIAL_QUEUE = "nobody-listens-here"
    settings.MODERATION_TEXT_TRIAL_TIMEOUT_SECONDS = 0.5

    page = moderator_client.post(TRY, {"text": "hello there", "platform": ""})

    assert page.status_code == 503
    assert "No scoring worker answered within 0.5 s" in page.content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "This field is required."), ("a\x00b", "Null characters are not allowed.")],
)
def test_bad_texts_are_refused_before_any_worker_is_asked(
    moderator_client: Client, text: str, message: str
) -> None:
    page = moderator_client.post(TRY, {"text": text})

    assert page.status_code == 400
    assert message in page.content.decode()


def test_the_page_needs_the_permission(db: None, platform: Any) -> None:
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.create_user("staff", is_staff=True))

    assert client.get(TRY).status_code == 403
