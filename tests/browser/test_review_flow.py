"""A moderator's day in a real browser: log in, relabel with the keyboard, bulk approve, read
the audit, export exactly those decisions."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from classifier.labels import LABELS
from moderation.models import Comment, Review
from moderation.services.reviews import comment_priority_refresh
from tests.factories import make_flagged, make_moderator

pytestmark = pytest.mark.django_db(transaction=True)


def traffic_with_a_raid(platform: Any) -> None:
    """Four days of ordinary traffic (about 10 % flagged), then a pile-on this hour."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    labels = ["toxic", "insult", "obscene", "toxic", "threat"]
    for back in range(96, -1, -1):
        raid = back == 0
        total = 60 if raid else 24 + (back * 7) % 13
        flagged = 38 if raid else 2 + back % 3
        rows = []
        for i in range(total):
            label = "identity_hate" if raid and i % 2 else labels[(i + back) % len(labels)]
            rows.append(
                Comment(
                    platform=platform,
                    external_id=f"traffic-{back}-{i}",
                    text="traffic",
                    status="allowed" if i >= flagged else "auto_removed",
                    flagged_labels=[] if i >= flagged else ["toxic", label],
                    max_score=0.1 if i >= flagged else 0.99,
                )
            )
        created = Comment.objects.bulk_create(rows)
        Comment.objects.filter(pk__in=[c.pk for c in created]).update(
            created_at=now - timedelta(hours=back) + timedelta(minutes=1 + (back * 11) % 50)
        )


def test_a_moderator_relabels_with_the_keyboard_bulk_approves_and_exports(
    live_server: Any, browser: Any, screenshot: Any, platform: Any
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    make_moderator("alice")
    idiot = "You are an idiot and a moron, everyone can see it."
    relabel = make_flagged(
        platform,
        external_id="relabel-me",
        text=idiot,
        author_id="u-7",
        scores={"toxic": 0.97, "insult": 0.93},
        explanation={
            "insult": [
                {"start": 11, "end": 16, "text": "idiot", "weight": 2.1},
                {"start": 23, "end": 28, "text": "moron", "weight": 1.7},
            ],
            "toxic": [{"start": 11, "end": 16, "text": "idiot", "weight": 1.4}],
        },
    )
    first = make_flagged(
        platform, external_id="approve-1", text="This take is garbage.", scores={"toxic": 0.62}
    )
    second = make_flagged(
        platform,
        external_id="approve-2",
        text="Shut up, nobody asked.",
        author_id="u-7",
        scores={"toxic": 0.58, "insult": 0.51},
    )
    for back, comment in enumerate([second, first], start=1):  # approve-1 waited longer
        Comment.objects.filter(pk=comment.pk).update(
            created_at=timezone.now() - timedelta(minutes=20 * back)
        )
        comment_priority_refresh(comment=comment)
    wait = WebDriverWait(browser, 10)

    def keys(text: str) -> None:
        ActionChains(browser).send_keys(text).perform()

    # log in as the moderator
    browser.get(f"{live_server.url}/admin/login/?next=/admin/moderation/reviewqueueitem/")
    browser.find_element(By.NAME, "username").send_keys("alice")
    browser.find_element(By.NAME, "password").send_keys("review-pass-123")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#result_list tr.tm-cursor")))
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert [row.find_element(By.CSS_SELECTOR, "a.tm-review-link").text for row in rows] == [
        "relabel-me",  # an insult at 0.93 first
        "approve-1",
        "approve-2",
    ]
    assert browser.find_elements(By.CSS_SELECTOR, "mark.tm-hl")

    # open the first row, flip "obscene" (key 3), save the labels (l)
    keys("o")
    wait.until(ec.presence_of_element_located((By.ID, "tm-decide-form")))
    assert browser.find_element(By.ID, "id_label_toxic_0").is_selected()  # prefilled: yes
    keys("3")
    assert browser.find_element(By.ID, "id_label_obscene_0").is_selected()
    keys("l")
    wait.until(ec.url_contains(f"/{first.pk}/decide/"))  # on to the next in the queue
    assert (
        "relabeled with your labels: relabel-me"
        in browser.find_element(By.CSS_SELECTOR, ".messagelist").text.lower()
    )

    # back to the queue, select both rows, bulk approve (shift+a)
    keys("u")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#result_list tr.tm-cursor")))
    keys("x")
    keys("j")
    keys("x")
    keys("A")
    confirm = browser.switch_to.alert  # bulk decisions ask first, naming the comments
    assert "approve-1" in confirm.text
    assert "approve-2" in confirm.text
    confirm.accept()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messagelist"), "Approved 2"))
    assert not browser.find_elements(By.CSS_SELECTOR, "#result_list")  # the queue is empty

    # the audit: on the comment's page and in the decisions log
    browser.get(f"{live_server.url}/admin/moderation/comment/{relabel.pk}/change/")
    audit = browser.find_element(By.TAG_NAME, "body").text
    assert "alice" in audit
    assert "Relabeled" in audit
    browser.get(f"{live_server.url}/admin/moderation/review/")
    log = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(log) == 3

    # the export holds exactly those decisions
    out = io.StringIO()
    call_command("export_corrections", stdout=out)
    records = {r["external_id"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert set(records) == {"relabel-me", "approve-1", "approve-2"}
    assert records["relabel-me"]["decision"] == "relabeled"
    assert records["relabel-me"]["labels"] == dict.fromkeys(LABELS, 0) | {
        "toxic": 1,
        "obscene": 1,
        "insult": 1,
    }
    assert {records[k]["decision"] for k in ("approve-1", "approve-2")} == {"approved"}
    assert all(r["moderator"] == "alice" for r in records.values())
    assert Review.objects.filter(comment=first, action="approved").exists()

    # the dashboard, as the moderator sees it, during a raid that starts this hour
    traffic_with_a_raid(platform)
    cache.clear()  # the flag-rate forecast is cached for the hour
    browser.get(f"{live_server.url}/admin/moderation/moderationdashboard/?hours=24")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "svg.tm-chart")))
    assert "alice" in browser.find_element(By.ID, "tm-moderators").text
    assert browser.find_element(By.ID, "tm-anomaly-count").text == "1"
    # the raid hour is also outside the forecast's band
    assert browser.find_elements(By.CSS_SELECTOR, "#tm-forecast circle.tm-band-anomaly")
    assert "outside the forecast band" in browser.find_element(By.ID, "tm-band-anomalies").text
    screenshot("dashboard", height=1900)
