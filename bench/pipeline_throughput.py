"""How fast the moderation pipeline takes in and scores comments, on this machine.

Measures, on real comments from ../shared/data (Civil Comments and Gab, a fixed sample):

- scoring: `comment_batch_score` (lock the pending rows, one model call, write scores, history
  and outbox rows back) at batch sizes 1, 16, 64 and 256. Batch size 1 is the baseline: one
  model call and one transaction per comment, what a naive per-comment task would do.
- intake: `POST /api/v1/comments` one comment per request (the baseline) against
  `POST /api/v1/comments/batch` with 100 and 500 per request, through Django's test client
  (in-process, no HTTP server: this is the application's own cost).

Runs against a scratch Postgres database (created, migrated and dropped; DATABASE_URL's
server, default the local one) and a scratch Redis database for the broker (db 13, purged).
Prints a table with comments/s and the ratio to the baseline.

    .venv/bin/python bench/pipeline_throughput.py [--comments 2048]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCRATCH_DB = "toxmod_bench"


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    memory = f"{mem_kb / 1024 / 1024:.0f} GiB"
    return f"{os.cpu_count()} cores, {cpu}, {memory}, Python {platform.python_version()}"


def sample_texts(count: int) -> list[str]:
    from training.datasets import load_civil_comments, load_gab

    texts = load_civil_comments().texts[: count // 2] + load_gab().texts[: count - count // 2]
    return texts[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=2048)
    args = parser.parse_args()

    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    base = server.rsplit("/", 1)[0]
    import psycopg

    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
        admin.execute(f"CREATE DATABASE {SCRATCH_DB}")
    os.environ["DATABASE_URL"] = f"{base}/{SCRATCH_DB}"
    os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/13"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["API_RATE_LIMIT"] = "1000000/min"
    os.environ["LOG_LEVEL"] = "WARNING"
    try:
        run(args.comments)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(base + "/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB}")


def run(count: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from config.celery import app
    from moderation.models import Comment, CommentScore, CommentStatus, ModelVersion
    from moderation.services.platforms import api_key_issue, platform_create
    from moderation.services.scoring import comment_batch_score

    call_command("migrate", verbosity=0)
    app.control.purge()
    platform = platform_create(name="bench")
    key = api_key_issue(platform=platform).secret
    texts = sample_texts(count)
    model_version = ModelVersion.objects.get(is_active=True)
    print(f"machine: {machine()}")
    print(
        f"model: {model_version.version}; {len(texts)} real comments, "
        f"mean {sum(map(len, texts)) / len(texts):.0f} characters"
    )

    # --- intake --------------------------------------------------------------------------------
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    rows: list[tuple[str, str, float]] = []
    n_single = min(len(texts), 500)
    started = time.perf_counter()
    for i, text in enumerate(texts[:n_single]):
        body = json.dumps({"external_id": f"s-{i}", "text": text})
        response = client.post("/api/v1/comments", body, content_type="application/json")
        assert response.status_code == 202, response.content
    rows.append(
        ("intake", "POST /comments, 1 per request", n_single / (time.perf_counter() - started))
    )
    for size in (100, 500):
        Comment.objects.all().delete()
        started = time.perf_counter()
        for start in range(0, len(texts), size):
            chunk = texts[start : start + size]
            body = json.dumps(
                {
                    "comments": [
                        {"external_id": f"b-{start + i}", "text": t} for i, t in enumerate(chunk)
                    ]
                }
            )
            response = client.post("/api/v1/comments/batch", body, content_type="application/json")
            assert response.status_code == 202, response.content
        rows.append(
            (
                "intake",
                f"POST /comments/batch, {size} per request",
                len(texts) / (time.perf_counter() - started),
            )
        )
    app.control.purge()

    # --- scoring -------------------------------------------------------------------------------
    ids = list(Comment.objects.order_by("pk").values_list("pk", flat=True))
    comment_batch_score(comment_ids=ids[:8], batch_size=8)  # load the model before timing
    for size in (1, 16, 64, 256):
        CommentScore.objects.all().delete()
        Comment.objects.update(status=CommentStatus.PENDING)
        started = time.perf_counter()
        for start in range(0, len(ids), size):
            comment_batch_score(comment_ids=ids[start : start + size], batch_size=size)
        elapsed = time.perf_counter() - started
        assert not Comment.objects.filter(status=CommentStatus.PENDING).exists()
        rows.append(("scoring", f"comment_batch_score, batch {size}", len(ids) / elapsed))

    flagged = Comment.objects.filter(
        status__in=[CommentStatus.FLAGGED, CommentStatus.AUTO_REMOVED]
    ).count()
    print(f"flagged or auto-removed (explained at scoring time): {flagged / len(ids):.0%}")
    baseline = {
        "intake": rows[0][2],
        "scoring": next(r[2] for r in rows if r[1].endswith("batch 1")),
    }
    print()
    print(f"| {'stage':8} | {'how':40} | {'comments/s':>10} | {'vs baseline':>11} |")
    print(f"|{'-' * 10}|{'-' * 42}|{'-' * 12}|{'-' * 13}|")
    for stage, how, rate in rows:
        print(f"| {stage:8} | {how:40} | {rate:10.0f} | {rate / baseline[stage]:10.1f}x |")
    load = subprocess.run(["cat", "/proc/loadavg"], capture_output=True, text=True).stdout.split()[
        :3
    ]
    print(f"\nload average while finishing: {' '.join(load)}")


if __name__ == "__main__":
    main()
