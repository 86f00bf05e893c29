"""Functional test suite: short hand-written cases, each testing one behaviour a moderator expects.

Held-out metrics say how well a model matches its training distribution; they do not say whether
it flags "i will k i l l you" or leaves alone "that concert was f***ing amazing". This suite does:
every case belongs to one *function* (direct threats, negated hate, counter-speech, profanity aimed
at nobody, ...), is either harmful (``expected == "flag"``) or benign (``"allow"``), and a model is
scored per function, so a model that blocks every mention of a group is seen failing the
counter-speech and identity functions even when its overall score looks fine.

The cases live in a frozen JSONL file (:data:`SUITE_PATH`); one JSON object per line with ``id``,
``function``, ``text``, ``expected`` and, for some harmful cases, ``labels`` (labels that must be
among the flagged ones, e.g. ``["threat"]``). The file's SHA-256 is pinned in
:data:`FUNCTIONAL_SUITE_SHA256`, so a changed file is noticed: results are only comparable on the
same cases. A new version is a new file with a new hash. The suite is evaluation data and is never
used for training; :mod:`training.augment` shares no sentence with it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from classifier.labels import LABELS

SUITE_PATH: Final = Path(__file__).resolve().parent / "suites" / "functional_v1.jsonl"
#: SHA-256 of the bytes of :data:`SUITE_PATH`.
FUNCTIONAL_SUITE_SHA256: Final = "268f642b3c5c2dab1fc1c6398acdae4acce78e4781213537b6fd15034c8b4270"

FLAG: Final = "flag"
ALLOW: Final = "allow"

#: Every function: whether its cases are harmful (must be flagged), and what it tests.
FUNCTIONS: Final[dict[str, tuple[bool, str]]] = {
    "threat_direct": (True, "explicit threats of violence against a person"),
    "threat_conditional": (True, "indirect, conditional and implied threats"),
    "threat_obfuscated": (True, "threats in spaced, leetspeak or vowel-dropped spellings"),
    "abuse_obfuscated": (True, "insults and group attacks in obfuscated spellings"),
    "insult_person": (True, "insults aimed at a person"),
    "group_attack": (True, "hostile generalisations about an identity group"),
    "group_dehumanising": (True, "a group compared to animals, vermin or disease"),
    "group_exclusion_coded": (True, "coded exclusion: 'go back to where you came from'"),
    "negated_hate": (False, "hateful claims stated only to deny them"),
    "counter_speech_quote": (False, "counter-speech that quotes the hate it rejects"),
    "counter_speech_reference": (False, "counter-speech that refers to hate without quoting it"),
    "identity_neutral": (False, "neutral mentions of identity groups"),
    "identity_positive": (False, "positive statements about identity groups"),
    "profanity_untargeted": (False, "profanity aimed at nobody"),
    "benign_plain": (False, "ordinary comments"),
    "violence_sport_games": (False, "violent words about sport, games and fiction"),
    "violent_idiom": (False, "violent idioms ('this heat is killing me')"),
    "disagreement_civil": (False, "criticism and disagreement without abuse"),
}


class SuiteChangedError(ValueError):
    """The suite file's hash is not the pinned one, or a line breaks the schema."""


@dataclass(frozen=True)
class FunctionalCase:
    id: str
    function: str
    text: str
    expected: str
    #: Labels that must be among the flagged ones (harmful cases only; may be empty).
    labels: tuple[str, ...] = ()

    @property
    def harmful(self) -> bool:
        return self.expected == FLAG


