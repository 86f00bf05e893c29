"""The transformer backend on a tiny random BERT: training, chunking, artifacts, explanations."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from classifier.artifacts import ArtifactError, load_model, write_artifact  # noqa: E402
from classifier.cascade import CascadeBackend, choose_gates  # noqa: E402
from classifier.labels import LABELS  # noqa: E402
from classifier.linear import LinearBackend  # noqa: E402
from classifier.transformer import TransformerBackend, train_transformer  # noqa: E402
from tests.classifier.conftest import _corpus  # noqa: E402
from tests.classifier.tiny_transformer import build_tiny_base  # noqa: E402

TOXIC = LABELS.index("toxic")


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """A tiny model is fastest on one thread, and leaves the other core to the rest."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_base(tmp_path_factory.mktemp("tiny-bert") / "base")


def _train(base: Path, **options: object) -> TransformerBackend:
    texts, labels = _corpus()
    settings: dict[str, object] = {
        "base_model": str(base),
        "epochs": 60,
        "batch_size": 4,
        "learning_rate": 1e-2,
        "max_length": 16,
        "stride": 4,
        "progress": False,
        "validation": (texts, labels),
    }
    settings.update(options)
    return train_transformer(texts, labels, **settings)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def trained(tiny_base: Path) -> TransformerBackend:
    return _train(tiny_base)


def _toxic_separation(backend: TransformerBackend) -> float:
    from sklearn.metrics import roc_auc_score

    texts, labels = _corpus()
    return float(roc_auc_score(labels[:, TOXIC], backend.predict_proba(texts)[:, TOXIC]))


def test_full_fine_tuning_learns_the_training_texts(trained: TransformerBackend) -> None:
    assert _toxic_separation(trained) >= 0.9
    proba = trained.predict_proba(["you stupid idiot", ""])
    assert proba.shape == (2, len(LABELS))
    assert proba.dtype == np.float32
    assert ((proba >= 0) & (proba <= 1)).all()
    # severe_toxic is never known positive in the corpus: predicted as a constant prior
    assert np.isnan(trained.constants).sum() < len(LABELS)


def test_lora_fine_tuning_learns_and_merges(tiny_base: Path) -> None:
    backend = _train(tiny_base, lora=True, learning_rate=3e-2)
    assert _toxic_separation(backend) >= 0.8
    names = [name for name, _ in backend.model.named_parameters()]
    assert not any("lora" in name for name in names)  # merged into plain weights


def test_long_text_is_split_into_overlapping_windows_and_maxed(
    trained: TransformerBackend,
) -> None:
    clean = "thank you for the helpful edit " * 40
    ids, owners = trained.windows([clean, "short"])
    assert owners.count(0) > 5
    assert owners.count(1) == 1
    assert max(len(window) for window in ids) <= trained.max_length
    first, second = ids[0], ids[1]
    overlap = trained.stride
    assert first[-1 - overlap : -1] == second[1 : 1 + overlap]
    # the abusive tail lies far past the first window: it must still move the score
    tail = trained.predict_proba([clean, clean + " you stupid idiot moron"])
    assert tail[1, TOXIC] > tail[0, TOXIC]
    # per label, the text's logit is the maximum over its windows
    long_text = clean + " you stupid idiot moron"
    ids, _ = trained.windows([long_text])
    window_texts = [trained.tokenizer.decode(w, skip_special_tokens=True) for w in ids]
    per_window = trained.raw_logits(window_texts)
    np.testing.assert_allclose(
        trained.raw_logits([long_text])[0], per_window.max(axis=0), atol=1e-4
    )


def test_artifact_round_trip_and_schema_check(tmp_path: Path, trained: TransformerBackend) -> None:
    out = tmp_path / "transformer-model"
    manifest = write_artifact(
        out, trained, thresholds={"toxic": 0.3}, metrics={}, training_summary={"rows": 20}
    )
    assert manifest.backend == "transformer"
    assert (out / "transformer" / "model.safetensors").is_file()
    assert not list(out.rglob("*.bin"))
    assert not list(out.rglob("*.pt"))
    sample = ["you stupid idiot", "nice photo of the garden today", "", "x " * 500]
    loaded = load_model(out)
    np.testing.assert_allclose(
        loaded.predict_proba(sample), trained.predict_proba(sample), atol=1e-6
    )
    raw = json.loads((out / "manifest.json").read_text())
    raw["labels"] = [*LABELS[:-1], "hate"]
    (out / "manifest.json").write_text(json.dumps(raw))
    with pytest.raises(ArtifactError, match="label schema"):
        load_model(out)


