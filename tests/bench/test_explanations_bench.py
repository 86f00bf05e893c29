"""The explanation benchmark's span reading and word scoring, on made-up files."""

from __future__ import annotations

import gzip
from pathlib import Path

from bench.explanations import annotated_comments, score


def _write(path: Path, text: str) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text)


def test_spans_count_when_half_the_annotators_marked_them(tmp_path: Path) -> None:
    folder = tmp_path / "civil_comments_toxic_spans"
    folder.mkdir()
    _write(folder / "comments.csv.gz", "comment_id,comment_text\n7,you absolute clown go away\n")
    _write(
        folder / "annotations.csv.gz",
        "annotation,comment_id,worker,country,all toxic,not toxic\n"
        "1,7,a,X,False,False\n2,7,b,X,False,False\n3,7,c,X,False,True\n",
    )
    # "clown" (13-18) by two of three annotators; "go away" (19-26) by one only.
    _write(
        folder / "spans.csv.gz",
        "annotation,type,start,end\n1,Insult,13,18\n2,Insult,13,18\n1,Other,19,26\n",
    )
    text, marked = annotated_comments(tmp_path)["7"]
    assert text[min(marked) : max(marked) + 1] == "clown"


def test_word_precision_recall_and_f1() -> None:
    text = "you absolute clown go away"
    clown = set(range(13, 18))
    assert score(text, clown, clown) == (1.0, 1.0, 1.0)
    precision, recall, f1 = score(text, clown, set(range(len(text))))
    assert (precision, recall) == (0.2, 1.0)
    assert round(f1, 3) == 0.333
    assert score(text, clown, set()) == (0.0, 0.0, 0.0)
