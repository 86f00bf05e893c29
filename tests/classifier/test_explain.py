"""Explanations: spans in the original text, exact for the linear backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier.artifacts import LoadedModel, load_model, write_artifact
from classifier.labels import LABELS
from classifier.linear import LinearBackend
from classifier.text import align_text, normalize_text


@pytest.fixture(scope="module")
def tiny_linear_model(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    from classifier.linear import train_linear
    from tests.classifier.conftest import _corpus

    texts, labels = _corpus()
    out = tmp_path_factory.mktemp("explain") / "model"
    write_artifact(
        out,
        train_linear(texts, labels, progress=False),
        thresholds={},
        metrics={},
        training_summary={},
    )
    return load_model(out)


TRICKY = [
    "@some_user look at https://example.com/a?b=1 and www.example.org now",
    "id\u200bi\x00ot   you\tare\n\nstupid",
    "\uff33\uff34\uff35\uff30\uff29\uff24 \ufb01ne e\u0301cole",
    "  İstanbul IDIOT!!  ",
    "",
]


@pytest.mark.parametrize("text", TRICKY)
def test_alignment_reproduces_normalize_text(text: str) -> None:
    aligned = align_text(text)
    assert aligned.normalized == normalize_text(text)
    assert len(aligned.starts) == len(aligned.ends) == len(aligned.normalized)


def test_spans_point_into_the_original_text(tiny_linear_model: LoadedModel) -> None:
    text = "Hey @bob,\u200b you   are a STUPID idiot!! see https://x.example/y"
    explanation = tiny_linear_model.explain(text)
    assert set(explanation) == set(LABELS)
    spans = [span for label in LABELS for span in explanation[label]]
    assert spans
    for span in spans:
        assert text[span["start"] : span["end"]] == span["text"]  # type: ignore[misc]
    words = {span["text"] for span in explanation["insult"]}
    assert {"STUPID", "idiot"} <= words


def test_planted_abusive_word_gets_the_top_weight(tiny_linear_model: LoadedModel) -> None:
    text = "the meeting is moved to friday, you moron, please add a citation"
    top = tiny_linear_model.explain(text, top_k=3)["toxic"]
    assert top[0]["text"] == "moron"
    assert top[0]["start"] == text.index("moron")
    weights = [float(span["weight"]) for span in top]  # type: ignore[arg-type]
    assert weights == sorted(weights, reverse=True)
    assert all(w > 0 for w in weights)


def test_linear_contributions_add_up_to_the_calibrated_logit(
    tiny_linear_model: LoadedModel,
) -> None:
    backend = tiny_linear_model.backend
    assert isinstance(backend, LinearBackend)
    texts = ["you stupid idiot moron", "thanks for the helpful edit, idiot", "I will hurt you"]
    aligned = [align_text(t) for t in texts]
    found = backend.contributions(aligned, [list(range(len(LABELS)))] * len(texts))
    logits = backend.decision_function([a.normalized for a in aligned])
    for contribution, logit in zip(found, logits, strict=True):
        for j in range(len(LABELS)):
            if not np.isnan(backend.constants[j]):
                assert not contribution.weights[:, j].any()
                continue
            slope = float(backend.calibration[j, 0])
            total = contribution.weights[:, j].sum() / slope + float(backend.intercept[j])
            assert total == pytest.approx(float(logit[j]), abs=1e-4)


def test_explain_many_computes_only_the_requested_labels(tiny_linear_model: LoadedModel) -> None:
    texts = ["you stupid idiot", "you stupid idiot", "nice photo"]
    results = tiny_linear_model.explain_many(
        texts, labels_per_text=[["insult"], [], ["toxic", "insult"]], top_k=2
    )
    assert results[0]["insult"]
    assert not results[0]["toxic"]
    assert all(not spans for spans in results[1].values())
    assert all(len(spans) <= 2 for spans in results[0].values())
    assert results[0]["insult"] == tiny_linear_model.explain(texts[0], top_k=2)["insult"]
    with pytest.raises(ValueError, match="unknown labels"):
        tiny_linear_model.explain_many(["x"], labels_per_text=[["rudeness"]])
    with pytest.raises(ValueError, match="entries"):
        tiny_linear_model.explain_many(["x", "y"], labels_per_text=[["toxic"]])


def test_explaining_empty_and_huge_text_does_not_crash(tiny_linear_model: LoadedModel) -> None:
    assert all(spans == [] for spans in tiny_linear_model.explain("").values())
    huge = "please add a citation " * 3000 + "idiot"
    result = tiny_linear_model.explain(huge, top_k=1)
    for spans in result.values():
        for span in spans:
            assert huge[span["start"] : span["end"]] == span["text"]  # type: ignore[misc]


def test_shipped_model_explains_flagged_words(tmp_path: Path) -> None:
    from classifier.artifacts import shipped_model_dir

    model = load_model(shipped_model_dir())
    text = "Thanks for the update. You are a pathetic idiot."
    top = model.explain(text, top_k=2)["insult"]
    assert top[0]["text"] in {"idiot", "pathetic"}


@pytest.mark.parametrize(
    "text",
    ["plain ascii, no controls", "tabs\tand\nnewlines\r\n", "caf\u00e9 d\u00e9j\u00e0 vu", *TRICKY],
)
def test_alignment_shortcut_agrees_with_the_character_passes(text: str) -> None:
    """ASCII texts skip the Unicode passes; where they do, the offsets must be the ones those
    passes would have produced."""
    from classifier.text import _strip_controls, _unicode_pieces

    aligned = align_text(text)
    assert aligned.normalized == normalize_text(text)
    if text.isascii():
        shortcut = _strip_controls([(char, i, i + 1) for i, char in enumerate(text)])
        assert _unicode_pieces(text) == shortcut
