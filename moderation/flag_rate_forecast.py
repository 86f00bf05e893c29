"""A forecast of the hourly flag rate with a prediction band: an exponential-smoothing
state-space model (statsmodels' ETSModel: additive error, additive daily season) fitted on the
past hours. Hours whose rate falls outside the band of the model's one-step-ahead prediction
are anomalies (docs/review.md, "The forecast").

Pure computation on a list of rates: no database. statsmodels and pandas are imported when a
forecast is made, so importing this module costs nothing.
"""

from __future__ import annotations

import statistics
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

#: Fewer usable hours than this and no forecast is made (two days: two daily seasons).
MIN_HOURS: Final = 48
#: The daily rhythm of traffic: the season, in hours.
SEASON_HOURS: Final = 24
#: The band is the (1 - BAND_ALPHA) prediction interval.
BAND_ALPHA: Final = 0.05
#: The band is at least this far either side of the mean: as the spike rule's 0.10 floor, it
#: keeps a steady platform's small wobbles (a few comments more or less) from being anomalies.
MIN_HALF_WIDTH: Final = 0.10
#: Hours further than this many robust standard deviations from the median are replaced by
#: the median before fitting, so a past raid does not widen every band after it.
FIT_CLIP_MADS: Final = 5.0


@dataclass(frozen=True)
class RateBand:
    hours: list[datetime]
    mean: list[float]
    lower: list[float]
    upper: list[float]


@dataclass(frozen=True)
class FlagRateForecast:
    #: One-step-ahead predictions for the past hours given (the band anomalies are judged by).
    fitted: RateBand
    #: The next `horizon` hours.
    forecast: RateBand
    #: The past hours whose rate fell outside their band.
    outside: list[datetime]


def _clip_for_fit(rates: list[float]) -> list[float]:
    median = statistics.median(rates)
    mad = statistics.median(abs(rate - median) for rate in rates)
    spread = max(FIT_CLIP_MADS * 1.4826 * mad, 0.05)
    return [rate if abs(rate - median) <= spread else median for rate in rates]


def _band(frame: object, hours: list[datetime]) -> RateBand:
    def column(name: str) -> list[float]:
        return [float(value) for value in frame[name].tolist()]  # type: ignore[index]

    def unit(value: float) -> float:
        return min(1.0, max(0.0, value))

    mean = column("mean")
    lower = [min(low, m - MIN_HALF_WIDTH) for low, m in zip(column("pi_lower"), mean, strict=True)]
    upper = [max(up, m + MIN_HALF_WIDTH) for up, m in zip(column("pi_upper"), mean, strict=True)]
    return RateBand(
        hours=hours,
        mean=[unit(value) for value in mean],
        lower=[unit(value) for value in lower],
        upper=[unit(value) for value in upper],
    )


def flag_rate_forecast(
    *, hours: Sequence[datetime], rates: Sequence[float | None], horizon: int = 168
) -> FlagRateForecast | None:
    """Fit on `rates` (one per consecutive hour in `hours`, None for an hour with too few
    comments to count) and forecast the `horizon` hours after the last one. Returns None with
    fewer than MIN_HOURS usable hours."""
    usable = [rate for rate in rates if rate is not None]
    if len(usable) < MIN_HOURS or len(hours) != len(rates):
        return None
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    median = statistics.median(usable)
    filled = _clip_for_fit([median if rate is None else float(rate) for rate in rates])
    index = pd.date_range(start=pd.Timestamp(hours[0]), periods=len(hours), freq="h")
    series = pd.Series(filled, index=index)
    seasonal = len(hours) >= 2 * SEASON_HOURS
    with warnings.catch_warnings():
        # Convergence chatter on flat series is expected and harmless here.
        warnings.simplefilter("ignore")
        model = ETSModel(
            series,
            error="add",
            trend=None,
            seasonal="add" if seasonal else None,
            seasonal_periods=SEASON_HOURS if seasonal else None,
        )
        result = model.fit(disp=False, maxiter=200)
        past = result.get_prediction(start=0, end=len(hours) - 1).summary_frame(alpha=BAND_ALPHA)
        ahead = result.get_prediction(start=len(hours), end=len(hours) + horizon - 1)
        future = ahead.summary_frame(alpha=BAND_ALPHA)
    fitted = _band(past, list(hours))
    future_hours = [hours[-1] + timedelta(hours=i + 1) for i in range(horizon)]
    outside = [
        hour
        for hour, rate, low, high in zip(hours, rates, fitted.lower, fitted.upper, strict=True)
        if rate is not None and not low <= rate <= high
    ]
    return FlagRateForecast(fitted=fitted, forecast=_band(future, future_hours), outside=outside)
