"""Reading the dashboard's numbers: traffic per hour, flag rates, the queue, moderators.

The anomaly rule (docs/review.md): an hour is anomalous when at least ANOMALY_MIN_COMMENTS of
its comments were scored and its flag rate exceeds the median hourly rate of the preceding
BASELINE_HOURS by more than max(ANOMALY_MADS robust standard deviations, ANOMALY_MIN_EXCESS),
where the robust standard deviation is 1.4826 times the median absolute deviation. Hours with
fewer scored comments do not count, in the baseline or as anomalies, and an hour is judged only
when at least BASELINE_MIN_HOURS such hours precede it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Min, Q, TextField
from django.db.models.functions import Cast, TruncHour

from classifier.labels import LABELS
from moderation.flag_rate_forecast import FlagRateForecast, flag_rate_forecast
from moderation.models import Comment, CommentStatus, Decision, Review
from moderation.selectors.review_queue import (
    REVIEWABLE_STATUSES,
    QueueState,
    review_queue_filter_state,
    review_queue_state_q,
)

BASELINE_HOURS = 7 * 24
BASELINE_MIN_HOURS = 12
ANOMALY_MIN_COMMENTS = 20
ANOMALY_MADS = 3.0
ANOMALY_MIN_EXCESS = 0.10


@dataclass
class HourStats:
    hour: datetime
    total: int = 0
    scored: int = 0
    flagged: int = 0
    per_label: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    #: The hour's usual flag rate (median of the baseline) and the bar it had to clear.
    baseline: float | None = None
    limit: float | None = None
    anomalous: bool = False

    @property
    def flag_rate(self) -> float | None:
        return self.flagged / self.scored if self.scored else None


@dataclass(frozen=True)
class QueueHealth:
    """The counts behind the queue's own views, so each number matches the list it links to."""

    #: Flagged, nobody decided yet: the queue's default view.
    size: int
    #: When the oldest of those arrived.
    oldest: datetime | None
    escalated: int = 0
    #: Removed by the model, not yet reviewed.
    auto_removed: int = 0


@dataclass(frozen=True)
class ModeratorActivity:
    moderator: str
    total: int
    per_action: dict[str, int]


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def dashboard_hours(
    *, hours: int, now: datetime, platform_id: int | None = None
) -> list[HourStats]:
    """One HourStats per hour of the last `hours` (oldest first, the current hour last), each
    judged against the BASELINE_HOURS before it. One query."""
    last = _floor_hour(now)
    first = last - timedelta(hours=hours - 1)
    since = first - timedelta(hours=BASELINE_HOURS)
    comments = Comment.objects.filter(created_at__gte=since)
    if platform_id is not None:
        comments = comments.filter(platform_id=platform_id)
    flagged = Q(status__in=REVIEWABLE_STATUSES)
    rows = (
        comments.annotate(
            hour=TruncHour("created_at"), flagged_text=Cast("flagged_labels", TextField())
        )
        .values("hour")
        .annotate(
            total=Count("pk"),
            scored=Count("pk", filter=~Q(status=CommentStatus.PENDING)),
            flagged=Count("pk", filter=flagged),
            **{
                f"label_{label}": Count(
                    "pk", filter=flagged & Q(flagged_text__contains=f'"{label}"')
                )
                for label in LABELS
            },
        )
        .order_by("hour")
    )
    by_hour: dict[datetime, HourStats] = {}
    for row in rows:
        by_hour[row["hour"]] = HourStats(
            hour=row["hour"],
            total=row["total"],
            scored=row["scored"],
            flagged=row["flagged"],
            per_label={label: row[f"label_{label}"] for label in LABELS},
        )
    all_hours = [since + timedelta(hours=i) for i in range(BASELINE_HOURS + hours)]
    series = [by_hour.get(hour) or HourStats(hour=hour) for hour in all_hours]
    for index in range(BASELINE_HOURS, len(series)):
        _judge(series[index], series[index - BASELINE_HOURS : index])
    return series[BASELINE_HOURS:]


def _judge(hour: HourStats, history: list[HourStats]) -> None:
    rates = [h.flag_rate for h in history if h.scored >= ANOMALY_MIN_COMMENTS]
    usable = [rate for rate in rates if rate is not None]
    if len(usable) < BASELINE_MIN_HOURS:
        return
    median = statistics.median(usable)
    mad = statistics.median(abs(rate - median) for rate in usable)
    hour.baseline = median
    hour.limit = median + max(ANOMALY_MADS * 1.4826 * mad, ANOMALY_MIN_EXCESS)
    rate = hour.flag_rate
    hour.anomalous = hour.scored >= ANOMALY_MIN_COMMENTS and rate is not None and rate > hour.limit