def test_int8_quantisation_scores_close_to_float(trained: TransformerBackend) -> None:
    quantized = TransformerBackend(
        trained.model,
        trained.tokenizer,
        calibration=trained.calibration,
        constants=trained.constants,
        max_length=trained.max_length,
        stride=trained.stride,
        quantization="dynamic-int8",
    )
    texts, _ = _corpus()
    diff = np.abs(quantized.predict_proba(texts) - trained.predict_proba(texts))
    assert diff.max() < 0.2
    assert _toxic_separation(quantized) >= 0.8


def test_per_token_int8_scores_a_text_the_same_alone_and_in_any_batch(
    trained: TransformerBackend, tmp_path: Path
) -> None:
    from classifier.transformer import PerTokenInt8Linear

    per_token = trained.with_weights_dtype("float32", quantization="per-token-int8")
    assert per_token.quantization == "per-token-int8"
    texts, _ = _corpus()
    assert np.abs(per_token.predict_proba(texts) - trained.predict_proba(texts)).max() < 0.05
    assert _toxic_separation(per_token) >= 0.8
    alone = np.vstack([per_token.predict_proba([text]) for text in texts])
    # Batched with a long text of loud, unusual tokens that would set a shared scale.
    loud = "ZZZZ QQQQ !!!! " * 40
    batched = per_token.predict_proba([*texts, loud])[:-1]
    np.testing.assert_allclose(batched, alone, atol=1e-4)

    # The layer itself: close to float, and a row's result depends on that row alone.
    torch.manual_seed(0)
    linear = torch.nn.Linear(32, 8)
    layer = PerTokenInt8Linear(linear)
    rows = torch.randn(5, 32)
    with torch.no_grad():
        close = (layer(rows) - linear(rows)).abs().max() / linear(rows).abs().max()
        assert float(close) < 0.03
        with_outlier = torch.cat([rows, 1000 * torch.randn(1, 32)])
        assert torch.equal(layer(with_outlier)[:5], layer(rows))
        assert layer(rows.reshape(5, 1, 32)).shape == (5, 1, 8)

    # Stored with its setting, and read back scoring the same.
    (tmp_path / "pt").mkdir()
    per_token.write_files(tmp_path / "pt")
    again = TransformerBackend.read(tmp_path / "pt")
    assert again.quantization == "per-token-int8"
    np.testing.assert_allclose(
        again.predict_proba(texts), per_token.predict_proba(texts), atol=1e-6
    )


def test_occlusion_explanations_point_into_the_original_text(
    tmp_path: Path, trained: TransformerBackend
) -> None:
    out = tmp_path / "model"
    write_artifact(out, trained, thresholds={}, metrics={}, training_summary={})
    model = load_model(out)
    text = "Thanks  for the HELPFUL edit you   stupid idiot"
    explanation = model.explain(text, top_k=3)
    toxic = explanation["toxic"]
    assert toxic, "removing the insults must lower the toxic score"
    for span in toxic:
        assert text[span["start"] : span["end"]] == span["text"]  # type: ignore[misc]
    # a weight is the drop in the calibrated logit when that word is left out
    backend = model.backend
    assert isinstance(backend, TransformerBackend)
    top = toxic[0]
    without = text[: top["start"]] + " " + text[top["end"] :]  # type: ignore[misc]
    drop = backend.calibrated_logits([text]) - backend.calibrated_logits([without])
    assert top["weight"] == pytest.approx(float(drop[0, TOXIC]), abs=1e-4)
    batch = model.explain_many([text, text], labels_per_text=[["toxic"], []])
    assert batch[0]["toxic"]
    assert not batch[0]["insult"]
    assert not any(batch[1].values())


def test_resume_from_checkpoint_continues_instead_of_restarting(
    tmp_path: Path, tiny_base: Path
) -> None:
    checkpoint = tmp_path / "checkpoint"
    _train(tiny_base, epochs=2, checkpoint_dir=checkpoint)
    assert json.loads((checkpoint / "progress.json").read_text())["step"] == 10
    messages: list[str] = []
    _train(tiny_base, epochs=2, checkpoint_dir=checkpoint, log=messages.append)
    assert any("resuming from checkpoint at step 10/10" in m for m in messages)
    _train(tiny_base, epochs=3, checkpoint_dir=checkpoint, log=messages.append)
    assert any("starting over" in m for m in messages)


def test_float16_weights_halve_the_artifact_and_score_as_evaluated(
    tmp_path: Path, trained: TransformerBackend
) -> None:
    half = trained.with_weights_dtype("float16")
    full_dir, half_dir = tmp_path / "full", tmp_path / "half"
    for out, backend in ((full_dir, trained), (half_dir, half)):
        write_artifact(out, backend, thresholds={}, metrics={}, training_summary={})
    weights = Path("transformer") / "model.safetensors"
    assert (half_dir / weights).stat().st_size < 0.6 * (full_dir / weights).stat().st_size
    sample = ["you stupid idiot", "nice photo of the garden today"]
    # Rounded when built: what was evaluated in memory is exactly what loads from disk.
    np.testing.assert_array_equal(
        load_model(half_dir).predict_proba(sample), half.predict_proba(sample)
    )
    np.testing.assert_allclose(half.predict_proba(sample), trained.predict_proba(sample), atol=0.02)
    with pytest.raises(ValueError, match="weights_dtype"):
        TransformerBackend(
            trained.model,
            trained.tokenizer,
            calibration=trained.calibration,
            constants=trained.constants,
            max_length=16,
            stride=4,
            weights_dtype="int4",
        )


