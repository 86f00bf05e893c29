"""The model commands: classify (streaming a file through a model), train and evaluate."""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator, Sequence
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from classifier.artifacts import load_model, read_manifest, shipped_model_dir
from classifier.labels import LABELS

SCORE_COLUMNS = [f"score_{label}" for label in LABELS]


def run(*args: Any) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), verbosity=0)
    return out.getvalue()


def test_classify_csv_with_the_active_shipped_model(db: None, tmp_path: Path) -> None:
    source = tmp_path / "comments.csv"
    source.write_text(
        'id,body,extra\n1,"you are a stupid idiot",a\n2,"thanks, that was helpful\nreally",b\n'
        "3,,c\n",
        encoding="utf-8",
    )
    out = tmp_path / "scored.csv"
    message = run(
        "classify", str(source), "--text-column", "body", "--out", str(out), "--batch-size", "2"
    )

    shipped = read_manifest(shipped_model_dir()).version
    assert f"Scored 3 rows with {shipped}" in message
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["id", "body", "extra", *SCORE_COLUMNS]
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[1]["body"] == "thanks, that was helpful\nreally"
    # Scored in batches of 2, as the command did (a quantized transformer's scores depend
    # slightly on the batch a text is scored with: dynamic int8 scales per batch).
    model = load_model(shipped_model_dir())
    bodies = [r["body"] for r in rows]
    expected = np.concatenate([model.predict_proba(bodies[i : i + 2]) for i in (0, 2)])
    for row, scores in zip(rows, expected, strict=True):
        assert [float(row[c]) for c in SCORE_COLUMNS] == pytest.approx(scores.tolist(), abs=1e-5)
    assert float(rows[0]["score_insult"]) > 0.5 > float(rows[1]["score_insult"])


def test_classify_jsonl_with_a_named_model(db: None, tmp_path: Path, tiny_model_dir: Path) -> None:
    source = tmp_path / "in.jsonl"
    records = [{"text": "shut up you moron", "n": 1}, {"text": "lovely lake photo", "n": 2}]
    source.write_text("".join(json.dumps(r) + "\n" for r in records) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run("classify", str(source), "--out", str(out), "--model", str(tiny_model_dir))
    scored = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["n"] for r in scored] == [1, 2]
    assert all(set(SCORE_COLUMNS) <= set(r) for r in scored)
    assert scored[0]["score_toxic"] > scored[1]["score_toxic"]


@pytest.mark.parametrize(
    ("name", "content", "args", "message"),
    [
        ("missing.csv", None, [], "not found"),
        ("in.csv", "id,body\n1,hi\n", [], "no column 'text'"),
        ("in.jsonl", '{"body": "hi"}\n', [], "no field 'text'"),
        ("in.jsonl", "not json\n", [], "not valid JSON"),
        ("in.txt", "text\nhi\n", [], "unknown extension"),
        ("in.csv", "text\nhi\n", ["--out-name", "out.xlsx"], "unknown extension"),
        ("in.csv", "text\nhi\n", ["--model", "/nonexistent/model"], "not found"),
    ],
)
def test_classify_refuses_bad_input_clearly(
    db: None, tmp_path: Path, name: str, content: str | None, args: list[str], message: str
) -> None:
    source = tmp_path / name
    if content is not None:
        source.write_text(content, encoding="utf-8")
    out_name = "out.csv"
    if args[:1] == ["--out-name"]:
        out_name, args = args[1], args[2:]
    out = tmp_path / out_name
    with pytest.raises(CommandError, match=message):
        run("classify", str(source), "--out", str(out), *args)
    assert not out.exists()


