"""Made-up data for retraining tests: a small labelled base set, and moderator corrections
that teach a pattern the champion has never seen."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from classifier.labels import LABELS
from moderation.services.reviews import comment_review
from tests.factories import make_flagged, make_moderator

NEUTRAL = ["the weather", "my garden", "this recipe", "the new bridge", "our team", "the film"]
ABUSE = ["stupid idiot", "pathetic moron", "worthless idiot", "dumb moron"]


def write_base_set(path: Path) -> Path:
    """About 70 labelled rows the champion never saw (its own set would make its holdout
    scores memorised): enough for the fixed split to give every part some rows."""
    rows: list[tuple[str, list[int]]] = []
    for i, topic in enumerate(NEUTRAL * 6):
        rows.append((f"i really like {topic}, note {i}", [0, 0, 0, 0, 0, 0]))
    for i, insult in enumerate(ABUSE * 6):
        rows.append((f"you are a {insult}, number {i}", [1, 0, 0, 0, 1, 0]))
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", *LABELS])
        for text, labels in rows:
            writer.writerow([text, *labels])
    return path


def record_corrections(platform: Any, rows: list[tuple[str, int]]) -> None:
    """Moderators relabel each text: toxic and insult as given, the rest 0."""
    moderator = make_moderator("mod")
    for i, (text, toxic) in enumerate(rows):
        comment = make_flagged(platform, external_id=f"corr-{i}", text=text)
        labels = {label: 0 for label in LABELS}
        labels.update(toxic=toxic, insult=toxic)
        comment_review(comment=comment, moderator=moderator, action="relabeled", labels=labels)


def pattern_corrections() -> list[tuple[str, int]]:
    """A made-up word the champion has never seen is abuse here; a sibling phrase is fine."""
    rows = []
    for i in range(40):
        topic = NEUTRAL[i % len(NEUTRAL)]
        rows.append((f"{topic} is total zorblax, post {i}", 1))
        rows.append((f"{topic} is total sunshine, post {i}", 0))
    return rows
