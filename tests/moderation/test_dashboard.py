"""The dashboard: traffic and flag rates per hour, queue health, moderators, anomalous hours."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from moderation.models import Comment, CommentStatus
from moderation.selectors.dashboard import dashboard_hours
from moderation.services.reviews import comment_review
from tests.factories import make_flagged, make_moderator

DASHBOARD = "/admin/moderation/moderationdashboard/"


def add_hour(platform: Any, hour: Any, *, total: int, flagged: int, label: str = "insult") -> None:
    """`total` scored comments created during `hour`, `flagged` of them flagged for `label`."""
    rows = [
        Comment(
            platform=platform,
            external_id=f"{hour:%m%d%H}-{i}",
            text="t",
            status=CommentStatus.FLAGGED if i < flagged else CommentStatus.ALLOWED,
            flagged_labels=[label] if i < flagged else [],
            max_score=0.9 if i < flagged else 0.1,
        )
        for i in range(total)
    ]
    created = Comment.objects.bulk_create(rows)
    Comment.objects.filter(pk__in=[c.pk for c in created]).update(
        created_at=hour + timedelta(minutes=5)
    )


@pytest.fixture(autouse=True)
def fresh_forecasts() -> Any:
    """The forecast is cached for the hour; each test starts from its own data."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def now() -> Any:
    return timezone.now().replace(minute=30, second=0, microsecond=0)


def test_a_pile_on_hour_far_above_the_usual_rate_is_flagged(platform: Any, now: Any) -> None:
    this_hour = now.replace(minute=0)
    for back in range(1, 25):  # a normal day: 10 % flagged, with a little noise
        add_hour(platform, this_hour - timedelta(hours=back), total=30, flagged=3 + back % 2)
    add_hour(platform, this_hour, total=40, flagged=24, label="identity_hate")  # 60 %: a raid

    hours = dashboard_hours(hours=3, now=now)

    assert [h.hour for h in hours] == [this_hour - timedelta(hours=2 - i) for i in range(3)]
    assert [h.anomalous for h in hours] == [False, False, True]
    raid = hours[-1]
    assert raid.flag_rate == pytest.approx(0.6)
    assert raid.baseline == pytest.approx(0.1, abs=0.04)
    assert raid.per_label["identity_hate"] == 24
    assert raid.per_label["insult"] == 0


def test_no_hour_is_judged_without_enough_history(platform: Any, now: Any) -> None:
    add_hour(platform, now.replace(minute=0), total=40, flagged=30)

    assert not any(h.anomalous for h in dashboard_hours(hours=24, now=now))


def test_quiet_hours_are_not_anomalies_however_high_their_rate(platform: Any, now: Any) -> None:
    this_hour = now.replace(minute=0)
    for back in range(1, 25):
        add_hour(platform, this_hour - timedelta(hours=back), total=30, flagged=3)
    add_hour(platform, this_hour, total=5, flagged=5)  # 100 %, but only five comments

    assert not dashboard_hours(hours=1, now=now)[0].anomalous


def test_every_queue_count_matches_the_queue_view_it_links_to(
    platform: Any, platform_factory: Any, db: None
) -> None:
    alice: User = make_moderator("alice")
    other = platform_factory()
    for i in range(3):
        make_flagged(platform, external_id=f"wait-{i}")
    make_flagged(other, external_id="elsewhere")
    make_flagged(platform, external_id="gone", status="auto_removed")
    escalated = make_flagged(platform, external_id="up")
    comment_review(comment=escalated, moderator=alice, action="escalated")
    decided = make_flagged(platform, external_id="done")
    comment_review(comment=decided, moderator=alice, action="approved")
    client = Client()
    client.force_login(alice)

    html = client.get(DASHBOARD, {"platform": str(platform.pk)}).content.decode()

    for card in ("tm-queue-size", "tm-queue-escalated", "tm-queue-auto-removed"):
        count = html.split(f'<b id="{card}">')[1].split("</b>")[0]
        link = html.split(f'<b id="{card}">')[0].rsplit('href="', 1)[1].split('"')[0]
        queue = client.get(link.replace("&amp;", "&")).content.decode()
        listed = queue.split('<span id="tm-result-count">')[1].split("</span>")[0]
        assert listed == count, card
    assert html.count('<b id="tm-queue-size">3</b>') == 1


def test_the_page_shows_traffic_queue_moderators_and_the_rule(
    platform: Any, db: None, django_assert_num_queries: Any
) -> None:
    alice: User = make_moderator("alice")
    waiting = make_flagged(platform, external_id="waiting")
    Comment.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(hours=5))
    done = make_flagged(platform, external_id="done")
    comment_review(comment=done, moderator=alice, action="removed")
    client = Client()
    client.force_login(alice)

    # session, user, permissions (user, group), platforms, the window's hours, the queue
    # counts, the moderators, the forecast's history (then cached for the hour), queue ages
    with django_assert_num_queries(10):
        page = client.get(DASHBOARD, {"hours": "48", "platform": str(platform.pk)})

    html = page.content.decode()
    assert page.status_code == 200
    assert '<b id="tm-queue-size">1</b>' in html
    assert "5\xa0hours" in html  # the oldest queued comment's age
    assert '<svg class="tm-chart"' in html
    assert "<th>alice</th><td>1</td>" in html
    assert "Anomaly rule" in html
    assert 'id="tm-forecast-none"' in html  # two comments are no history to forecast from
    assert 'id="tm-queue-ages"' in html
    assert client.get(DASHBOARD, {"hours": "junk", "platform": "x"}).status_code == 200


def test_the_forecast_has_a_band_and_marks_an_hour_outside_it_as_an_anomaly(
    platform: Any, now: Any, django_assert_num_queries: Any
) -> None:
    from moderation.selectors.dashboard import dashboard_flag_rate_forecast

    this_hour = now.replace(minute=0)
    for back in range(1, 24 * 4):  # four ordinary days: 10 % flagged, a little daily rhythm
        add_hour(platform, this_hour - timedelta(hours=back), total=30, flagged=3 + back % 24 // 12)
    add_hour(platform, this_hour, total=40, flagged=26, label="identity_hate")  # a raid

    forecast = dashboard_flag_rate_forecast(now=now, platform_id=platform.pk)
    with django_assert_num_queries(0):  # cached for the hour
        again = dashboard_flag_rate_forecast(now=now, platform_id=platform.pk)

    assert forecast is not None
    assert again is not None
    assert len(forecast.forecast.hours) == 168
    assert forecast.forecast.hours[0] == this_hour + timedelta(hours=1)
    assert all(
        low <= mean <= high
        for low, mean, high in zip(
            forecast.forecast.lower, forecast.forecast.mean, forecast.forecast.upper, strict=True
        )
    )
    assert 0.05 < forecast.forecast.mean[0] < 0.2  # the usual 10 to 13 %, not the raid's 65 %
    assert this_hour in forecast.outside
    assert this_hour - timedelta(hours=5) not in forecast.outside


def test_without_two_days_of_history_there_is_no_forecast(platform: Any, now: Any) -> None:
    from moderation.selectors.dashboard import dashboard_flag_rate_forecast

    for back in range(10):
        add_hour(platform, now.replace(minute=0) - timedelta(hours=back), total=30, flagged=3)

    assert dashboard_flag_rate_forecast(now=now, platform_id=platform.pk) is None