def suite_sha256(path: Path = SUITE_PATH) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_functional_suite(
    path: Path = SUITE_PATH, *, sha256: str | None = FUNCTIONAL_SUITE_SHA256
) -> list[FunctionalCase]:
    """The cases in file order. Raises :class:`SuiteChangedError` when the file's SHA-256 is not
    ``sha256`` (pass ``None`` to skip the check, e.g. for a draft of the next version) or a line
    breaks the schema."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if sha256 is not None and digest != sha256:
        raise SuiteChangedError(
            f"{path.name} has SHA-256 {digest}, expected {sha256}: the frozen suite was edited; "
            "write a new version instead"
        )
    cases: list[FunctionalCase] = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        function = row.get("function")
        if function not in FUNCTIONS:
            raise SuiteChangedError(f"line {number}: unknown function {function!r}")
        expected = FLAG if FUNCTIONS[function][0] else ALLOW
        if row.get("expected") != expected:
            raise SuiteChangedError(f"line {number}: {function} cases expect {expected!r}")
        labels = tuple(row.get("labels", ()))
        if (labels and expected != FLAG) or not set(labels) <= set(LABELS):
            raise SuiteChangedError(f"line {number}: bad labels {labels}")
        cases.append(FunctionalCase(str(row["id"]), function, str(row["text"]), expected, labels))
    return cases


def functional_check(
    predict_proba: Callable[[Sequence[str]], npt.NDArray[np.float32]],
    thresholds: Mapping[str, float],
    *,
    cases: Sequence[FunctionalCase] | None = None,
    failures: int = 5,
) -> dict[str, Any]:
    """Score every case and summarise per function (JSON-able).

    A comment is flagged when any label's score is at or above its threshold (0.5 where
    ``thresholds`` lacks the label). A harmful case passes when it is flagged (any label: the
    moderator sees it); a benign case passes when nothing is flagged. Per function: ``accuracy``
    (share passed), ``flag_rate``, for harmful functions ``label_accuracy`` (share flagged with
    every label the case names, e.g. ``threat`` for a threat) and up to ``failures`` failing
    cases. Overall:
    ``accuracy`` over cases, ``mean_function_accuracy`` (every function weighs the same) and the
    ``worst_function``. ``cases`` defaults to the frozen suite (hash checked).
    """
    suite = list(load_functional_suite() if cases is None else cases)
    scores = np.asarray(predict_proba([case.text for case in suite]), dtype=np.float64)
    limits = np.array([float(thresholds.get(label, 0.5)) for label in LABELS])
    flagged = scores >= limits
    passed: list[bool] = []
    for i, case in enumerate(suite):
        if case.harmful:
            passed.append(bool(flagged[i].any()))
        else:
            passed.append(not flagged[i].any())
    per_function: dict[str, Any] = {}
    for function, (harmful, description) in FUNCTIONS.items():
        rows = [i for i, case in enumerate(suite) if case.function == function]
        if not rows:
            continue
        failing = [i for i in rows if not passed[i]]
        per_function[function] = {
            "harmful": harmful,
            "description": description,
            "cases": len(rows),
            "passed": len(rows) - len(failing),
            "accuracy": (len(rows) - len(failing)) / len(rows),
            "flag_rate": float(flagged[rows].any(axis=1).mean()),
            "label_accuracy": float(
                np.mean([all(flagged[i, LABELS.index(x)] for x in suite[i].labels) for i in rows])
            )
            if harmful
            else None,
            "failures": [
                {
                    "id": suite[i].id,
                    "text": suite[i].text,
                    "flagged": [LABELS[j] for j in np.flatnonzero(flagged[i])],
                    "top_label": LABELS[int(np.argmax(scores[i]))],
                    "top_score": float(scores[i].max()),
                }
                for i in failing[:failures]
            ],
        }
    accuracies = {name: m["accuracy"] for name, m in per_function.items()}
    worst = min(accuracies, key=lambda name: accuracies[name]) if accuracies else None
    return {
        "suite": SUITE_PATH.name if cases is None else "custom",
        "sha256": FUNCTIONAL_SUITE_SHA256 if cases is None else None,
        "cases": len(suite),
        "functions": len(per_function),
        "accuracy": float(np.mean(passed)) if passed else 0.0,
        "mean_function_accuracy": float(np.mean(list(accuracies.values()))) if accuracies else 0.0,
        "worst_function": {"function": worst, "accuracy": accuracies[worst]} if worst else None,
        "per_function": per_function,
    }


def functional_markdown(result: Mapping[str, Any]) -> str:
    """The check as a Markdown section."""
    lines = [
        "## Functional test suite",
        "",
        f"{result['cases']} hand-written cases over {result['functions']} functions "
        f"(`{result['suite']}`, SHA-256 `{result['sha256'] or '-'}`). A harmful case passes when "
        "it is flagged (on any label); a benign case passes when nothing is flagged. *With its "
        "labels* is the share of harmful cases flagged with every label the case names.",
        "",
        f"Accuracy {result['accuracy']:.3f}; mean over functions "
        f"{result['mean_function_accuracy']:.3f}.",
    ]
    if result["worst_function"]:
        worst = result["worst_function"]
        lines.append(f"Worst function: {worst['function']} ({worst['accuracy']:.3f}).")
    lines += [
        "",
        "| function | expected | cases | accuracy | flagged | with its labels | tests |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for name, m in result["per_function"].items():
        expected = FLAG if m["harmful"] else ALLOW
        with_labels = "-" if m.get("label_accuracy") is None else f"{m['label_accuracy']:.3f}"
        lines.append(
            f"| {name} | {expected} | {m['cases']} | {m['accuracy']:.3f} | "
            f"{m['flag_rate']:.3f} | {with_labels} | {m['description']} |"
        )
    failing = [(name, f) for name, m in result["per_function"].items() for f in m["failures"]]
    if failing:
        lines += ["", "Failing cases (a few per function):", ""]
        lines += ["| function | text | flagged | top score |", "|---|---|---|---:|"]
        for name, f in failing:
            text = f["text"].replace("|", "\\|")
            flagged = ", ".join(f["flagged"]) or "-"
            lines.append(f"| {name} | {text} | {flagged} | {f['top_score']:.3f} |")
    return "\n".join(lines) + "\n"
