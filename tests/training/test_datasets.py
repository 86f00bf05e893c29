from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from classifier.labels import LABELS
from training import datasets
from training.datasets import (
    DATA_DIR_ENV,
    LOADERS,
    LabeledSet,
    load_all,
    load_labeled_file,
    resolve_data_dir,
)
from training.splits import Split, assign_splits, dedupe

DATA_DIR = resolve_data_dir()
needs_data = pytest.mark.skipif(
    not (DATA_DIR / "olid_offenseval2019").is_dir(),
    reason=f"public training data not found at {DATA_DIR} (set {DATA_DIR_ENV})",
)
N = float("nan")


def _row(data: LabeledSet, text_start: str) -> list[float]:
    matches = [i for i, text in enumerate(data.texts) if text == text_start] or [
        i for i, text in enumerate(data.texts) if text.startswith(text_start)
    ]
    assert len(matches) == 1, f"{len(matches)} rows match {text_start!r}"
    return data.labels[matches[0]].tolist()


def _assert_labels(actual: list[float], expected: list[float]) -> None:
    np.testing.assert_array_equal(np.array(actual), np.array(expected, dtype=np.float32))


@pytest.fixture(scope="module")
def everything() -> LabeledSet:
    return load_all()


@pytest.fixture(scope="module")
def merged(everything: LabeledSet) -> LabeledSet:
    return dedupe(everything)[0]


@needs_data
def test_every_source_loads_with_the_documented_row_counts() -> None:
    data = load_all()
    counts = {source: data.sources.count(source) for source in LOADERS}
    assert counts == {
        "jigsaw_samples": 101,
        "civil_comments": 16_100,
        "davidson": 24_783,
        "olid": 13_240 + 860,
        "gab": 22_036 + 5_510,
        "implicit_hate": 21_480,
        "vicomtech": 10_944 - 168 - 73,  # relation and idk/skip dropped
        "ethos": 998 - 211,  # minority-hate rows dropped
        "jigsaw_train": 9_865,
        "wikipedia_cat": 9_996 + 976,  # gn and CAT_SMALL; the in-context gc file is not used
        "dynahate": 3_506 + 3_570,
        "hatemoji": 4_728 + 591 + 593,
        "hatexplain": 18_962,
        "sbic": 4_666 + 4_691 - 1_252,  # posts only a minority found offensive dropped
        "mhs": 15_626,  # one row per comment: dev and test share 11,346
        "tweeteval_hate": 9_000 + 999 + 2_970,
        "templates": 5_271,  # generated: training/augment.py
    }
    assert data.labels.dtype == np.float32
    assert data.labels.shape == (len(data), len(LABELS))


@needs_data
def test_severe_toxic_has_hundreds_of_known_positives(
    everything: LabeledSet, merged: LabeledSet
) -> None:
    counts = everything.label_counts()
    # jigsaw_train, jigsaw_samples and the generated graphic threats
    assert counts["severe_toxic"]["positive"] == 340 + 1 + 216
    assert merged.label_counts()["severe_toxic"]["positive"] >= 300
    for label in LABELS:
        assert counts[label]["positive"] >= 300, label


@needs_data
def test_natural_rows_are_the_random_samples(everything: LabeledSet) -> None:
    natural = Counter(
        s for s, flag in zip(everything.sources, everything.natural, strict=True) if flag
    )
    assert natural == {"jigsaw_train": 4_954, "wikipedia_cat": 9_996}


@needs_data
def test_perturbation_groups_stay_in_one_split(everything: LabeledSet, merged: LabeledSet) -> None:
    grouped = Counter(g.split(":")[0] for g in everything.groups if g is not None)
    assert grouped == {"dynahate": 4_878, "hatemoji": 5_912}
    parts: dict[str, set[Split]] = {}
    splits = assign_splits(merged.texts, merged.groups)
    for group, part in zip(merged.groups, splits, strict=True):
        if group is not None:
            parts.setdefault(group, set()).add(part)
    assert len(parts) > 3_000
    assert all(len(found) == 1 for found in parts.values())


@needs_data
def test_not_toxic_rows_are_not_toxic_in_any_label(everything: LabeledSet) -> None:
    not_toxic = everything.labels[:, 0] == 0
    assert not_toxic.any()
    assert (everything.labels[not_toxic] == 0).all()
    known = everything.labels[~np.isnan(everything.labels)]
    assert set(np.unique(known).tolist()) == {0.0, 1.0}


@needs_data
def test_civil_comments_votes_and_span_types() -> None:
    data = LOADERS["civil_comments"](None)
    _assert_labels(_row(data, "Dumbest damn idea I ever heard."), [1, N, 1, 0, 1, 0])
    _assert_labels(_row(data, "I will burn your house down"), [1, N, 0, 1, 0, 0])
    _assert_labels(_row(data, "what  died?   Yur  brain?"), [0, 0, 0, 0, 0, 0])
    assert np.isnan(data.labels[data.labels[:, 0] == 1, 1]).all()  # severe_toxic unknown


