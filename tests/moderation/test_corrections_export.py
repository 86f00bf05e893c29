"""The corrections export: exactly docs/corrections-format.md, streamed, from the audit."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from classifier.labels import LABELS
from moderation.models import Review
from moderation.services.corrections import CSV_COLUMNS
from moderation.services.reviews import comment_review
from tests.factories import make_flagged, make_moderator

JSONL_KEYS = [
    "format",
    "comment_id",
    "platform",
    "external_id",
    "text",
    "decision",
    "decided_at",
    "moderator",
    "reason",
    "labels",
    "model_version",
    "model_scores",
]


@pytest.fixture
def alice(db: None) -> User:
    return make_moderator("alice")


@pytest.fixture
def decided(platform: Any, alice: User) -> dict[str, Any]:
    """One comment per decision kind, plus an escalated one that must not be exported."""
    relabeled = make_flagged(platform, external_id="r", text='line one\nline "two", and a comma')
    approved = make_flagged(platform, external_id="a")
    removed = make_flagged(platform, external_id="x", scores={"toxic": 0.6, "threat": 0.9})
    escalated = make_flagged(platform, external_id="e")
    comment_review(
        comment=relabeled,
        moderator=alice,
        action="relabeled",
        labels=dict.fromkeys(LABELS, 0) | {"toxic": 1, "insult": 1},
    )
    comment_review(comment=approved, moderator=alice, action="approved")
    comment_review(comment=removed, moderator=alice, action="removed")
    comment_review(comment=escalated, moderator=alice, action="escalated")
    return {"relabeled": relabeled, "approved": approved, "removed": removed}


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_corrections", *args, stdout=out)
    return out.getvalue()


def test_jsonl_has_one_documented_record_per_final_decision(
    decided: dict[str, Any], platform: Any
) -> None:
    records = [json.loads(line) for line in export().splitlines()]

    assert [r["external_id"] for r in records] == ["r", "a", "x"]  # oldest first, no escalation
    for record in records:
        assert list(record) == JSONL_KEYS
        assert record["format"] == "toxmod-corrections/1"
        assert record["platform"] == platform.name
        assert record["moderator"] == "alice"
        assert list(record["labels"]) == list(LABELS) == list(record["model_scores"])
        review = Review.objects.get(
            comment__external_id=record["external_id"], action=record["decision"]
        )
        assert record["decided_at"] == review.created_at.isoformat()
        assert record["decided_at"].endswith("+00:00")
        assert record["model_version"] == decided["approved"].model_version.version
    relabeled, approved, removed = records
    assert relabeled["text"] == 'line one\nline "two", and a comma'
    assert relabeled["comment_id"] == str(decided["relabeled"].public_id)
    assert relabeled["labels"] == dict.fromkeys(LABELS, 0) | {"toxic": 1, "insult": 1}
    assert approved["labels"] == dict.fromkeys(LABELS, 0)
    assert removed["labels"] == dict.fromkeys(LABELS) | {"toxic": 1, "threat": 1}
    assert removed["model_scores"]["threat"] == pytest.approx(0.9)


def test_csv_has_the_documented_columns_and_keeps_newlines_inside_quotes(
    decided: dict[str, Any],
) -> None:
    text = export("--format", "csv")

    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(rows[0]) == CSV_COLUMNS
    assert CSV_COLUMNS[:9] == [
        "format", "comment_id", "platform", "external_id", "text",
        "decision", "decided_at", "moderator", "model_version",
    ]  # fmt: skip
    assert rows[0]["text"] == 'line one\nline "two", and a comma'
    assert (rows[0]["label_insult"], rows[0]["label_obscene"]) == ("1", "0")
    assert (rows[2]["label_toxic"], rows[2]["label_obscene"]) == ("1", "")
    assert float(rows[2]["score_threat"]) == pytest.approx(0.9)


def test_since_and_platform_narrow_the_export(
    decided: dict[str, Any], platform_factory: Any, alice: User
) -> None:
    other = platform_factory(name="elsewhere")
    comment_review(comment=make_flagged(other, external_id="o"), moderator=alice, action="approved")
    Review.objects.filter(comment__external_id="r").update(
        created_at=timezone.now() - timedelta(days=3)
    )
    since = (timezone.now() - timedelta(days=1)).date().isoformat()

    recent = [json.loads(line)["external_id"] for line in export("--since", since).splitlines()]
    mine = [
        json.loads(line)["external_id"] for line in export("--platform", "elsewhere").splitlines()
    ]

    assert recent == ["a", "x", "o"]
    assert mine == ["o"]


def test_an_escalated_then_decided_comment_exports_its_final_decision_once(
    platform: Any, alice: User
) -> None:
    comment = make_flagged(platform, external_id="late")
    comment_review(comment=comment, moderator=alice, action="escalated")
    comment_review(comment=comment, moderator=alice, action="removed")

    records = [json.loads(line) for line in export().splitlines()]

    assert [(r["external_id"], r["decision"]) for r in records] == [("late", "removed")]


def test_writing_to_a_file_shows_progress_and_leaves_no_partial_file(
    decided: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "corrections.jsonl"
    err = io.StringIO()

    call_command("export_corrections", "--out", str(out), stderr=err, stdout=io.StringIO())

    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    assert not (tmp_path / "corrections.jsonl.partial").exists()
    assert "Wrote 3 correction(s)" in err.getvalue()


def test_the_export_reads_comments_with_their_reviews_not_one_query_per_row(
    decided: dict[str, Any], django_assert_num_queries: Any
) -> None:
    from moderation.services import corrections

    reviews = corrections.corrections_reviews()
    with django_assert_num_queries(1):
        lines = list(corrections.corrections_jsonl_lines(corrections.corrections_records(reviews)))
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last week"], "is not a date or datetime"),
        (["--platform", "nope"], "No platform named 'nope'"),
        (["--out", "/no/such/folder/x.jsonl"], "does not exist"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(db: None, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        export(*args)


@pytest.mark.parametrize("export_format", ["jsonl", "csv"])
def test_the_training_loader_reads_the_export_back(
    decided: dict[str, Any], tmp_path: Path, export_format: str
) -> None:
    import math

    from training import datasets

    load_corrections = datasets.load_corrections
    out = tmp_path / f"corrections.{export_format}"
    call_command(
        "export_corrections", "--format", export_format, "--out", str(out), stderr=io.StringIO()
    )

    loaded = load_corrections(out)

    assert loaded.texts[0] == 'line one\nline "two", and a comma'
    assert len(loaded.texts) == 3
    as_lists = [[None if math.isnan(v) else int(v) for v in row] for row in loaded.labels]
    assert as_lists[0] == [1, 0, 0, 0, 1, 0]  # relabeled: toxic and insult
    assert as_lists[1] == [0] * 6  # approved
    assert as_lists[2] == [1, None, None, 1, None, None]  # removed: toxic and the flagged threat