def test_int8_embeddings_shrink_the_artifact_further_and_score_as_evaluated(
    tmp_path: Path, trained: TransformerBackend
) -> None:
    half = trained.with_weights_dtype("float16")
    small = trained.with_weights_dtype("float16-int8-embeddings")
    for name, backend in (("half", half), ("small", small)):
        write_artifact(tmp_path / name, backend, thresholds={}, metrics={}, training_summary={})
    weights = Path("transformer") / "model.safetensors"
    half_size = (tmp_path / "half" / weights).stat().st_size
    small_size = (tmp_path / "small" / weights).stat().st_size
    embedding = trained.model.get_input_embeddings().weight  # type: ignore[operator]
    saved = embedding.numel()  # one byte per value instead of two, less a scale per row
    assert small_size <= half_size - saved + 2 * embedding.shape[0] + 1024
    sample = ["you stupid idiot", "nice photo of the garden today"]
    loaded = load_model(tmp_path / "small")
    assert getattr(loaded.backend, "weights_dtype", None) == "float16-int8-embeddings"
    np.testing.assert_array_equal(loaded.predict_proba(sample), small.predict_proba(sample))
    np.testing.assert_allclose(
        small.predict_proba(sample), trained.predict_proba(sample), atol=0.02
    )
    # A file without the int8 table is refused, not loaded with random embeddings.
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(tmp_path / "small" / weights))
    for key in [k for k in tensors if k.endswith(".int8")]:
        del tensors[key]
    save_file(tensors, str(tmp_path / "broken.safetensors"))
    from classifier.transformer import _load_int8_embeddings

    with pytest.raises(ValueError, match="int8 word-embedding table is missing"):
        _load_int8_embeddings(copy.deepcopy(trained.model), tmp_path / "broken.safetensors")


def test_cascade_settles_benign_texts_with_the_first_stage_and_round_trips(
    tmp_path: Path, trained: TransformerBackend, tiny_backend: LinearBackend
) -> None:
    texts, labels = _corpus()
    first_scores = tiny_backend.predict_proba(texts)
    gate_labels = np.where(np.isnan(labels), labels[:, [TOXIC]], labels)  # every label known
    gates = choose_gates(first_scores, gate_labels, max_settled_positives=0.0)
    # The tiny linear model cannot learn these two (no positive rows): it predicts 0 for every
    # text, so they say nothing either way.
    gates[[LABELS.index("severe_toxic"), LABELS.index("identity_hate")]] = 1.0
    cascade = CascadeBackend(tiny_backend, trained, gates=gates)
    scores = cascade.predict_proba(texts)
    settled = cascade.settled(first_scores)
    toxic_rows = labels[:, TOXIC] == 1
    assert settled.any()
    assert not settled[toxic_rows].any()  # no positive is settled at a 0 % budget
    ceiling = cascade.settled_ceiling
    assert ceiling is not None
    # Settled rows keep the first stage's order, below the ceiling; escalated ones sit above it.
    assert scores[settled].max() < ceiling
    np.testing.assert_allclose(
        scores[settled], first_scores[settled] / gates * ceiling * (1 - 1e-6), rtol=1e-5
    )
    np.testing.assert_allclose(
        scores[~settled],
        ceiling
        + (1 - ceiling)
        * trained.predict_proba([t for t, s in zip(texts, settled, strict=True) if not s]),
        atol=1e-6,
    )
    assert cascade.escalated == int((~settled).sum())

    out = tmp_path / "cascade"
    manifest = write_artifact(out, cascade, thresholds={}, metrics={}, training_summary={})
    assert manifest.backend == "cascade"
    assert manifest.version.startswith("cascade-")
    assert {
        "cascade.json",
        "first/linear_weights.npz",
        "second/transformer/model.safetensors",
    } <= set(manifest.files)
    loaded = load_model(out)
    assert loaded.can_explain
    np.testing.assert_allclose(loaded.predict_proba(texts), scores, atol=1e-6)
    spans = loaded.explain("you are a stupid idiot")["insult"]
    assert spans
    assert spans[0]["text"] in {"stupid", "idiot"}
    # A tampered stage file fails its checksum like any other weight file.
    (out / "first" / "linear_weights.npz").write_bytes(b"not weights")
    with pytest.raises(ArtifactError, match="checksum"):
        load_model(out)


