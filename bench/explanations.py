"""Do explanations point at the words annotators marked as toxic, and what do they cost?

Run ``python bench/explanations.py --model DIR [--model DIR ...] [--rows 200]``.

Civil Comments toxic-spans comments carry character spans that crowd annotators marked as the
toxic part; a span counts when at least half of the comment's annotators marked it. On a fixed
sample of holdout comments (the same split as training, so no model saw them) that have such
spans, each model explains ``toxic`` and the words of its top spans (up to ``--top-k``) are
compared with the annotated words: precision (highlighted words that annotators marked), recall
(marked words that were highlighted) and F1, per comment then averaged, beside the seconds per
explained comment. The baseline, in the same run, highlights every word (recall 1, precision
the share of toxic words).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

_WORD = re.compile(r"\w+")


def _rows(path: Path) -> Any:
    return csv.DictReader(io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8"))


def annotated_comments(data_dir: Path) -> dict[str, tuple[str, set[int]]]:
    """comment id -> (text, character offsets inside spans marked by half the annotators)."""
    folder = data_dir / "civil_comments_toxic_spans"
    texts = {r["comment_id"]: r["comment_text"] for r in _rows(folder / "comments.csv.gz")}
    owner: dict[str, str] = {}
    annotators: dict[str, int] = defaultdict(int)
    for record in _rows(folder / "annotations.csv.gz"):
        owner[record["annotation"]] = record["comment_id"]
        annotators[record["comment_id"]] += 1
    votes: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for record in _rows(folder / "spans.csv.gz"):
        comment = owner.get(record["annotation"])
        if comment is None:
            continue
        for offset in range(int(record["start"]), int(record["end"])):
            votes[comment][offset].add(record["annotation"])
    found = {}
    for comment, by_offset in votes.items():
        need = annotators[comment] / 2
        marked = {offset for offset, who in by_offset.items() if len(who) >= need}
        if marked and comment in texts:
            found[comment] = (texts[comment], marked)
    return found


def _words(text: str, chars: set[int]) -> set[tuple[int, int]]:
    """Words of ``text`` (as offsets) that overlap ``chars``."""
    return {
        (m.start(), m.end())
        for m in _WORD.finditer(text)
        if any(offset in chars for offset in range(m.start(), m.end()))
    }


def score(text: str, marked: set[int], highlighted: set[int]) -> tuple[float, float, float]:
    truth, guess = _words(text, marked), _words(text, highlighted)
    hit = len(truth & guess)
    precision = hit / len(guess) if guess else 0.0
    recall = hit / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, action="append", required=True)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--top-k", type=int, default=3)
    args = parser.parse_args(argv)

    import numpy as np

    from bench.pipeline_throughput import machine
    from classifier.artifacts import load_model
    from training.datasets import resolve_data_dir
    from training.splits import Split, split_of

    comments = annotated_comments(resolve_data_dir())
    holdout = sorted(c for c, (text, _) in comments.items() if split_of(text) is Split.HOLDOUT)
    rng = np.random.default_rng(0)
    chosen = [holdout[i] for i in sorted(rng.permutation(len(holdout))[: args.rows])]
    print(f"machine: {machine()}")
    print(f"{len(chosen)} holdout comments with spans marked by half the annotators or more\n")
    rows = []
    every_word = [
        score(comments[c][0], comments[c][1], set(range(len(comments[c][0])))) for c in chosen
    ]
    rows.append(("baseline: every word", np.mean(every_word, axis=0), 0.0))
    for path in args.model:
        model = load_model(path)
        texts = [comments[c][0] for c in chosen]
        model.predict_proba(texts[:4])  # warm up
        started = time.perf_counter()
        explained = model.explain_many(
            texts, labels_per_text=[["toxic"]] * len(texts), top_k=args.top_k
        )
        seconds = (time.perf_counter() - started) / len(texts)
        results = []
        for comment, spans in zip(chosen, explained, strict=True):
            highlighted = {
                offset
                for span in spans["toxic"]
                for offset in range(int(span["start"]), int(span["end"]))  # type: ignore[call-overload]
            }
            results.append(score(comments[comment][0], comments[comment][1], highlighted))
        rows.append(
            (f"{model.version} ({model.manifest.backend})", np.mean(results, axis=0), seconds)
        )
    print(
        f"| explanation of toxic, top {args.top_k} spans | word precision | word recall "
        "| word F1 | ms per comment |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, (precision, recall, f1), seconds in rows:
        print(f"| {name} | {precision:.3f} | {recall:.3f} | {f1:.3f} | {1000 * seconds:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
