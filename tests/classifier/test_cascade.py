"""The cascade's scores: settled rows below the ceiling, escalated rows above, flags unchanged."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classifier.artifacts import load_model, write_artifact
from classifier.cascade import SETTLED_CEILING, CascadeBackend, combine_stages
from classifier.labels import LABELS
from classifier.linear import LinearBackend
from tests.classifier.conftest import _corpus

N = len(LABELS)


def test_settled_rows_rank_below_every_escalated_row_and_keep_their_order() -> None:
    gates = np.full(N, 0.2)
    first = np.array([[0.05] * N, [0.15] * N, [0.9] * N, [0.3] * N])
    second = np.array([[0.9] * N, [0.9] * N, [0.0] * N, [0.02] * N])
    settled = (first < gates).all(axis=1)
    scores = combine_stages(first, second, settled, gates)

    assert settled.tolist() == [True, True, False, False]
    assert scores[:2].max() < SETTLED_CEILING <= scores[2:].min()
    assert scores[0, 0] < scores[1, 0]  # the first stage's order among settled rows
    assert scores[2, 0] < scores[3, 0]  # the second stage's order among escalated rows
    # An escalated score moves by at most the ceiling: a threshold of 0.4 flags the same rows.
    np.testing.assert_allclose(scores[2:], second[2:], atol=SETTLED_CEILING * 1.001)
    assert scores.dtype == np.float32


def test_per_label_gates_scale_each_label_and_a_zero_gate_is_safe() -> None:
    gates = np.array([0.5, 0.0, 0.1, 0.1, 0.1, 0.1])
    first = np.array([[0.25, 0.0, 0.05, 0.0, 0.0, 0.1]])
    scores = combine_stages(first, np.zeros_like(first), np.array([True]), gates)
    assert np.isfinite(scores).all()
    assert scores[0, 0] == pytest.approx(0.5 * SETTLED_CEILING, rel=1e-4)
    assert scores[0, 1] == 0.0
    assert scores[0, 5] < SETTLED_CEILING


def test_without_a_ceiling_each_stage_keeps_its_raw_scores() -> None:
    first = np.array([[0.05] * N, [0.9] * N])
    second = np.array([[0.7] * N, [0.1] * N])
    scores = combine_stages(first, second, np.array([True, False]), np.full(N, 0.2), None)
    np.testing.assert_allclose(scores, [[0.05] * N, [0.1] * N])


def test_a_ceiling_outside_the_open_interval_is_refused(tiny_backend: LinearBackend) -> None:
    for bad in (0.0, -0.1, 0.5, 2.0):
        with pytest.raises(ValueError, match="settled_ceiling"):
            CascadeBackend(tiny_backend, tiny_backend, gates=np.zeros(N), settled_ceiling=bad)


def test_a_cascade_stored_before_the_ceiling_answers_as_it_did(
    tmp_path: Path, tiny_backend: LinearBackend
) -> None:
    texts, _labels = _corpus()
    gates = np.full(N, 0.5)
    current = CascadeBackend(tiny_backend, tiny_backend, gates=gates)
    write_artifact(tmp_path / "new", current, thresholds={}, metrics={}, training_summary={})
    stored: Any = load_model(tmp_path / "new").backend
    assert stored.settled_ceiling == SETTLED_CEILING

    legacy = CascadeBackend(tiny_backend, tiny_backend, gates=gates, settled_ceiling=None)
    manifest = write_artifact(
        tmp_path / "old", legacy, thresholds={}, metrics={}, training_summary={}
    )
    settings_file = tmp_path / "old" / "cascade.json"
    settings = json.loads(settings_file.read_text())
    del settings["settled_ceiling"]  # as written before the ceiling existed
    settings_file.write_text(json.dumps(settings))
    manifest_file = tmp_path / "old" / "manifest.json"
    recorded = json.loads(manifest_file.read_text())
    recorded["files"]["cascade.json"] = hashlib.sha256(settings_file.read_bytes()).hexdigest()
    manifest_file.write_text(json.dumps(recorded))

    loaded = load_model(tmp_path / "old")  # the weights hash still matches the manifest
    assert loaded.version == manifest.version
    old: Any = loaded.backend
    assert old.settled_ceiling is None
    np.testing.assert_allclose(
        loaded.predict_proba(texts), tiny_backend.predict_proba(texts), atol=1e-6
    )


def _long_comment_with_one_insult() -> str:
    benign = "thank you for the helpful edit, the article needs a better source and a citation"
    return " ".join([benign] * 8 + ["shut up you stupid idiot moron"] + [benign] * 8)


def test_windowed_scores_take_each_labels_highest_window(tiny_backend: LinearBackend) -> None:
    from classifier.cascade import windowed_scores

    text = _long_comment_with_one_insult()
    short = "you are a stupid idiot"
    whole = tiny_backend.predict_proba([text, short])
    windowed = windowed_scores(tiny_backend, [text, short], 16)
    toxic = LABELS.index("toxic")
    assert windowed[0, toxic] > whole[0, toxic] + 0.1  # the insult is no longer diluted
    assert (windowed[0] >= whole[0] - 1e-6).all()  # the whole text is one of the readings
    np.testing.assert_array_equal(windowed[1], whole[1])  # short texts are read whole only
    np.testing.assert_array_equal(windowed_scores(tiny_backend, [text], None), whole[:1])
    # The windows cover the end: the insult as the last words is found too.
    tail = " ".join([text.split("shut")[0]] * 2 + ["shut up you stupid idiot moron"])
    assert windowed_scores(tiny_backend, [tail], 16)[0, toxic] > 0.5


def test_a_gate_window_escalates_a_long_comment_the_whole_text_settles(
    tmp_path: Path, tiny_backend: LinearBackend
) -> None:
    text = _long_comment_with_one_insult()
    toxic = LABELS.index("toxic")
    gate = float(tiny_backend.predict_proba([text])[0, toxic]) + 0.05
    gates = np.full(N, gate)
    whole = CascadeBackend(tiny_backend, tiny_backend, gates=gates)
    windowed = CascadeBackend(tiny_backend, tiny_backend, gates=gates, gate_window=16)
    assert whole.settled(whole.first_scores([text])).all()
    assert not windowed.settled(windowed.first_scores([text])).any()
    assert windowed.predict_proba([text])[0, toxic] >= SETTLED_CEILING
    assert windowed.escalated == 1

    # Stored and read back with its window; a different window is a different version.
    first = write_artifact(
        tmp_path / "w16", windowed, thresholds={}, metrics={}, training_summary={}
    )
    loaded: Any = load_model(tmp_path / "w16").backend
    assert loaded.gate_window == 16
    other = CascadeBackend(tiny_backend, tiny_backend, gates=gates, gate_window=32)
    second = write_artifact(tmp_path / "w32", other, thresholds={}, metrics={}, training_summary={})
    plain = write_artifact(tmp_path / "none", whole, thresholds={}, metrics={}, training_summary={})
    assert len({first.version, second.version, plain.version}) == 3
    for bad in (0, 1, -4):
        with pytest.raises(ValueError, match="gate_window"):
            CascadeBackend(tiny_backend, tiny_backend, gates=gates, gate_window=bad)
