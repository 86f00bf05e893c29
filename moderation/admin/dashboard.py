"""The admin's dashboard: traffic, flag rate, per-label counts, queue health, moderators,
anomalous hours. Charts are inline SVG drawn here: no JavaScript library, no CDN."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from classifier.labels import LABELS
from moderation.admin.base import SinglePageAdmin
from moderation.flag_rate_forecast import MIN_HOURS, FlagRateForecast
from moderation.models import ModerationDashboard, Platform
from moderation.selectors import dashboard as numbers

WINDOWS = {"24": 24, "48": 48, "168": 168}
LABEL_COLOURS = {
    "toxic": "#dc2626",
    "severe_toxic": "#7c2d12",
    "obscene": "#d97706",
    "threat": "#7c3aed",
    "insult": "#2563eb",
    "identity_hate": "#059669",
}
_W, _H, _PAD_L, _PAD_B, _PAD_T = 960, 200, 44, 22, 10


def _x(index: int, count: int) -> float:
    return round(_PAD_L + (_W - _PAD_L - 8) * (index + 0.5) / max(count, 1), 1)


def _y(value: float, top: float) -> float:
    return round(_H - _PAD_B - (_H - _PAD_B - _PAD_T) * (value / top if top else 0.0), 1)


def _axes(hours: list[numbers.HourStats], top: float, unit: str) -> str:
    step = max(1, len(hours) // 12)
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#6b7280">{}</text>',
        (
            (_x(i, len(hours)), _H - 6, hour.hour.strftime("%d %H:00"))
            for i, hour in enumerate(hours)
            if i % step == 0
        ),
    )
    return format_html(
        '<line x1="{l}" y1="{b}" x2="{w}" y2="{b}" stroke="#9ca3af"/>'
        '<text x="4" y="{t}" font-size="10" fill="#6b7280">{top}{unit}</text>'
        '<text x="4" y="{b}" font-size="10" fill="#6b7280">0</text>{ticks}',
        l=_PAD_L,
        b=_H - _PAD_B,
        w=_W - 8,
        t=_PAD_T + 8,
        top=f"{top:g}",
        unit=unit,
        ticks=ticks,
    )


def traffic_chart(hours: list[numbers.HourStats]) -> SafeString:
    """Bars: comments per hour (grey) with the flagged ones (red); anomalous hours outlined."""
    top = max((hour.total for hour in hours), default=0) or 1
    width = round((_W - _PAD_L - 8) / max(len(hours), 1) * 0.8, 1)
    bars = []
    for i, hour in enumerate(hours):
        x = round(_x(i, len(hours)) - width / 2, 1)
        rate = hour.flag_rate
        title = (
            f"{hour.hour:%Y-%m-%d %H:00} UTC: {hour.total} comments, {hour.flagged} flagged"
            + (f" ({rate:.0%})" if rate is not None else "")
            + (f"; usual {hour.baseline:.0%}, anomaly above {hour.limit:.0%}" if hour.limit else "")
            + (" — ANOMALY" if hour.anomalous else "")
        )
        bars.append(
            format_html(
                '<g><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" '
                'fill="#d1d5db"/><rect x="{}" y="{}" width="{}" height="{}" '
                'fill="#dc2626"/>{}</g>',
                title,
                x,
                _y(hour.total, top),
                width,
                round(_y(0, top) - _y(hour.total, top), 1),
                x,
                _y(hour.flagged, top),
                width,
                round(_y(0, top) - _y(hour.flagged, top), 1),
                format_html(
                    '<rect class="tm-anomaly" x="{}" y="{}" width="{}" height="{}" '
                    'fill="none" stroke="#f59e0b" stroke-width="2"/>',
                    round(x - 1, 1),
                    _PAD_T,
                    round(width + 2, 1),
                    _H - _PAD_B - _PAD_T,
                )
                if hour.anomalous
                else "",
            )
        )
    return format_html(
        '<svg class="tm-chart" viewBox="0 0 {} {}" role="img" aria-label="comments per hour">'
        "{}{}</svg>",
        _W,
        _H,
        _axes(hours, top, ""),
        mark_safe("".join(bars)),  # noqa: S308 (built with format_html)
    )


def labels_chart(hours: list[numbers.HourStats]) -> SafeString:
    """Lines: the flag rate per label per hour (comments flagged for the label over scored)."""
    rates = {
        label: [hour.per_label[label] / hour.scored if hour.scored else 0.0 for hour in hours]
        for label in LABELS
    }
    top = max((max(values, default=0.0) for values in rates.values()), default=0.0) or 1.0
    top = min(1.0, round(top + 0.05, 1))
    lines = []
    for label in LABELS:
        points = " ".join(
            f"{_x(i, len(hours)):.1f},{_y(rate, top):.1f}" for i, rate in enumerate(rates[label])
        )
        lines.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2">'
                "<title>{}</title></polyline>",
                points,
                LABEL_COLOURS[label],
                label,
            )
        )
    return format_html(
        '<svg class="tm-chart" viewBox="0 0 {} {}" role="img" aria-label="flag rate per label">'
        "{}{}</svg>",
        _W,
        _H,
        _axes(hours, top * 100, " %"),
        mark_safe("".join(lines)),  # noqa: S308 (built with format_html)
    )


def forecast_chart(hours: list[numbers.HourStats], forecast: FlagRateForecast | None) -> SafeString:
    """The flag rate of the window's hours (dark line) with the model's one-step band, then the
    seven-day forecast (dashed mean, shaded band); hours outside their band are red dots."""
    if forecast is None:
        return format_html(
            '<p class="tm-muted" id="tm-forecast-none">Not enough history for a forecast: it '
            "needs {} hours with at least {} scored comments each.</p>",
            MIN_HOURS,
            numbers.ANOMALY_MIN_COMMENTS,
        )
    past = len(hours)
    fitted_lower = forecast.fitted.lower[-past:]
    fitted_upper = forecast.fitted.upper[-past:]
    total = past + len(forecast.forecast.hours)
    lower = fitted_lower + forecast.forecast.lower
    upper = fitted_upper + forecast.forecast.upper
    rates = [
        hour.flag_rate if hour.scored >= numbers.ANOMALY_MIN_COMMENTS else None for hour in hours
    ]
    top = max([*upper, *(rate for rate in rates if rate is not None)], default=0.0) or 1.0
    top = min(1.0, round(top + 0.05, 1))
    band = " ".join(
        [f"{_x(i, total)},{_y(value, top)}" for i, value in enumerate(upper)]
        + [f"{_x(i, total)},{_y(value, top)}" for i, value in reversed(list(enumerate(lower)))]
    )
    mean = " ".join(
        f"{_x(past + i, total)},{_y(value, top)}" for i, value in enumerate(forecast.forecast.mean)
    )
    actual = " ".join(
        f"{_x(i, total)},{_y(rate, top)}" for i, rate in enumerate(rates) if rate is not None
    )
    outside = set(forecast.outside)
    dots = format_html_join(
        "",
        '<circle class="tm-band-anomaly" cx="{}" cy="{}" r="4" fill="#dc2626">'
        "<title>{} UTC: {} flagged, outside the band {} to {}</title></circle>",
        (
            (
                _x(i, total),
                _y(rate, top),
                f"{hour.hour:%Y-%m-%d %H:00}",
                f"{rate:.0%}",
                f"{fitted_lower[i]:.0%}",
                f"{fitted_upper[i]:.0%}",
            )
            for i, (hour, rate) in enumerate(zip(hours, rates, strict=True))
            if rate is not None and hour.hour in outside
        ),
    )
    now_x = _x(past, total)
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#6b7280">{}</text>',
        (
            (_x(i, total), _H - 6, moment.strftime("%d %b"))
            for i, moment in enumerate(
                [hour.hour for hour in hours] + list(forecast.forecast.hours)
            )
            if moment.hour == 0
        ),
    )
    return format_html(
        '<svg class="tm-chart" id="tm-forecast" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="flag rate forecast">'
        '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="#9ca3af"/>'
        '<text x="4" y="{t}" font-size="10" fill="#6b7280">{top} %</text>'
        '<text x="4" y="{b}" font-size="10" fill="#6b7280">0</text>{ticks}'
        '<polygon points="{band}" fill="#93c5fd" fill-opacity="0.45" stroke="none">'
        "<title>95 % prediction band</title></polygon>"
        '<line x1="{nx}" y1="{t0}" x2="{nx}" y2="{b}" stroke="#6b7280" stroke-dasharray="3 3"/>'
        '<text x="{nx}" y="{t}" font-size="10" fill="#6b7280" dx="4">now</text>'
        '<polyline points="{mean}" fill="none" stroke="#1d4ed8" stroke-width="2" '
        'stroke-dasharray="5 4"><title>forecast</title></polyline>'
        '<polyline points="{actual}" fill="none" stroke="#111827" stroke-width="1.5">'
        "<title>flag rate</title></polyline>{dots}</svg>",
        w=_W,
        h=_H,
        l=_PAD_L,
        r=_W - 8,
        b=_H - _PAD_B,
        t=_PAD_T + 8,
        t0=_PAD_T,
        top=f"{top * 100:g}",
        ticks=ticks,
        band=band,
        nx=now_x,
        mean=mean,
        actual=actual,
        dots=dots,
    )


def queue_age_chart(ages: list[numbers.QueueAge]) -> SafeString:
    """Horizontal bars: how long the comments awaiting review have waited."""
    top = max((age.count for age in ages), default=0) or 1
    rows = format_html_join(
        "",
        '<g><text x="0" y="{ty}" font-size="11" fill="#374151">{label}</text>'
        '<rect x="90" y="{y}" width="{w}" height="14" fill="#f59e0b"/>'
        '<text x="{cx}" y="{ty}" font-size="11" fill="#374151">{count}</text></g>',
        (
            {
                "ty": 12 + 20 * i,
                "y": 2 + 20 * i,
                "label": age.label,
                "w": round(360 * age.count / top, 1),
                "cx": round(96 + 360 * age.count / top, 1),
                "count": age.count,
            }
            for i, age in enumerate(ages)
        ),
    )
    return format_html(
        '<svg class="tm-chart tm-chart-small" id="tm-queue-ages" viewBox="0 0 500 {}" '
        'role="img" aria-label="queue age">{}</svg>',
        20 * len(ages) + 4,
        rows,
    )


def _queue_url(state: str, platform_id: int | None) -> str:
    """The review queue's view whose count a dashboard card shows (same state and platform)."""
    query = {"state": state}
    if platform_id is not None:
        query["platform__id__exact"] = str(platform_id)
    return f"{reverse('admin:moderation_reviewqueueitem_changelist')}?{urlencode(query)}"


