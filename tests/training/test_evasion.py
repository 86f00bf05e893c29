from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Sequence

import numpy as np
import pytest

from classifier.labels import LABELS
from training.evasion import (
    BENIGN_SEEDS,
    OBFUSCATIONS,
    POP_DIRECTIONAL_FORMATTING,
    RIGHT_TO_LEFT_OVERRIDE,
    TOXIC_SEEDS,
    ZERO_WIDTH_SPACE,
    evasion_check,
    evasion_markdown,
    fullwidth,
    leetspeak,
    lookalike_letters,
    punctuated,
    repeated_letters,
    right_to_left_override,
    spaced_letters,
    zero_width,
)
from training.functional import load_functional_suite

THRESHOLDS = {label: 0.5 for label in LABELS}


def _exact_scorer(flagged: Collection[str]) -> Callable[[Sequence[str]], np.ndarray]:
    """Scores toxic 0.9 for the texts in ``flagged`` (as given), 0.1 for every other text."""

    def predict_proba(texts: Sequence[str]) -> np.ndarray:
        scores = np.full((len(texts), len(LABELS)), 0.1, dtype=np.float32)
        scores[[i for i, t in enumerate(texts) if t in flagged], LABELS.index("toxic")] = 0.9
        return scores

    return predict_proba


def test_seeds_are_our_own_and_not_from_the_functional_suite() -> None:
    assert len(TOXIC_SEEDS) >= 30
    assert len(BENIGN_SEEDS) >= 30
    seeds = {t.casefold() for t in (*TOXIC_SEEDS, *BENIGN_SEEDS)}
    assert len(seeds) == len(TOXIC_SEEDS) + len(BENIGN_SEEDS)
    suite = {case.text.casefold().rstrip(".!?") for case in load_functional_suite()}
    assert not seeds & suite


@pytest.mark.parametrize("name", list(OBFUSCATIONS))
def test_every_obfuscation_changes_every_seed_and_is_deterministic(name: str) -> None:
    obfuscate = OBFUSCATIONS[name]
    for seed in (*TOXIC_SEEDS, *BENIGN_SEEDS):
        assert obfuscate(seed) != seed
        assert obfuscate(seed) == obfuscate(seed)


def test_examples_of_each_obfuscation() -> None:
    assert leetspeak("Stop it, idiot") == "570p 17, 1d107"
    assert spaced_letters("you idiot") == "y o u  i d i o t"
    assert punctuated("you idiot") == "y.o.u i.d.i.o.t"
    assert repeated_letters("so stupid") == "so stuuupid"
    assert zero_width("no") == "n" + ZERO_WIDTH_SPACE + "o"
    assert fullwidth("ok go") == "\uff4f\uff4b\u3000\uff47\uff4f"
    assert unicodedata.normalize("NFKC", fullwidth("you idiot")) == "you idiot"


def test_combining_mark_follows_every_letter() -> None:
    text = OBFUSCATIONS["combining_marks"]("an idiot")
    letters = [c for c in text if unicodedata.category(c) != "Mn"]
    assert "".join(letters) == "an idiot"
    assert sum(unicodedata.category(c) == "Mn" for c in text) == len("anidiot")


def test_lookalikes_swap_latin_letters_for_cyrillic_or_greek_ones() -> None:
    text = lookalike_letters("you are a pig")
    assert len(text) == len("you are a pig")
    swapped = [c for plain, c in zip("you are a pig", text, strict=True) if c != plain]
    assert len(swapped) >= 6
    assert {unicodedata.name(c).split()[0] for c in swapped} <= {"CYRILLIC", "GREEK"}


def test_right_to_left_override_stores_the_text_reversed() -> None:
    for seed in TOXIC_SEEDS:
        text = right_to_left_override(seed)
        assert text[0] == RIGHT_TO_LEFT_OVERRIDE
        assert text[-1] == POP_DIRECTIONAL_FORMATTING
        assert text[1:-1][::-1] == seed


def test_shares_for_a_scorer_that_sees_through_some_spellings() -> None:
    flagged = set(TOXIC_SEEDS)
    flagged |= {zero_width(t) for t in TOXIC_SEEDS}  # survives zero-width characters
    flagged |= {leetspeak(t) for t in TOXIC_SEEDS[:10]}  # a third of leetspeak
    flagged |= {fullwidth(t) for t in BENIGN_SEEDS[:3]}  # false positives
    result = evasion_check(_exact_scorer(flagged), THRESHOLDS)
    per = result["per_obfuscation"]
    assert result["original"] == {"toxic_flagged": 1.0, "benign_flagged": 0.0}
    assert per["zero_width"]["toxic_flagged"] == 1.0
    assert per["leetspeak"]["toxic_flagged"] == pytest.approx(10 / len(TOXIC_SEEDS))
    assert per["leetspeak"]["toxic_flagged_original"] == 1.0
    assert per["fullwidth"]["toxic_flagged"] == 0.0
    assert per["fullwidth"]["benign_flagged"] == pytest.approx(3 / len(BENIGN_SEEDS))
    assert per["spaced_letters"]["benign_flagged"] == 0.0
    assert per["leetspeak"]["missed"][0]["seed"] == TOXIC_SEEDS[10]
    assert result["worst"]["toxic_flagged"] == 0.0
    markdown = evasion_markdown(result)
    assert "| zero_width |" in markdown
    assert "\\u202e" in markdown  # the override is shown escaped, not applied
    assert RIGHT_TO_LEFT_OVERRIDE not in markdown


def test_thresholds_decide_what_is_flagged() -> None:
    scorer = _exact_scorer(set(TOXIC_SEEDS))
    strict = evasion_check(scorer, {**THRESHOLDS, "toxic": 0.95})
    assert strict["original"]["toxic_flagged"] == 0.0
