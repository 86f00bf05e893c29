"""The model comparison on made-up data: every candidate assessed the same way, files written."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from classifier.artifacts import load_model, write_artifact
from classifier.cascade import CascadeBackend, combine_stages
from classifier.labels import LABELS
from classifier.linear import train_linear
from training.compare import compare
from training.datasets import LabeledSet
from training.pipeline import PreparedData
from training.splits import DedupeReport, Split

INSULTS = ["stupid", "pathetic", "useless", "dumb", "worthless", "clueless"]
NOUNS = ["idiot", "moron", "loser", "clown", "fool", "jerk"]
THINGS = ["photo", "recipe", "article", "garden", "concert", "lecture", "edit", "draft"]
GOOD = ["lovely", "helpful", "great", "clear", "interesting", "nice"]


def _set(seed: int, *, natural: bool) -> LabeledSet:
    rng = np.random.default_rng(seed)
    toxic = [f"you are a {a} {n} {seed}" for a, n in itertools.product(INSULTS, NOUNS)]
    benign = [f"the {t} was {g} thanks {seed}" for t, g in itertools.product(THINGS, GOOD)]
    texts = toxic + benign
    labels = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
    labels[: len(toxic), LABELS.index("toxic")] = 1
    labels[: len(toxic), LABELS.index("insult")] = 1
    labels[: len(toxic), 1] = np.nan  # severe_toxic unknown on the toxic rows
    order = rng.permutation(len(texts))
    return LabeledSet(
        texts=[texts[i] for i in order],
        labels=labels[order],
        sources=["madeup"] * len(texts),
        natural=[natural] * len(texts),
    )


@pytest.fixture(scope="module")
def prepared() -> PreparedData:
    parts = {Split.TRAIN: _set(1, natural=False), Split.VALIDATION: _set(2, natural=True)}
    parts[Split.HOLDOUT] = _set(3, natural=True)
    everything = LabeledSet.concat(list(parts.values()))
    return PreparedData(Path("."), everything, everything, DedupeReport(), [], parts)


def test_every_candidate_is_assessed_on_the_same_rows(
    prepared: PreparedData, tmp_path: Path
) -> None:
    train = prepared.train
    linear = train_linear(train.texts, train.labels, progress=False)
    other = train_linear(train.texts, train.labels, progress=False, c=0.1)
    dirs = {}
    for name, backend in (("linear", linear), ("other", other)):
        dirs[name] = tmp_path / name
        write_artifact(dirs[name], backend, thresholds={}, metrics={}, training_summary={})
    # A short window, so that the compared cascade reads these short texts in windows too.
    cascade = CascadeBackend(linear, other, gates=np.full(len(LABELS), 0.3), gate_window=3)
    dirs["cascade"] = tmp_path / "cascade"
    write_artifact(dirs["cascade"], cascade, thresholds={}, metrics={}, training_summary={})

    out = tmp_path / "report"
    results = compare(
        linear_dir=dirs["linear"],
        transformer_dir=dirs["other"],
        cascade_dir=dirs["cascade"],
        out=out,
        prepared=prepared,
        log=lambda _message: None,
    )
    assert set(results["candidates"]) == {"linear", "transformer", "ensemble", "cascade"}
    for name, result in results["candidates"].items():
        assert result["metrics"]["rows"] == len(prepared.holdout), name
        assert result["metrics"]["pooled"]["toxic"]["roc_auc"] > 0.9, name
        assert result["functional"]["cases"] >= 400
        assert result["identity"]["sentences"] > 100
        assert result["comments_per_second"] > 0
        assert set(result["thresholds"]) == set(LABELS)
    # The cascade's derived scores are exactly what the cascade backend returns.
    loaded = load_model(dirs["cascade"])
    backend_scores = loaded.predict_proba(prepared.holdout.texts)
    table = (out / "comparison.md").read_text()
    assert "| madeup |" in table
    assert "threat_direct" in table
    assert json.loads((out / "comparison.json").read_text())["holdout_rows"] == len(
        prepared.holdout
    )
    sweep = results["gate_sweep"]
    assert sweep[0]["natural_settled_share"] == 0.0  # the transformer alone
    assert {r["rule"] for r in sweep[1:]} == {"per-label", "shared"}
    for r in sweep[1:]:
        assert 0.0 <= r["positives_settled_share"] <= 1.0
    assert "Cascade gates" in table
    assert (out / "roc_toxic.png").stat().st_size > 1000
    assert (out / "functional.png").stat().st_size > 1000
    # Saved scores stand in for scoring a model again, and must fit the splits.
    from training.pipeline import save_split_scores

    saved = tmp_path / "saved"
    save_split_scores(
        saved,
        validation=other.predict_proba(prepared.validation.texts),
        holdout=other.predict_proba(prepared.holdout.texts),
    )
    again = compare(
        linear_dir=dirs["linear"],
        transformer_dir=dirs["other"],
        cascade_dir=None,
        out=tmp_path / "again",
        prepared=prepared,
        log=lambda _message: None,
        saved_scores={"transformer": saved},
    )
    assert (
        again["candidates"]["transformer"]["metrics"]
        == results["candidates"]["transformer"]["metrics"]
    )
    save_split_scores(saved, holdout=np.zeros((3, len(LABELS)), dtype=np.float32))
    with pytest.raises(ValueError, match="do not fit"):
        compare(
            linear_dir=dirs["linear"],
            transformer_dir=dirs["other"],
            cascade_dir=None,
            out=tmp_path / "bad",
            prepared=prepared,
            log=lambda _message: None,
            saved_scores={"transformer": saved},
        )
    first = cascade.first_scores(prepared.holdout.texts)  # read in windows of 3 words
    assert (first >= linear.predict_proba(prepared.holdout.texts) - 1e-6).all()
    second = other.predict_proba(prepared.holdout.texts)
    settled = cascade.settled(first)
    np.testing.assert_allclose(
        backend_scores, combine_stages(first, second, settled, cascade.gates), atol=1e-6
    )
    # ... which the comparison derives from both models' saved scores.
    derived = results["candidates"]["cascade"]["metrics"]["pooled"]["toxic"]["roc_auc"]
    known = ~np.isnan(prepared.holdout.labels[:, 0])
    assert derived == pytest.approx(
        roc_auc_score(prepared.holdout.labels[known, 0], backend_scores[known, 0]), abs=1e-6
    )