@admin.register(ModerationDashboard)
class DashboardAdmin(SinglePageAdmin):
    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        if not self.has_view_permission(request):
            raise PermissionDenied
        window = WINDOWS.get(request.GET.get("hours", ""), 24)
        platforms = list(Platform.objects.order_by("name").values_list("pk", "name"))
        chosen = request.GET.get("platform", "")
        platform_id = int(chosen) if chosen.isdigit() and int(chosen) in dict(platforms) else None
        now = timezone.now()
        hours = numbers.dashboard_hours(hours=window, now=now, platform_id=platform_id)
        forecast = numbers.dashboard_flag_rate_forecast(now=now, platform_id=platform_id)
        queue = numbers.dashboard_queue_health(platform_id=platform_id)
        total = sum(hour.total for hour in hours)
        scored = sum(hour.scored for hour in hours)
        flagged = sum(hour.flagged for hour in hours)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Moderation dashboard",
            "window": window,
            "windows": WINDOWS,
            "platforms": platforms,
            "platform_id": platform_id,
            "total": total,
            "per_hour": total / window,
            "flag_rate": flagged / scored if scored else None,
            "queue": queue,
            "queue_urls": {
                state: _queue_url(state, platform_id)
                for state in ("awaiting", "escalated", "auto_removed")
            },
            "oldest_age": timesince(queue.oldest, now) if queue.oldest else None,
            "moderators": numbers.dashboard_moderators(
                since=now - timedelta(hours=window), platform_id=platform_id
            ),
            "anomalies": [hour for hour in hours if hour.anomalous],
            "traffic_svg": traffic_chart(hours),
            "labels_svg": labels_chart(hours),
            "forecast": forecast,
            "forecast_svg": forecast_chart(hours, forecast),
            "band_anomalies": [
                hour
                for hour in hours
                if forecast is not None and hour.hour in set(forecast.outside)
            ],
            "queue_ages_svg": queue_age_chart(
                numbers.dashboard_queue_ages(now=now, platform_id=platform_id)
            ),
            "legend": [(label, LABEL_COLOURS[label]) for label in LABELS],
            "label_totals": [
                (label, sum(hour.per_label[label] for hour in hours), LABEL_COLOURS[label])
                for label in LABELS
            ],
            "rule": {
                "baseline_hours": numbers.BASELINE_HOURS,
                "min_comments": numbers.ANOMALY_MIN_COMMENTS,
                "mads": numbers.ANOMALY_MADS,
                "min_excess": numbers.ANOMALY_MIN_EXCESS,
                "min_hours": numbers.BASELINE_MIN_HOURS,
            },
        }
        return TemplateResponse(request, "admin/moderation/dashboard.html", context)
