"""The corrections export (`toxmod-corrections/1`, docs/corrections-format.md), streamed.

One record per reviewed comment: its latest final decision (approve, remove, relabel), built
from the append-only `Review` records. Rows are read with `iterator(chunk_size=...)` and
written one at a time, so memory stays flat however many there are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Final

from django.db.models import Exists, OuterRef, Q, QuerySet

from classifier.labels import LABELS
from moderation.models import FINAL_DECISIONS, Review

CORRECTIONS_FORMAT: Final = "toxmod-corrections/1"
EXPORT_FORMATS: Final = ("jsonl", "csv")
CHUNK_SIZE: Final = 2000

CSV_COLUMNS: Final = [
    "format",
    "comment_id",
    "platform",
    "external_id",
    "text",
    "decision",
    "decided_at",
    "moderator",
    "model_version",
    *[f"label_{label}" for label in LABELS],
    *[f"score_{label}" for label in LABELS],
    "reason",
]


def corrections_reviews(
    *,
    since: datetime | None = None,
    platform: str | None = None,
    review_ids: Iterable[int] | None = None,
) -> QuerySet[Review]:
    """The final review behind each exported record, oldest first.

    `since` keeps decisions made at or after it; `platform` is a platform name; `review_ids`
    keeps the comments of those reviews (an admin selection). A comment whose latest final
    decision falls outside `since` is not exported by an older one either.
    """
    later = Q(created_at__gt=OuterRef("created_at")) | Q(
        created_at=OuterRef("created_at"), pk__gt=OuterRef("pk")
    )
    later_final = Review.objects.filter(
        later, comment_id=OuterRef("comment_id"), action__in=FINAL_DECISIONS
    )
    reviews = Review.objects.filter(
        action__in=FINAL_DECISIONS, comment__erased_at__isnull=True
    ).filter(~Exists(later_final))
    if since is not None:
        reviews = reviews.filter(created_at__gte=since)
    if platform is not None:
        reviews = reviews.filter(comment__platform__name=platform)
    if review_ids is not None:
        selected = Review.objects.filter(pk__in=list(review_ids)).values("comment_id")
        reviews = reviews.filter(comment_id__in=selected)
    return (
        reviews.select_related("comment__platform")
        .only(
            "action",
            "created_at",
            "moderator_username",
            "reason",
            "labels_before",
            "labels_after",
            "model_version",
            "comment__public_id",
            "comment__external_id",
            "comment__text",
            "comment__platform__name",
        )
        .order_by("created_at", "pk")
    )


def correction_record(review: Review) -> dict[str, Any]:
    """One export record, keys in the documented order."""
    comment = review.comment
    return {
        "format": CORRECTIONS_FORMAT,
        "comment_id": str(comment.public_id),
        "platform": comment.platform.name,
        "external_id": comment.external_id,
        "text": comment.text,
        "decision": review.action,
        "decided_at": review.created_at.isoformat(),
        "moderator": review.moderator_username,
        "reason": review.reason,
        "labels": {label: review.labels_after.get(label) for label in LABELS},
        "model_version": review.model_version,
        "model_scores": {label: review.labels_before.get(label) for label in LABELS},
    }


def corrections_records(reviews: QuerySet[Review]) -> Iterator[dict[str, Any]]:
    """Records for these reviews, read CHUNK_SIZE rows at a time."""
    for review in reviews.iterator(chunk_size=CHUNK_SIZE):
        yield correction_record(review)


def corrections_jsonl_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """JSON Lines: one compact UTF-8 object per line."""
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


#: A cell starting with one of these is a formula to a spreadsheet (`=HYPERLINK(...)`,
#: `+cmd|...`, `@SUM(...)`; tab and CR are read past by some): OWASP's CSV injection list.
CSV_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    return "" if value is None else value


def csv_text_cell(value: Any) -> Any:
    """A text cell that no spreadsheet evaluates: one starting like a formula gets a leading
    `'` (what spreadsheets show as a text marker), as OWASP recommends. Numbers pass as they
    are. A program reading the CSV back removes a `'` that precedes one of
    CSV_FORMULA_STARTS (the JSON Lines export has the texts exactly)."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return _csv_cell(value)


def corrections_csv_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV with a header; QUOTE_MINIMAL, newlines inside `text` kept inside quotes, and every
    text cell that starts like a spreadsheet formula escaped (csv_text_cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for record in records:
        writer.writerow(
            [
                *[
                    csv_text_cell(record[column])
                    for column in (
                        "format",
                        "comment_id",
                        "platform",
                        "external_id",
                        "text",
                        "decision",
                        "decided_at",
                        "moderator",
                        "model_version",
                    )
                ],
                *[_csv_cell(record["labels"][label]) for label in LABELS],
                *[_csv_cell(record["model_scores"][label]) for label in LABELS],
                csv_text_cell(record.get("reason", "")),  # absent in records made before reasons
            ]
        )
        yield flush()


def corrections_lines(records: Iterable[dict[str, Any]], *, export_format: str) -> Iterator[str]:
    """The export in `export_format` ("jsonl" or "csv"), as text chunks to write in order."""
    if export_format == "csv":
        return corrections_csv_lines(records)
    if export_format == "jsonl":
        return corrections_jsonl_lines(records)
    raise ValueError(f"Unknown export format {export_format!r}; choose from {EXPORT_FORMATS}.")