def test_gates_settle_at_most_the_stated_share_of_positives() -> None:
    rng = np.random.default_rng(0)
    labels = np.zeros((1000, len(LABELS)), dtype=np.float32)
    labels[:200] = 1
    labels[:, LABELS.index("threat")] = np.nan  # no known row: never settles on it
    scores = rng.random((1000, len(LABELS))).astype(np.float32)
    gates = choose_gates(scores, labels, max_settled_positives=0.05)
    toxic_positive = scores[:200, TOXIC]
    assert (toxic_positive < gates[TOXIC]).mean() <= 0.05
    assert (toxic_positive < gates[TOXIC]).sum() == 10
    assert gates[LABELS.index("threat")] == 0.0


def test_a_shared_gate_budgets_rows_positive_on_any_label() -> None:
    rng = np.random.default_rng(1)
    labels = np.zeros((1000, len(LABELS)), dtype=np.float32)
    threat = LABELS.index("threat")
    labels[:100, TOXIC] = 1
    labels[100:150, threat] = 1  # threats the first model scores low on `threat` ...
    scores = rng.random((1000, len(LABELS))).astype(np.float32) * 0.5
    scores[100:150, threat] = 0.001
    scores[100:150, TOXIC] = 0.9  # ... but high on `toxic`: still escalated
    gates = choose_gates(scores, labels, max_settled_positives=0.04, rule="shared")
    assert len(set(gates.tolist())) == 1
    positive = np.asarray(labels.max(axis=1) == 1, dtype=bool)
    settled = np.asarray((scores < gates[None, :]).all(axis=1), dtype=bool)
    assert settled[positive].sum() == 6  # floor(4 % of 150)
    assert not settled[100:150].any()
    assert settled[~positive].mean() > 0.05  # benign text is settled
    per_label = choose_gates(scores, labels, max_settled_positives=0.04)
    assert per_label[threat] <= 0.001 + 1e-6  # the per-label rule hardly settles anything
    with pytest.raises(ValueError, match="gate rule"):
        choose_gates(scores, labels, rule="median")


def test_a_damaged_checkpoint_is_a_clear_error_not_a_half_trained_model(
    tmp_path: Path, tiny_base: Path
) -> None:
    from classifier.transformer import CheckpointError

    checkpoint = tmp_path / "checkpoint"
    _train(tiny_base, epochs=2, checkpoint_dir=checkpoint)
    assert not list(checkpoint.glob("*.tmp"))
    weights = checkpoint / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])  # killed mid-write
    with pytest.raises(CheckpointError, match="damaged"):
        _train(tiny_base, epochs=2, checkpoint_dir=checkpoint)
    # Files from two different saves (a kill between the moves) are refused the same way.
    _train(tiny_base, epochs=2, checkpoint_dir=tmp_path / "other")
    progress = json.loads((checkpoint / "progress.json").read_text())
    (checkpoint / "progress.json").write_text(json.dumps({**progress, "step": 4}))
    (checkpoint / "model.safetensors").write_bytes(
        (tmp_path / "other" / "model.safetensors").read_bytes()
    )
    with pytest.raises(CheckpointError, match="steps"):
        _train(tiny_base, epochs=2, checkpoint_dir=checkpoint)
    (checkpoint / "progress.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"progress\.json"):
        _train(tiny_base, epochs=2, checkpoint_dir=checkpoint)


def test_row_weights_decide_between_conflicting_labels(tiny_base: Path) -> None:
    texts, labels = _corpus()
    disputed = "that remark about the referee"
    both = [*texts, disputed, disputed]
    rows = np.vstack([labels, np.full((2, len(LABELS)), np.nan)])
    rows[-2, TOXIC], rows[-1, TOXIC] = 1.0, 0.0

    def disputed_score(weight_positive: float, weight_negative: float) -> float:
        weights = [1.0] * len(texts) + [weight_positive, weight_negative]
        backend = train_transformer(
            both,
            rows,
            base_model=str(tiny_base),
            epochs=30,
            batch_size=4,
            learning_rate=1e-2,
            max_length=16,
            stride=4,
            progress=False,
            sample_weight=weights,
        )
        return float(backend.predict_proba([disputed])[0, TOXIC])

    assert disputed_score(4.0, 0.25) > disputed_score(0.25, 4.0) + 0.2


def test_row_weights_must_be_one_finite_non_negative_number_per_text(tiny_base: Path) -> None:
    texts, labels = _corpus()
    for bad in ([1.0] * (len(texts) - 1), [float("nan")] * len(texts), [-1.0] * len(texts)):
        with pytest.raises(ValueError, match="sample_weight"):
            train_transformer(texts, labels, base_model=str(tiny_base), sample_weight=bad)
