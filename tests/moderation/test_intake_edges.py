"""Edges found by probing the running system: the same batch sent twice at once answers as a
retry does, forged cursors with offsets Postgres cannot store are 400, and CSV exports
escape cells a spreadsheet would run as formulas."""

from __future__ import annotations

import base64
import csv
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from rest_framework.test import APIClient

from classifier.labels import LABELS
from moderation.models import Comment
from moderation.services import comments as comment_services
from moderation.services.comments import CommentInput, comment_batch_create
from moderation.services.corrections import CSV_FORMULA_STARTS, corrections_csv_lines

BATCH_URL = "/api/v1/comments/batch"


@pytest.mark.django_db
def test_a_batch_racing_an_identical_one_answers_as_a_retry(
    platform: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [CommentInput(external_id=f"race-{n}", text=f"text {n}") for n in range(3)]
    comment_batch_create(platform=platform, items=items)  # the other request, committed
    real = comment_services.comments_stored
    reads: list[int] = []

    def stale_first_read(**kwargs: Any) -> Any:
        reads.append(1)
        return {} if len(reads) == 1 else real(**kwargs)  # read before the other committed

    monkeypatch.setattr(comment_services, "comments_stored", stale_first_read)

    results = comment_batch_create(platform=platform, items=items)

    assert [result.created for result in results] == [False, False, False]
    assert Comment.objects.count() == 3
    assert len(reads) == 2


@pytest.mark.django_db(transaction=True)
def test_identical_batches_sent_at_once_are_stored_once_and_answered_2xx(
    issued_key: Any,
) -> None:
    body = {"comments": [{"external_id": f"p-{n}", "text": f"same text {n}"} for n in range(200)]}
    start = threading.Barrier(6)

    def send(_: int) -> Any:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued_key.secret}")
        try:
            start.wait()
            return client.post(BATCH_URL, body, format="json")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(send, range(6)))

    assert sorted(a.status_code for a in answers) == [200] * 5 + [202], [
        a.content[:300] for a in answers
    ]
    assert Comment.objects.count() == 200
    for answer in answers:
        text = answer.content.decode()
        assert "duplicate key" not in text
        assert "DETAIL" not in text


@pytest.mark.parametrize(
    "position",
    [b"2026-01-01T00:00:00+16:58", b"0001-01-01T00:00:00+16:00", b"2026-01-01T00:00:00"],
)
@pytest.mark.django_db
def test_a_forged_cursor_with_an_offset_postgres_cannot_store_is_400(
    api_client: APIClient, position: bytes
) -> None:
    cursor = base64.b64encode(b"p=" + quote(position).encode()).decode()

    response = api_client.get("/api/v1/comments", {"cursor": cursor})

    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]["cursor"][0]["code"] == "invalid"


def _record(text: str, **overrides: Any) -> dict[str, Any]:
    record = {
        "format": "toxmod-corrections/1",
        "comment_id": "c",
        "platform": "demo",
        "external_id": "e",
        "text": text,
        "decision": "approved",
        "decided_at": "2026-01-01T00:00:00+00:00",
        "moderator": "alice",
        "model_version": "v1",
        "labels": dict.fromkeys(LABELS, 0),
        "model_scores": dict.fromkeys(LABELS, 0.5),
    }
    return {**record, **overrides}


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://x","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_csv_cells_that_start_like_a_formula_are_escaped(cell: str) -> None:
    text = "".join(corrections_csv_lines([_record(cell, external_id=cell, moderator=cell)]))

    row = next(csv.DictReader(io.StringIO(text, newline="")))

    assert row["text"] == "'" + cell
    assert row["external_id"] == "'" + cell
    assert row["moderator"] == "'" + cell
    assert row["score_toxic"] == "0.5"


def test_ordinary_csv_cells_are_left_as_they_are() -> None:
    text = "".join(corrections_csv_lines([_record("a = b, said @bob")]))

    assert next(csv.DictReader(io.StringIO(text, newline="")))["text"] == "a = b, said @bob"


@pytest.mark.parametrize(
    "cell", ["=1+1", "-2 is less than zero", "@bob you idiot", "'quoted' text"]
)
def test_training_reads_an_escaped_csv_text_back_as_submitted(cell: str, tmp_path: Any) -> None:
    from training.datasets import load_corrections
    from training.datasets.corrections import CSV_FORMULA_STARTS as READER_STARTS

    assert READER_STARTS == CSV_FORMULA_STARTS  # exporter and reader agree on the escape
    path = tmp_path / "corrections.csv"
    path.write_text("".join(corrections_csv_lines([_record(cell)])), encoding="utf-8")

    assert load_corrections(path).texts == [cell]
