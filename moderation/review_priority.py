"""The review queue's priority: what a label means, how sure the model is, how long the comment
has waited against a target time, and how many users reported it (docs/review.md).

    priority(now) = severity + AGE_WEIGHT * age_hours / TARGET_HOURS
                    + REPORT_WEIGHT * log2(1 + reports) + ESCALATION_BONUS (if escalated)
    severity      = max over labels of LABEL_WEIGHTS[label] * score[label]

The age term grows at the same rate for every comment, so the order of two comments never
changes with time alone. That lets the database store one number per comment, ``stored =
priority(now) - AGE_WEIGHT * hours(now - PRIORITY_EPOCH) / TARGET_HOURS``, index it, and order
the queue by it: ordering by the stored column is ordering by the priority now. The stored
number changes only when scores, reports or the review state change, and is recomputed then.

Pure Python, no database access: scoring, the review service, tests and migrations share it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

#: How much each label weighs: a threat or severe toxicity first, mild rudeness last. A comment's
#: severity is its largest weighted score, so a 0.6 threat (0.60) outranks a 0.55 identity
#: mention (0.44) and a 0.9 swear word (0.45).
LABEL_WEIGHTS: Final[dict[str, float]] = {
    "threat": 1.0,
    "severe_toxic": 1.0,
    "identity_hate": 0.8,
    "insult": 0.6,
    "toxic": 0.5,
    "obscene": 0.5,
}
#: The time within which a flagged comment should be decided, in hours.
TARGET_HOURS: Final = 24.0
#: What waiting TARGET_HOURS adds: a day-old 0.9 insult (0.54 + 0.25) nearly catches a 0.8 threat.
AGE_WEIGHT: Final = 0.25
#: What user reports add, on a log scale: 1 report +0.10, 3 reports +0.20, 7 reports +0.30.
REPORT_WEIGHT: Final = 0.10
#: Escalated comments ask for a senior moderator: they go before fresh ones of the same severity.
ESCALATION_BONUS: Final = 0.20
#: The origin of the stored, time-independent priority.
PRIORITY_EPOCH: Final = datetime(2026, 1, 1, tzinfo=UTC)


def review_severity(scores: Mapping[str, float | None]) -> float:
    """The largest label-weighted score, in [0, 1]; unknown labels and missing scores count 0."""
    return max(
        (
            LABEL_WEIGHTS.get(label, 0.0) * float(score)
            for label, score in scores.items()
            if score is not None
        ),
        default=0.0,
    )


def _hours_since_epoch(moment: datetime) -> float:
    return (moment - PRIORITY_EPOCH).total_seconds() / 3600.0


def review_priority_stored(
    *,
    scores: Mapping[str, float | None],
    created_at: datetime,
    report_count: int = 0,
    escalated: bool = False,
) -> float:
    """The number the `review_priority` column holds (see the module docstring)."""
    return (
        review_severity(scores)
        + REPORT_WEIGHT * math.log2(1 + max(0, report_count))
        + (ESCALATION_BONUS if escalated else 0.0)
        - AGE_WEIGHT * _hours_since_epoch(created_at) / TARGET_HOURS
    )


def review_priority_now(stored: float, *, now: datetime) -> float:
    """The priority a moderator is shown at `now`, from the stored column."""
    return stored + AGE_WEIGHT * _hours_since_epoch(now) / TARGET_HOURS
