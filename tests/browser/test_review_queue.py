"""A moderator works the queue in a real browser: the worst first, decisions that can be undone,
labels that travel with the decision, an author banned and the platform told by webhook."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
from django.core.management import call_command

from classifier.labels import LABELS
from moderation.models import AuthorAction, Review
from moderation.services.reviews import review_claim_acquire
from moderation.services.webhooks import webhook_endpoint_create
from tests.conftest import wait_for
from tests.factories import make_flagged, make_moderator

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

THREAT = "I'm going to shoot up the school tomorrow."
IDENTITY = "As a gay man I think the new law is a step forward for my family."
UNDO_SECONDS = 3

#: Ordinary flagged traffic, so the queue looks like a working day on the screenshot.
BACKGROUND = [
    ("shut up, nobody asked you", {"insult": 0.62, "toxic": 0.7}),
    ("this is the dumbest take I have read all week", {"insult": 0.55, "toxic": 0.6}),
    ("what a load of crap", {"obscene": 0.58, "toxic": 0.57}),
    ("go back to where you came from", {"identity_hate": 0.57, "toxic": 0.52}),
    ("you people are all the same", {"identity_hate": 0.53}),
    ("damn, that referee was blind", {"obscene": 0.51}),
    ("idiots like you ruin every thread", {"insult": 0.81, "toxic": 0.86}),
    ("I hope someone punches you", {"threat": 0.52, "toxic": 0.7}),
    ("nobody cares about your opinion, loser", {"insult": 0.71, "toxic": 0.75}),
    ("muslims should not be allowed to vote", {"identity_hate": 0.66, "toxic": 0.6}),
    ("this recipe sucks", {"toxic": 0.51}),
    ("get lost, troll", {"insult": 0.58, "toxic": 0.6}),
]


def test_a_moderator_works_the_queue_safely_and_bans_an_author(
    live_server: Any,
    browser: Any,
    screenshot: Any,
    platform: Any,
    settings: Any,
    celery_worker_process: Any,
    webhook_receiver: Any,
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    settings.MODERATION_REVIEW_UNDO_SECONDS = UNDO_SECONDS
    make_moderator("alice")
    bob = make_moderator("bob")
    endpoint = webhook_endpoint_create(platform=platform, url=webhook_receiver.url)
    for i, (text, scores) in enumerate(BACKGROUND):
        make_flagged(
            platform, external_id=f"c-{3100 + i}", text=text, author_id=f"u-{40 + i}", scores=scores
        )
    # A threat and an identity mention arrive together; the mention sits just over its threshold.
    mention = make_flagged(
        platform,
        external_id="c-4001",
        text=IDENTITY,
        author_id="u-12",
        scores={"identity_hate": 0.52},
    )
    threat = make_flagged(
        platform,
        external_id="c-4002",
        text=THREAT,
        author_id="u-66",
        scores={"threat": 0.61, "toxic": 0.58},
    )
    threat.metadata = {"thread_id": "t-77", "parent_id": "c-3990", "url": "/forum/t-77#c-4002"}
    threat.save(update_fields=["metadata"])
    again = make_flagged(
        platform,
        external_id="c-4003",
        text="You will regret this, I know where you live.",
        author_id="u-66",
        scores={"threat": 0.55, "toxic": 0.6},
    )
    review_claim_acquire(comment=mention, moderator=bob)
    wait = WebDriverWait(browser, 15)

    def keys(text: str) -> None:
        ActionChains(browser).send_keys(text).perform()

    def row_ids() -> list[str]:
        return [
            row.find_element(By.CSS_SELECTOR, "a.tm-review-link").text
            for row in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
            if row.is_displayed()
        ]

    browser.get(f"{live_server.url}/admin/login/?next=/admin/moderation/reviewqueueitem/")
    browser.find_element(By.NAME, "username").send_keys("alice")
    browser.find_element(By.NAME, "password").send_keys("review-pass-123")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#result_list tr.tm-cursor")))

    # the threat is first; the identity mention is far below it
    ids = row_ids()
    assert ids[0] == "c-4002"
    assert ids.index("c-4002") < ids.index("c-4001")
    # bob's claim is a badge, not markup shown as text
    badge = browser.find_element(By.CSS_SELECTOR, "span.tm-claim")
    assert badge.text == "🔒 bob"
    assert "<span" not in browser.find_element(By.ID, "result_list").text
    # the queue fits the screen: no horizontal scrolling
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    )
    screenshot("review-queue")

    # a keyboard remove on the current row, undone within the window: nothing is recorded
    keys("jj")  # the third row (the second is the threat author's other comment)
    second = ids[2]
    keys("r")
    wait.until(ec.text_to_be_present_in_element((By.ID, "tm-toast"), f"Removing {second}"))
    assert second not in row_ids()
    keys("z")
    wait.until(ec.text_to_be_present_in_element((By.ID, "tm-toast"), "Undone"))
    assert second in row_ids()
    time.sleep(UNDO_SECONDS + 1)  # past the window: an undone decision is never sent
    assert not Review.objects.exists()

    # a keyboard remove left alone is sent once the window passes, recorded once
    keys("r")
    wait.until(ec.text_to_be_present_in_element((By.ID, "tm-toast"), f"Removed {second}"))
    assert Review.objects.filter(comment__external_id=second, action="removed").count() == 1

    # relabel and remove in one decision: the export carries the moderator's labels
    browser.get(f"{live_server.url}/admin/moderation/reviewqueueitem/{threat.pk}/decide/")
    wait.until(ec.presence_of_element_located((By.ID, "tm-decide-form")))
    wait.until(
        lambda driver: (
            driver.find_element(By.ID, "tm-decide-form").get_attribute("data-claimed") == "yes"
        )
    )
    assert "In reply to c-3990" in browser.find_element(By.ID, "tm-thread").text
    assert '"thread_id": "t-77"' in browser.find_element(By.ID, "tm-metadata").text
    keys("2")  # severe_toxic: yes
    screenshot("decision-page", height=1150)
    keys("r")
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messagelist"), "c-4002"))
    assert "Removed with your labels" in browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    out = io.StringIO()
    call_command("export_corrections", stdout=out)
    records = {r["external_id"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert records["c-4002"]["decision"] == "removed"
    assert records["c-4002"]["labels"] == dict.fromkeys(LABELS, 0) | {
        "toxic": 1,
        "severe_toxic": 1,
        "threat": 1,
    }

    # the author of the threat: their page, a ban with their open flags removed, the webhook
    browser.get(f"{live_server.url}/admin/moderation/reviewqueueitem/?state=open")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#result_list")))
    author = next(
        link
        for link in browser.find_elements(By.CSS_SELECTOR, "a.tm-author")
        if link.get_attribute("href").endswith("?author=u-66")
    )
    author.click()
    wait.until(ec.presence_of_element_located((By.ID, "tm-author-form")))
    assert browser.find_element(By.ID, "tm-author-comments").text == "2"
    browser.find_element(By.CSS_SELECTOR, "input[name=action][value=banned]").click()
    browser.find_element(By.NAME, "note").send_keys("Threatened a school.")
    browser.find_element(By.NAME, "remove_open_flagged").click()
    browser.find_element(By.ID, "tm-author-act").click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messagelist"), "Banned u-66"))
    assert "c-4003" in browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    screenshot("author-page", height=1000)

    def ban_delivered() -> Any:
        for request in list(webhook_receiver.requests):
            payload = request.verify(endpoint.secret)
            if payload["type"] == "author.actioned":
                return payload
        return None

    payload = wait_for(ban_delivered, timeout=30)
    assert payload["data"]["author_id"] == "u-66"
    assert payload["data"]["action"] == "banned"
    assert payload["data"]["moderator"] == "alice"
    assert AuthorAction.objects.get().comments_removed == 1
    assert Review.objects.get(comment=again).action == "removed"


def test_try_a_text_scores_as_the_moderator_types(
    live_server: Any,
    browser: Any,
    platform: Any,
    celery_worker_process: Any,
    tiny_model: Any,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    make_moderator("carol")
    wait = WebDriverWait(browser, 20)
    browser.get(f"{live_server.url}/admin/login/?next=/admin/moderation/texttrial/")
    browser.find_element(By.NAME, "username").send_keys("carol")
    browser.find_element(By.NAME, "password").send_keys("review-pass-123")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "tm-trial-form")))
    chosen = browser.find_element(By.CSS_SELECTOR, "select[name=platform] option:checked")
    assert chosen.text == platform.name  # the only platform is the default

    # typed, not submitted: the scores arrive on their own
    browser.find_element(By.NAME, "text").send_keys("you are a stupid worthless idiot")
    wait.until(ec.presence_of_element_located((By.ID, "tm-trial-result")))
    assert "Scores from tiny-v1" in browser.find_element(By.ID, "tm-trial-result").text
    assert browser.find_elements(By.CSS_SELECTOR, "#tm-trial-result tr.tm-over")
