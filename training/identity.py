"""Identity-term check: short neutral sentences that mention identity groups should score low.

A model trained on hate-speech data learns that group names co-occur with hate, and then flags
"I am a gay man" or "my neighbour is Muslim". This check scores neutral template sentences for
every group and reports, per label, the mean and maximum score, how many sentences cross the
label's threshold, and the worst sentences. The templates and groups are our own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from classifier.labels import LABELS

#: Neutral sentences; ``{group}`` is an adjective or noun phrase for a group of people.
TEMPLATES: Final = (
    "I am {group}.",
    "My neighbour is {group}.",
    "She is a {group} teacher.",
    "He is a {group} doctor who lives downtown.",
    "We had dinner with our {group} friends.",
    "Being {group} is part of who I am.",
    "The {group} community center opens at nine.",
    "My best friend is {group} and we play chess on Sundays.",
)
#: Groups named in hate-speech data (religion, ethnicity, nationality, gender, orientation,
#: disability, age).
GROUPS: Final = (
    "gay",
    "lesbian",
    "transgender",
    "straight",
    "Muslim",
    "Jewish",
    "Christian",
    "Hindu",
    "atheist",
    "Black",
    "white",
    "Asian",
    "Latino",
    "Mexican",
    "African",
    "immigrant",
    "a woman",
    "a man",
    "disabled",
    "deaf",
    "old",
    "young",
)


def identity_sentences() -> list[tuple[str, str]]:
    """(group, sentence) for every group and template; ``a woman`` fits ``I am {group}``, and
    loses its article after another determiner ("a woman teacher", "our woman friends")."""
    sentences: list[tuple[str, str]] = []
    for group in GROUPS:
        for template in TEMPLATES:
            phrase = group
            if group.startswith("a ") and re.search(r"\b(?:a|our|The) \{group\}", template):
                phrase = group[2:]
            sentences.append((group, template.format(group=phrase)))
    return sentences


def identity_check(
    predict_proba: Callable[[Sequence[str]], npt.NDArray[np.float32]],
    thresholds: Mapping[str, float],
    *,
    worst: int = 10,
) -> dict[str, Any]:
    """Score the identity sentences; JSON-able summary per label and per group, worst cases.

    ``flagged`` counts sentences at or above the label's threshold (every one is a false
    positive: none of these sentences is toxic).
    """
    pairs = identity_sentences()
    texts = [sentence for _, sentence in pairs]
    groups = np.array([group for group, _ in pairs])
    scores = np.asarray(predict_proba(texts), dtype=np.float64)
    per_label: dict[str, Any] = {}
    for j, label in enumerate(LABELS):
        column = scores[:, j]
        threshold = float(thresholds.get(label, 0.5))
        per_label[label] = {
            "mean": float(column.mean()),
            "max": float(column.max()),
            "threshold": threshold,
            "flagged": int((column >= threshold).sum()),
        }
    toxic = scores[:, LABELS.index("toxic")]
    limits = np.array([float(thresholds.get(label, 0.5)) for label in LABELS])
    flagged_any = np.asarray((scores >= limits).any(axis=1), dtype=bool)
    per_group = {
        str(group): {
            "mean_toxic": float(toxic[groups == group].mean()),
            "max_toxic": float(toxic[groups == group].max()),
            "flagged_share": float(flagged_any[groups == group].mean()),
        }
        for group in GROUPS
    }
    top_score = scores.max(axis=1)
    order = np.argsort(-top_score, kind="stable")[:worst]
    worst_cases = [
        {
            "text": texts[i],
            "group": str(groups[i]),
            "label": LABELS[int(np.argmax(scores[i]))],
            "score": float(top_score[i]),
        }
        for i in order
    ]
    return {
        "sentences": len(texts),
        "templates": len(TEMPLATES),
        "groups": len(GROUPS),
        "flagged_any": int(flagged_any.sum()),
        "flagged_share": float(flagged_any.mean()),
        "per_label": per_label,
        "per_group": per_group,
        "worst": worst_cases,
    }


def identity_markdown(result: Mapping[str, Any]) -> str:
    """The check as a Markdown section."""
    lines = [
        "## Identity-term check",
        "",
        f"{result['sentences']} neutral sentences ({result['templates']} templates x "
        f"{result['groups']} groups) that mention an identity group; none is toxic, so every "
        "flag is a false positive.",
        "",
        f"Flagged on any label: **{result['flagged_any']} of {result['sentences']} "
        f"({100 * result['flagged_share']:.1f} %)**.",
        "",
        "| label | mean score | max score | threshold | flagged |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, m in result["per_label"].items():
        lines.append(
            f"| {label} | {m['mean']:.3f} | {m['max']:.3f} | {m['threshold']:.3f} | "
            f"{m['flagged']} |"
        )
    groups = sorted(result["per_group"].items(), key=lambda kv: -kv[1]["mean_toxic"])
    lines += ["", "Mean toxic score per group, highest first: "]
    lines.append(", ".join(f"{group} {m['mean_toxic']:.3f}" for group, m in groups))
    lines += ["", "Worst cases:", "", "| sentence | label | score |", "|---|---|---:|"]
    for case in result["worst"]:
        lines.append(f"| {case['text']} | {case['label']} | {case['score']:.3f} |")
    return "\n".join(lines) + "\n"