def dashboard_queue_health(*, platform_id: int | None = None) -> QueueHealth:
    """How many comments each of the queue's views lists (awaiting review, escalated,
    auto-removed and unreviewed), with the same filters, and when the oldest awaiting one
    arrived. One query."""
    reviewable = Comment.objects.filter(status__in=REVIEWABLE_STATUSES)
    if platform_id is not None:
        reviewable = reviewable.filter(platform_id=platform_id)
    awaiting = review_queue_state_q(QueueState.AWAITING)
    numbers = review_queue_filter_state(reviewable, QueueState.OPEN).aggregate(
        size=Count("pk", filter=awaiting),
        oldest=Min("created_at", filter=awaiting),
        escalated=Count("pk", filter=review_queue_state_q(QueueState.ESCALATED)),
        auto_removed=Count("pk", filter=review_queue_state_q(QueueState.AUTO_REMOVED)),
    )
    return QueueHealth(
        size=numbers["size"],
        oldest=numbers["oldest"],
        escalated=numbers["escalated"],
        auto_removed=numbers["auto_removed"],
    )


def dashboard_moderators(
    *, since: datetime, platform_id: int | None = None
) -> list[ModeratorActivity]:
    """Decisions per moderator since `since`, busiest first."""
    reviews = Review.objects.filter(created_at__gte=since)
    if platform_id is not None:
        reviews = reviews.filter(comment__platform_id=platform_id)
    rows = (
        reviews.values("moderator_username")
        .annotate(
            total=Count("pk"),
            **{action: Count("pk", filter=Q(action=action)) for action in Decision.values},
        )
        .order_by("-total", "moderator_username")
    )
    return [
        ModeratorActivity(
            moderator=row["moderator_username"],
            total=row["total"],
            per_action={action: row[action] for action in Decision.values},
        )
        for row in rows
    ]


#: Hours of history the flag-rate forecast is fitted on (two weeks).
FORECAST_HISTORY_HOURS = 14 * 24
#: How far ahead it forecasts (seven days).
FORECAST_HORIZON_HOURS = 7 * 24


def dashboard_flag_rate_forecast(
    *, now: datetime, platform_id: int | None = None
) -> FlagRateForecast | None:
    """The flag-rate forecast for the next FORECAST_HORIZON_HOURS, fitted on the last
    FORECAST_HISTORY_HOURS (hours with fewer than ANOMALY_MIN_COMMENTS scored comments do not
    count). Cached for the hour, per platform: a fit takes about a second. None without enough
    history."""
    last = _floor_hour(now)
    key = f"toxmod:flag-forecast:{platform_id or 'all'}:{last:%Y%m%d%H}"
    cached = cache.get(key)
    if cached is not None:
        return cached if isinstance(cached, FlagRateForecast) else None
    series = dashboard_hours(hours=FORECAST_HISTORY_HOURS, now=now, platform_id=platform_id)
    forecast = flag_rate_forecast(
        hours=[hour.hour for hour in series],
        rates=[hour.flag_rate if hour.scored >= ANOMALY_MIN_COMMENTS else None for hour in series],
        horizon=FORECAST_HORIZON_HOURS,
    )
    cache.set(key, forecast if forecast is not None else "none", timeout=3600)
    return forecast


@dataclass(frozen=True)
class QueueAge:
    label: str
    count: int


#: The queue-age chart's buckets: (label, older than hours, up to hours).
QUEUE_AGE_BUCKETS = [
    ("< 1 h", 0, 1),
    ("1 to 4 h", 1, 4),
    ("4 to 24 h", 4, 24),
    ("1 to 3 days", 24, 72),
    ("> 3 days", 72, None),
]


def dashboard_queue_ages(*, now: datetime, platform_id: int | None = None) -> list[QueueAge]:
    """How long the comments awaiting review have waited, in QUEUE_AGE_BUCKETS (one query)."""
    queue = review_queue_filter_state(
        Comment.objects.filter(status__in=REVIEWABLE_STATUSES), QueueState.AWAITING
    )
    if platform_id is not None:
        queue = queue.filter(platform_id=platform_id)
    counts = {}
    for index, (_, older, newer) in enumerate(QUEUE_AGE_BUCKETS):
        within = Q(created_at__lte=now - timedelta(hours=older))
        if newer is not None:
            within &= Q(created_at__gt=now - timedelta(hours=newer))
        counts[f"bucket_{index}"] = Count("pk", filter=within)
    numbers = queue.aggregate(**counts)
    return [
        QueueAge(label=label, count=numbers[f"bucket_{index}"])
        for index, (label, _, _) in enumerate(QUEUE_AGE_BUCKETS)
    ]
