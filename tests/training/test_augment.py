from __future__ import annotations

import re

import numpy as np

from classifier.labels import LABELS
from classifier.text import normalize_text
from training.augment import (
    GROUPS,
    SOURCE,
    contrast_rows,
    identity_rows,
    load_templates,
    threat_rows,
)
from training.functional import load_functional_suite
from training.identity import identity_sentences

SHINGLE = 6


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", normalize_text(text).casefold())


def _shingles(texts: list[str]) -> set[tuple[str, ...]]:
    runs: set[tuple[str, ...]] = set()
    for text in texts:
        words = _words(text)
        runs.update(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))
    return runs


def _assert_disjoint(augmentation: list[str], evaluation: list[str]) -> None:
    normalised = {" ".join(_words(t)) for t in augmentation}
    assert not [t for t in evaluation if " ".join(_words(t)) in normalised]
    shared = _shingles(augmentation) & _shingles(evaluation)
    assert not shared, sorted(shared)[:10]


def test_identity_rows_are_all_zero_and_threat_rows_are_threats() -> None:
    data = load_templates()
    n_identity = len(identity_rows())
    n_threats = len(threat_rows())
    assert set(data.sources) == {SOURCE}
    assert data.labels.dtype == np.float32
    assert (data.labels[:n_identity] == 0).all()
    threats = data.labels[n_identity : n_identity + n_threats]
    assert (threats[:, LABELS.index("toxic")] == 1).all()
    assert (threats[:, LABELS.index("threat")] == 1).all()
    for label in ("obscene", "insult", "identity_hate"):
        assert np.isnan(threats[:, LABELS.index(label)]).all()
    severe = threats[:, LABELS.index("severe_toxic")]
    assert 0 < (severe == 1).sum() < len(threats) / 2
    assert np.isnan(severe[severe != 1]).all()


def test_contrast_rows_label_the_frame_not_the_words() -> None:
    data = load_templates()
    contrast = contrast_rows()
    labels = data.labels[len(data.texts) - len(contrast) :]
    hateful = np.array([is_hate for _, is_hate in contrast])
    assert 0.3 < hateful.mean() < 0.7
    for label in ("toxic", "identity_hate"):
        assert (labels[hateful, LABELS.index(label)] == 1).all()
    assert np.isnan(labels[hateful, LABELS.index("threat")]).all()
    assert (labels[~hateful] == 0).all()
    # the same claim appears asserted (hate) and negated or quoted (harmless)
    texts = dict(contrast)
    claim = "born criminals"
    assert {v for t, v in texts.items() if claim in t} == {True, False}


def test_sizes_and_breadth() -> None:
    assert 2_000 <= len(identity_rows()) <= 4_000
    assert 600 <= len(threat_rows()) <= 1_200
    assert len(GROUPS) >= 30
    assert len({g.kind for g in GROUPS}) >= 7
    texts = load_templates().texts
    assert len(set(texts)) == len(texts)
    # every group is named in a harmless row
    harmless = " ".join(identity_rows())
    assert all(g.adjective in harmless for g in GROUPS)


def test_deterministic() -> None:
    first, second = load_templates(), load_templates()
    assert first.texts == second.texts
    assert np.array_equal(first.labels, second.labels, equal_nan=True)


def test_no_text_or_six_word_run_shared_with_the_identity_check() -> None:
    _assert_disjoint(load_templates().texts, [s for _, s in identity_sentences()])


def test_no_text_or_six_word_run_shared_with_the_functional_suite() -> None:
    _assert_disjoint(load_templates().texts, [case.text for case in load_functional_suite()])
