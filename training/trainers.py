"""How each registered backend is trained: one function per name in :data:`TRAINERS`.

Every trainer takes the run's options and the prepared (deduplicated, split) data, samples its
training rows as the options say, and returns a backend that
:func:`classifier.artifacts.write_artifact` can store. ``manage.py train`` and ``retrain`` offer
exactly the names registered here, so a new backend is trained by adding its function and one
line below (and its artifact files by one line in :mod:`classifier.registry`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from training.pipeline import PreparedData, TrainOptions

Log = Callable[[str], None]
Trainer = Callable[["TrainOptions", "PreparedData", Log], Any]

PROJECT_ROOT: Final = Path(__file__).resolve().parents[1]
DEFAULT_CHECKPOINT_DIR: Final = PROJECT_ROOT / "var" / "checkpoints"


def _row_weights(options: TrainOptions, sources: Sequence[str]) -> list[float] | None:
    """Each training row's weight from ``--source-weight`` (None when no source is weighted)."""
    if not options.source_weights:
        return None
    return [options.source_weights.get(source, 1.0) for source in sources]


def train_linear_backend(options: TrainOptions, prepared: PreparedData, log: Log) -> Any:
    from classifier.linear import train_linear
    from training.pipeline import training_rows

    train, validation = training_rows(options, prepared), prepared.validation
    return train_linear(
        train.texts,
        train.labels,
        validation=(validation.texts, validation.labels),
        progress=options.progress,
        random_state=options.seed,
        word_max_features=options.word_max_features,
        char_max_features=options.char_max_features,
        c=options.c,
        sample_weight=_row_weights(options, train.sources),
        log=log,
    )


def train_transformer_backend(options: TrainOptions, prepared: PreparedData, log: Log) -> Any:
    from classifier.transformer import train_transformer
    from training.pipeline import training_rows

    train, validation = training_rows(options, prepared), prepared.validation
    checkpoint = options.checkpoint_dir or DEFAULT_CHECKPOINT_DIR / "transformer"
    backend = train_transformer(
        train.texts,
        train.labels,
        validation=(validation.texts, validation.labels),
        base_model=options.base_model,
        epochs=options.epochs,
        batch_size=options.batch_size,
        learning_rate=options.learning_rate,
        max_length=options.max_length,
        stride=options.max_length // 4 if options.stride is None else options.stride,
        lora=options.lora,
        sample_weight=_row_weights(options, train.sources),
        seed=options.seed,
        checkpoint_dir=checkpoint,
        progress=options.progress,
        log=log,
    )
    if options.quantize or options.weights_dtype != "float32":
        backend = backend.with_weights_dtype(options.weights_dtype, quantization=options.quantize)
    return backend


def train_cascade_backend(options: TrainOptions, prepared: PreparedData, log: Log) -> Any:
    """The first stage (a linear model) and the second (a transformer), each loaded from
    ``options.cascade_first`` / ``cascade_second`` when given and trained otherwise; the gates
    come from the first stage's validation scores (:func:`classifier.cascade.choose_gates`).

    The first stage trains on every training row (it is cheap); ``max_rows_per_source``,
    ``max_rows`` and ``source_weights`` sample and weight the second stage's rows only (the first
    stage only has to settle the clearly benign)."""
    import dataclasses

    from classifier.artifacts import load_model
    from classifier.cascade import CascadeBackend, choose_gates, windowed_scores

    def stage(path: Path | None, trainer: Trainer, what: str, stage_options: Any) -> Any:
        if path is not None:
            backend = load_model(path).backend
            if isinstance(backend, CascadeBackend):  # reuse that cascade's stage of the same rank
                log(f"cascade {what} stage: the {what} stage of the cascade {path}")
                return backend.first if what == "first" else backend.second
            log(f"cascade {what} stage: {path}")
            return backend
        log(f"cascade {what} stage: training it")
        return trainer(stage_options, prepared, log)

    everything = dataclasses.replace(
        options, max_rows=None, max_rows_per_source=None, source_weights={}
    )
    first = stage(options.cascade_first, train_linear_backend, "first", everything)
    second = stage(options.cascade_second, train_transformer_backend, "second", options)
    stored_as = getattr(second, "weights_dtype", None)
    if options.cascade_second is not None and stored_as is not None:
        # A reused transformer is stored and quantized as asked (never widened to float32 from
        # something narrower, never left unquantized for want of --quantize): one rebuild.
        dtype = stored_as if options.weights_dtype == "float32" else options.weights_dtype
        quantized_as = second.quantization
        quantization = options.quantize or quantized_as
        if (dtype, quantization) != (stored_as, quantized_as):
            log(
                f"cascade second stage: stored as {dtype}, quantized {quantization} "
                f"(was {stored_as}, {quantized_as})"
            )
            second = second.with_weights_dtype(dtype, quantization=quantization)
    validation = prepared.validation
    first_scores = windowed_scores(first, validation.texts, options.cascade_gate_window)
    gates = choose_gates(
        first_scores,
        validation.labels,
        max_settled_positives=options.cascade_max_settled,
        rule=options.cascade_gate_rule,
    )
    cascade = CascadeBackend(first, second, gates=gates, gate_window=options.cascade_gate_window)
    settled = float(cascade.settled(first_scores).mean()) if len(validation) else 0.0
    natural = [i for i, n in enumerate(validation.natural) if n]
    settled_natural = float(cascade.settled(first_scores[natural]).mean()) if natural else None
    cascade.info = {
        "first": {"backend": first.name, "info": getattr(first, "info", {})},
        "second": {"backend": second.name, "info": getattr(second, "info", {})},
        "gate_rule": (
            f"per label, at most {options.cascade_max_settled:.1%} of each label's validation "
            "positives settled by the first stage"
            if options.cascade_gate_rule == "per-label"
            else f"one gate for every label, at most {options.cascade_max_settled:.1%} of "
            "validation rows positive on any label settled by the first stage"
        )
        + (
            ""
            if options.cascade_gate_window is None
            else f"; the first stage reads a long text whole and in windows of "
            f"{options.cascade_gate_window} words, each label its highest score"
        ),
        "validation_settled_share": round(settled, 4),
        "natural_validation_settled_share": None
        if settled_natural is None
        else round(settled_natural, 4),
    }
    log(
        f"cascade gates {[round(float(g), 3) for g in gates]}; settles {settled:.1%} of "
        f"validation rows"
        + ("" if settled_natural is None else f", {settled_natural:.1%} of natural ones")
    )
    return cascade


#: Every trainable backend by name (the same names as :mod:`classifier.registry`'s built-ins).
TRAINERS: Final[dict[str, Trainer]] = {
    "linear": train_linear_backend,
    "transformer": train_transformer_backend,
    "cascade": train_cascade_backend,
}
