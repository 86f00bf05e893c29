"""Rebuild the shipped default model with its recorded recipe, and ship it.

Run ``python -m training.train_default [--data DIR] [--cascade-first DIR] [--cascade-second DIR]``.

The recipe is :data:`DEFAULT_RECIPE`, the same options as the one command in ``docs/model.md``
(``manage.py train --backend cascade ...``): :func:`training.pipeline.train_model` trains (or,
with ``--cascade-first``/``--cascade-second``, reuses) both stages, chooses thresholds for
natural traffic and writes the artifact and its report; this module then moves the artifact to
``classifier/models/<version>/`` in place of the one shipped before. The transformer stage
resumes from ``var/checkpoints/transformer`` when a run with the same data and settings was
interrupted (about an hour of fine-tuning on a 2-core CPU).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from classifier.artifacts import MANIFEST_NAME, SHIPPED_MODELS_DIR
from training.pipeline import TrainOptions, train_model

#: The shipped default's recipe (docs/model.md gives the same as one ``manage.py train``).
DEFAULT_RECIPE: Final = TrainOptions(
    backend="cascade",
    max_rows_per_source=6000,
    # Threat and severe_toxic positives are few; the per-source cap keeps all of them.
    keep_positives=("threat", "severe_toxic"),
    epochs=1.0,
    batch_size=32,
    max_length=64,
    learning_rate=6e-5,
    weights_dtype="float16-int8-embeddings",
    # Every token its own int8 scale: a text scores the same alone and in any batch.
    quantize="per-token-int8",
    cascade_gate_rule="shared",
    cascade_max_settled=0.01,
    # A long comment with one insult in it is escalated, not diluted and settled.
    cascade_gate_window=64,
    # The contrast sets and the Wikipedia talk comments count more in the transformer's loss
    # (the linear stage is unweighted).
    source_weights={"templates": 3.0, "dynahate": 2.0, "jigsaw_train": 2.0, "wikipedia_cat": 2.0},
)


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.train_default", description=__doc__)
    parser.add_argument("--data", type=Path, help="data directory (default ../shared/data)")
    parser.add_argument("--cascade-first", type=Path, help="reuse this linear artifact")
    parser.add_argument("--cascade-second", type=Path, help="reuse this transformer artifact")
    args = parser.parse_args(argv)
    options = dataclasses.replace(
        DEFAULT_RECIPE,
        data_dir=args.data,
        cascade_first=args.cascade_first,
        cascade_second=args.cascade_second,
    )
    result = train_model(options, log=_log)
    target = SHIPPED_MODELS_DIR / result["version"]
    older = [
        p for p in SHIPPED_MODELS_DIR.iterdir() if (p / MANIFEST_NAME).is_file() and p != target
    ]
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(result["out_dir"], target)
    for path in older:
        shutil.rmtree(path)
    _log(f"shipped {result['version']} -> {target} ({result['size_bytes'] / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