def _labeled_file(path: Path) -> Path:
    """A small made-up labelled set: insults and friendly remarks, toxic and insult columns."""
    rows = ["text,toxic,insult"]
    for adjective, noun in itertools.product(
        ["stupid", "pathetic", "worthless", "dumb", "useless", "clueless"],
        ["idiot", "moron", "loser", "clown", "fool", "jerk", "creep"],
    ):
        rows.append(f"you are a {adjective} {noun},1,1")
    for thing, quality in itertools.product(
        ["photo", "recipe", "article", "release", "garden", "concert", "lecture"],
        ["lovely", "helpful", "great", "clear", "interesting", "nice"],
    ):
        rows.append(f"the {thing} was {quality} thanks,0,0")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_train_then_evaluate_a_linear_model_on_user_data(db: None, tmp_path: Path) -> None:
    data = _labeled_file(tmp_path / "mine.csv")
    out, report = tmp_path / "model", tmp_path / "report"
    message = run(
        "train",
        "--backend",
        "linear",
        "--sources",
        "",
        "--labeled-file",
        str(data),
        "--out",
        str(out),
        "--report",
        str(report),
        "--no-anchor",
    )
    assert "model_activate" in message
    model = load_model(out)
    assert model.manifest.backend == "linear"
    assert model.manifest.training_summary["sources"] == {"mine.csv": {"license": "user data"}}
    scores = model.predict_proba(["you are a dumb clown", "the photo was lovely thanks"])
    assert scores[0, 0] > scores[1, 0]
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["pooled"]["toxic"]["roc_auc"] is not None
    assert metrics["identity_check"]["sentences"] > 100
    assert (report / "roc_toxic.png").is_file()
    assert (report / "summary.md").is_file()
    summary = (report / "summary.md").read_text()
    assert "Identity-term check" in summary
    # The functional suite and the evasion check run at the shipped thresholds, by function.
    assert metrics["functional_suite"]["cases"] >= 400
    assert set(metrics["functional_suite"]["per_function"]) >= {"threat_direct", "negated_hate"}
    assert metrics["functional_suite"]["sha256"] in summary
    assert "leetspeak" in metrics["evasion"]["per_obfuscation"]
    # User data has no natural-prevalence rows: the policy says so and keeps best-F1 thresholds.
    policy = model.manifest.policy
    assert policy["natural_validation_rows"] == 0
    assert set(policy["auto_remove_thresholds"]) == set(model.manifest.thresholds)
    assert policy["flag_thresholds"] == pytest.approx(model.manifest.thresholds, abs=1e-4)

    evaluated = tmp_path / "evaluated"
    message = run(
        "evaluate",
        str(out),
        "--sources",
        "",
        "--labeled-file",
        str(data),
        "--report",
        str(evaluated),
        "--no-anchor",
        "--folds",
        "3",
    )
    assert "Report" in message
    again = json.loads((evaluated / "metrics.json").read_text())
    assert again["pooled"]["toxic"]["roc_auc"] == pytest.approx(
        metrics["pooled"]["toxic"]["roc_auc"]
    )
    # k-fold: mean and spread of per-label ROC-AUC over the folds, next to the holdout figures.
    crossval = again["cross_validation"]
    assert crossval["k"] == 3
    assert len(crossval["folds"]) == 3
    assert crossval["per_label"]["toxic"]["folds"] == 3
    assert crossval["per_label"]["toxic"]["mean"] > 0.8
    assert crossval["per_label"]["toxic"]["std"] is not None
    assert "toxic" in (evaluated / "crossval.md").read_text()
    with pytest.raises(CommandError, match="at least 2 folds"):
        run("evaluate", str(out), "--sources", "", "--labeled-file", str(data), "--folds", "1")

    with pytest.raises(CommandError, match="not empty"):
        run("train", "--sources", "", "--labeled-file", str(data), "--out", str(out))


def train_tiny_transformer(
    tmp_path: Path,
    *,
    epochs: int,
    learning_rate: float | None = None,
    backend: str = "transformer",
    extra: Sequence[str] = (),
) -> Path:
    """`manage.py train --backend transformer` on a tiny local base model; the artifact dir."""
    from tests.classifier.tiny_transformer import build_tiny_base

    out = tmp_path / "model"
    extra = [*extra, *(["--learning-rate", str(learning_rate)] if learning_rate else [])]
    run(
        "train",
        "--backend",
        backend,
        "--base-model",
        str(build_tiny_base(tmp_path / "base")),
        "--sources",
        "",
        "--labeled-file",
        str(_labeled_file(tmp_path / "mine.csv")),
        "--epochs",
        str(epochs),
        *extra,
        "--max-length",
        "16",
        "--out",
        str(out),
        "--report",
        str(tmp_path / "report"),
        "--checkpoint-dir",
        str(tmp_path / "checkpoint"),
        "--no-anchor",
    )
    return out


def test_train_a_tiny_transformer_from_a_local_base_model(db: None, tmp_path: Path) -> None:
    pytest.importorskip("torch")

    out = train_tiny_transformer(tmp_path, epochs=2, learning_rate=0.01)
    model = load_model(out)
    assert model.manifest.backend == "transformer"
    assert model.predict_proba(["you are a dumb clown"]).shape == (1, len(LABELS))


def test_one_train_command_builds_a_cascade_with_float16_weights(db: None, tmp_path: Path) -> None:
    pytest.importorskip("torch")

    out = train_tiny_transformer(
        tmp_path,
        epochs=2,
        learning_rate=0.01,
        backend="cascade",
        extra=[
            "--weights-dtype",
            "float16",
            "--cascade-max-settled",
            "0.05",
            "--cascade-gate-window",
            "8",
        ],
    )
    model = load_model(out)
    assert model.manifest.backend == "cascade"
    cascade: Any = model.backend
    assert cascade.gate_window == 8
    assert "windows of 8 words" in model.manifest.training_summary["backend"]["gate_rule"]
    assert (cascade.first.name, cascade.second.name) == ("linear", "transformer")
    assert cascade.second.weights_dtype == "float16"
    assert model.manifest.training_summary["backend"]["validation_settled_share"] is not None
    scores = model.predict_proba(["you are a dumb clown", "the photo was lovely thanks"])
    assert scores[0, 0] > scores[1, 0]
    assert model.can_explain