@needs_data
def test_davidson_classes() -> None:
    data = LOADERS["davidson"](None)
    _assert_labels(_row(data, "!!! RT @mayasolovely: As a woman"), [0, 0, 0, 0, 0, 0])
    _assert_labels(_row(data, "!!!!! RT @mleew17: boy dats cold"), [1, N, N, N, N, N])
    hate = data.labels[:, 5] == 1
    assert hate.sum() == 1_430
    assert (data.labels[hate, 0] == 1).all()


@needs_data
def test_olid_uses_train_and_test_with_subtask_mapping() -> None:
    data = LOADERS["olid"](None)
    _assert_labels(_row(data, "@USER She should ask a few native"), [1, N, N, N, 0, 0])  # UNT
    _assert_labels(_row(data, "@USER @USER Go home you\u2019re drunk"), [1, N, N, N, 1, N])  # IND
    _assert_labels(_row(data, "Amazon is investigating Chinese"), [0, 0, 0, 0, 0, 0])  # NOT
    _assert_labels(_row(data, "#WhoIsQ #WheresTheServer"), [1, N, N, N, N, N])  # test: OTH


@needs_data
def test_ethos_shares_and_multi_labels() -> None:
    data = LOADERS["ethos"](None)
    _assert_labels(_row(data, "You should know women's sports"), [1, N, N, 0, N, 1])
    _assert_labels(_row(data, "You look like Russian and speak"), [1, N, N, 1, 1, 1])


@needs_data
def test_gab_labels_are_known_on_every_row() -> None:
    data = LOADERS["gab"](None)
    _assert_labels(_row(data, "He most likely converted to islam"), [0, 0, 0, 0, 0, 0])
    for column in ("obscene", "threat", "identity_hate"):
        assert not np.isnan(data.labels[:, LABELS.index(column)]).any()


@needs_data
def test_implicit_hate_threat_comes_from_stage_two() -> None:
    data = LOADERS["implicit_hate"](None)
    hate = data.labels[:, 0] == 1
    assert hate.sum() == data.labels[:, 5].sum()  # every hateful post is identity hate
    threat = data.labels[:, 3]
    assert (threat == 1).sum() > 0
    assert (threat[hate] == 0).sum() > 0
    assert np.isnan(threat[hate]).sum() > 0  # no stage-2 subtype: unknown


@needs_data
def test_jigsaw_samples_know_all_six() -> None:
    data = LOADERS["jigsaw_samples"](None)
    assert not np.isnan(data.labels).any()


def test_data_dir_comes_from_argument_then_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert resolve_data_dir() == tmp_path
    assert resolve_data_dir("/elsewhere") == Path("/elsewhere")
    monkeypatch.delenv(DATA_DIR_ENV)
    assert resolve_data_dir() == datasets.DEFAULT_DATA_DIR
    assert datasets.DEFAULT_DATA_DIR.parts[-2:] == ("shared", "data")


def test_missing_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        load_all(tmp_path / "missing")


def test_own_csv_with_renamed_columns(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(
        "body,abusive,personal_attack\n"
        "you fool,yes,1\n"
        "hello there,no,\n"
        "meh,0.7,0.2\n"
        ",1,1\n"
        "who knows,,1\n"
    )
    data = load_labeled_file(
        path,
        text_column="body",
        label_columns={"toxic": "abusive", "insult": "personal_attack"},
        source="forum",
    )
    assert data.texts == ["you fool", "hello there", "meh", "who knows"]
    assert data.sources == ["forum"] * 4
    assert data.notes == {"skipped_empty_text": 1}
    _assert_labels(data.labels[0].tolist(), [1, N, N, N, 1, N])
    _assert_labels(data.labels[1].tolist(), [0, 0, 0, 0, 0, 0])  # not toxic: nothing else
    _assert_labels(data.labels[2].tolist(), [1, N, N, N, 0, N])  # shares: >= 0.5 positive
    _assert_labels(data.labels[3].tolist(), [N, N, N, N, 1, N])


def test_own_jsonl_gz_with_schema_column_names(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl.gz"
    records = [{"text": "go away", "toxic": True, "threat": None}, {"text": "hi", "toxic": 0}]
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(json.dumps(r) for r in records) + "\n")
    data = load_labeled_file(path)
    _assert_labels(data.labels[0].tolist(), [1, N, N, N, N, N])
    _assert_labels(data.labels[1].tolist(), [0, 0, 0, 0, 0, 0])


def test_own_file_errors_name_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("text\ttoxic\nhello\tmaybe\n")
    with pytest.raises(ValueError, match="record 1"):
        load_labeled_file(path)
    with pytest.raises(ValueError, match="no text column"):
        load_labeled_file(path, text_column="comment")
    with pytest.raises(ValueError, match="unknown labels"):
        load_labeled_file(path, label_columns={"spam": "toxic"})
