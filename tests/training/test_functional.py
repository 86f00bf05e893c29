from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from classifier.labels import LABELS
from training.functional import (
    ALLOW,
    FLAG,
    FUNCTIONAL_SUITE_SHA256,
    FUNCTIONS,
    SUITE_PATH,
    FunctionalCase,
    SuiteChangedError,
    functional_check,
    functional_markdown,
    load_functional_suite,
    suite_sha256,
)

THRESHOLDS = {label: 0.5 for label in LABELS}


def _scorer(flag: dict[str, Sequence[str]]) -> Callable[[Sequence[str]], np.ndarray]:
    """Scores 0.9 for the labels ``flag`` names for a text, 0.1 for everything else."""

    def predict_proba(texts: Sequence[str]) -> np.ndarray:
        scores = np.full((len(texts), len(LABELS)), 0.1, dtype=np.float32)
        for i, text in enumerate(texts):
            for label in flag.get(text, ()):
                scores[i, LABELS.index(label)] = 0.9
        return scores

    return predict_proba


def test_suite_loads_with_enough_cases_per_function() -> None:
    cases = load_functional_suite()
    assert suite_sha256() == FUNCTIONAL_SUITE_SHA256
    assert len(cases) >= 420
    per_function = Counter(case.function for case in cases)
    assert set(per_function) == set(FUNCTIONS)
    assert len(per_function) >= 16
    assert min(per_function.values()) >= 20
    assert len({case.id for case in cases}) == len(cases)
    assert len({case.text.casefold() for case in cases}) == len(cases)
    for case in cases:
        assert case.expected == (FLAG if FUNCTIONS[case.function][0] else ALLOW)
    threats = [c for c in cases if c.function.startswith("threat_")]
    assert all(c.labels == ("threat",) for c in threats)


def test_neutral_identity_cases_name_at_least_twenty_groups() -> None:
    groups = [
        "Islam",
        "Sikh",
        "lesbian",
        "Jewish",
        "Nigerian",
        "deaf",
        "gay",
        "Hindu",
        "Black",
        "Filipino",
        "trans",
        "hijab",
        "atheist",
        "Korean",
        "Catholic",
        "bisexual",
        "Arab",
        "autistic",
        "Polish",
        "wheelchair",
        "Mexican",
        "elderly",
        "Indigenous",
        "Christian",
        "refugee",
        "blind",
    ]
    texts = " ".join(c.text for c in load_functional_suite() if c.function == "identity_neutral")
    assert sum(group in texts for group in groups) >= 20


def test_an_edited_copy_fails_the_hash_check(tmp_path: Path) -> None:
    edited = tmp_path / "functional_v1.jsonl"
    edited.write_bytes(SUITE_PATH.read_bytes().replace(b"kill you", b"hug you", 1))
    with pytest.raises(SuiteChangedError, match="SHA-256"):
        load_functional_suite(edited)
    assert len(load_functional_suite(edited, sha256=None)) == len(load_functional_suite())


def test_a_line_that_contradicts_its_function_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "draft.jsonl"
    bad.write_text(
        '{"id": "x", "function": "benign_plain", "text": "hi", "expected": "flag"}\n',
        encoding="utf-8",
    )
    with pytest.raises(SuiteChangedError, match="expect"):
        load_functional_suite(bad, sha256=None)


def test_accuracy_per_function_and_overall_for_a_known_scorer() -> None:
    cases = [
        FunctionalCase("t1", "threat_direct", "i will hurt you", FLAG, ("threat",)),
        FunctionalCase("t2", "threat_direct", "you are next", FLAG, ("threat",)),
        FunctionalCase("t3", "threat_direct", "watch out", FLAG, ("threat",)),
        FunctionalCase("t4", "threat_direct", "see you soon", FLAG, ("threat",)),
        FunctionalCase("i1", "insult_person", "you idiot", FLAG),
        FunctionalCase("i2", "insult_person", "you clown", FLAG),
        FunctionalCase("b1", "benign_plain", "nice day", ALLOW),
        FunctionalCase("b2", "benign_plain", "good game", ALLOW),
    ]
    scorer = _scorer(
        {
            "i will hurt you": ["toxic", "threat"],  # pass
            "you are next": ["toxic"],  # flagged, but not as a threat: passes, label missed
            "watch out": ["threat"],  # pass
            "you idiot": ["insult"],  # pass (no labels required)
            "good game": ["toxic"],  # false positive: fail
        }
    )
    result = functional_check(scorer, THRESHOLDS, cases=cases)
    per = result["per_function"]
    assert per["threat_direct"]["accuracy"] == pytest.approx(0.75)
    assert per["threat_direct"]["flag_rate"] == pytest.approx(0.75)
    assert per["threat_direct"]["label_accuracy"] == pytest.approx(0.5)
    assert per["insult_person"]["accuracy"] == pytest.approx(0.5)
    assert per["benign_plain"]["accuracy"] == pytest.approx(0.5)
    assert per["benign_plain"]["label_accuracy"] is None
    assert result["accuracy"] == pytest.approx(5 / 8)
    assert result["mean_function_accuracy"] == pytest.approx((0.75 + 0.5 + 0.5) / 3)
    assert {f["id"] for f in per["threat_direct"]["failures"]} == {"t4"}
    assert per["threat_direct"]["failures"][0]["flagged"] == []
    assert per["benign_plain"]["failures"][0]["id"] == "b2"
    assert result["functions"] == 3


def test_thresholds_decide_what_is_flagged() -> None:
    cases = [FunctionalCase("b1", "benign_plain", "nice day", ALLOW)]
    scorer = _scorer({"nice day": ["obscene"]})
    assert functional_check(scorer, THRESHOLDS, cases=cases)["accuracy"] == 0.0
    high = {**THRESHOLDS, "obscene": 0.95}
    assert functional_check(scorer, high, cases=cases)["accuracy"] == 1.0


def test_full_suite_with_an_oracle_and_with_a_scorer_that_flags_everything() -> None:
    cases = load_functional_suite()
    oracle = _scorer({c.text: LABELS for c in cases if c.harmful})
    perfect = functional_check(oracle, THRESHOLDS)
    assert perfect["accuracy"] == 1.0
    assert perfect["sha256"] == FUNCTIONAL_SUITE_SHA256
    everything = _scorer({c.text: LABELS for c in cases})
    result = functional_check(everything, THRESHOLDS)
    harmful_share = sum(c.harmful for c in cases) / len(cases)
    assert result["accuracy"] == pytest.approx(harmful_share)
    assert result["worst_function"]["accuracy"] == 0.0
    assert not FUNCTIONS[result["worst_function"]["function"]][0]
    markdown = functional_markdown(result)
    assert FUNCTIONAL_SUITE_SHA256 in markdown
    assert "| negated_hate | allow |" in markdown
    assert markdown.count("\n| ") >= len(FUNCTIONS)