def _cascade_of(data: Path, first: Path, second: Path, out: Path, *extra: str) -> Path:
    """``train --backend cascade`` reusing both stages, shared gate, int8 embeddings."""
    run(
        "train",
        "--backend",
        "cascade",
        "--sources",
        "",
        "--labeled-file",
        str(data),
        "--cascade-first",
        str(first),
        "--cascade-second",
        str(second),
        "--cascade-gate-rule",
        "shared",
        "--cascade-max-settled",
        "0.05",
        "--weights-dtype",
        "float16-int8-embeddings",
        "--out",
        str(out),
        "--report",
        str(out.with_name(f"{out.name}-report")),
        "--no-anchor",
        *extra,
    )
    return out


def test_a_cascade_reuses_trained_stages_and_restores_the_transformer_smaller(
    db: None, tmp_path: Path
) -> None:
    pytest.importorskip("torch")

    transformer = train_tiny_transformer(tmp_path / "t", epochs=2, learning_rate=0.01)
    linear = tmp_path / "linear"
    data = _labeled_file(tmp_path / "mine.csv")
    run("train", "--sources", "", "--labeled-file", str(data), "--out", str(linear), "--no-anchor")
    out = _cascade_of(data, linear, transformer, tmp_path / "cascade")
    cascade: Any = load_model(out).backend
    assert cascade.second.weights_dtype == "float16-int8-embeddings"
    assert len(set(cascade.gates.tolist())) == 1  # one shared gate
    assert "any label" in load_model(out).manifest.training_summary["backend"]["gate_rule"]
    scores = load_model(out).predict_proba(["you are a dumb clown", "the photo was lovely"])
    assert scores[0, 0] > scores[1, 0]

    # A cascade's stages can be taken from a cascade, e.g. to pair its linear stage with a
    # newly trained transformer.
    rebuilt = _cascade_of(data, out, out, tmp_path / "rebuilt")
    again: Any = load_model(rebuilt).backend
    assert (again.first.name, again.second.name) == ("linear", "transformer")
    assert load_model(rebuilt).version == load_model(out).version  # the same weights and gates

    # A reused transformer is quantized as asked: another setting, another version.
    per_token = _cascade_of(data, out, out, tmp_path / "per-token", "--quantize", "per-token-int8")
    requantized: Any = load_model(per_token)
    assert requantized.backend.second.quantization == "per-token-int8"
    assert requantized.version != load_model(out).version


@pytest.fixture
def torch_threads() -> Iterator[None]:
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_a_transformer_version_scores_comments_in_the_pipeline(
    db: None, tmp_path: Path, settings: Any, torch_threads: None, platform: Any
) -> None:
    import torch

    from moderation.models import Comment
    from moderation.services.model_versions import model_version_register
    from moderation.services.scoring import comment_batch_score

    out = train_tiny_transformer(tmp_path, epochs=1)
    version = model_version_register(artifact_dir=out, activate=True)
    settings.WORKER_TORCH_THREADS = 1
    settings.EXPLANATION_MIN_SHARE = 0.0
    long_text = "you are a dumb clown. " * 40  # longer than the 16-token window: chunked
    comment = Comment.objects.create(platform=platform, external_id="t-1", text=long_text)

    result = comment_batch_score(comment_ids=[comment.pk])

    comment.refresh_from_db()
    assert result.model_version == version.version
    assert comment.model_version == version
    assert comment.scores is not None
    assert all(0.0 <= value <= 1.0 for value in comment.scores.values())
    assert torch.get_num_threads() == 1  # one scorer per worker process


def test_train_and_evaluate_refuse_bad_arguments(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not found"):
        run("train", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "m"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CommandError, match="no known data set in"):
        run("train", "--data", str(empty), "--out", str(tmp_path / "m"))
    with pytest.raises(CommandError, match="'olid' not found"):
        run("train", "--data", str(empty), "--sources", "olid", "--out", str(tmp_path / "m"))
    assert not (tmp_path / "m").exists()
    with pytest.raises(CommandError, match="File not found"):
        run("train", "--labeled-file", str(tmp_path / "none.csv"))
    with pytest.raises(CommandError, match="--cascade-gate-window must be at least 2 words"):
        run("train", "--backend", "cascade", "--cascade-gate-window", "0")
    with pytest.raises(CommandError, match="--quantize must be one of dynamic-int8, per-token"):
        run("train", "--backend", "transformer", "--quantize", "int4")
    with pytest.raises(CommandError, match="invalid choice: 'threats'"):
        run("train", "--keep-positives", "threats", "--out", str(tmp_path / "m"))
    with pytest.raises(CommandError, match="model directory not found"):
        run("evaluate", str(tmp_path / "no-model"))
