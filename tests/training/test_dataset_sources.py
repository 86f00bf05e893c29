"""The loaders of the sets added to ../shared/data, on tiny files written in each set's format.

Texts are harmless made-up strings; what is checked is the mapping onto the schema, which labels
stay unknown, the split-group keys and the natural-prevalence flags.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np

from training.datasets import (
    LOADERS,
    SOURCE_LICENSES,
    SOURCES,
    LabeledSet,
    load_dynahate,
    load_hatemoji,
    load_hatexplain,
    load_jigsaw_train,
    load_mhs,
    load_sbic,
    load_tweeteval_hate,
    load_wikipedia_cat,
)

N = float("nan")


def _write(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        if delimiter == "\t":  # the TSV sets are plain tab-separated lines, quotes as they are
            handle.writelines("\t".join(cells) + "\n" for cells in [header, *rows])
            return
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _labels(data: LabeledSet, text: str) -> list[float]:
    matches = [i for i, t in enumerate(data.texts) if t == text]
    assert len(matches) == 1, f"{len(matches)} rows are {text!r}"
    return data.labels[matches[0]].tolist()


def _assert_labels(actual: list[float], expected: list[float]) -> None:
    np.testing.assert_array_equal(np.array(actual), np.array(expected, dtype=np.float32))


def test_every_source_is_registered_once_with_its_licence() -> None:
    assert list(LOADERS) == list(SOURCES)
    assert list(LOADERS)[:8] == [  # the first eight keep their place: it decides dedupe
        "jigsaw_samples",
        "civil_comments",
        "davidson",
        "olid",
        "gab",
        "implicit_hate",
        "vicomtech",
        "ethos",
    ]
    for name in (
        "jigsaw_train",
        "wikipedia_cat",
        "dynahate",
        "hatemoji",
        "hatexplain",
        "sbic",
        "mhs",
        "tweeteval_hate",
    ):
        assert SOURCES[name].name == name
        assert SOURCE_LICENSES[name]
    assert SOURCE_LICENSES["hatemoji"].startswith("CC BY 4.0")
    assert SOURCE_LICENSES["wikipedia_cat"].startswith("Apache-2.0")


def test_jigsaw_train_keeps_all_six_and_marks_the_random_sample_natural(tmp_path: Path) -> None:
    header = ["id", "comment_text", "toxic", "severe_toxic", "obscene", "threat", "insult"]
    header += ["identity_hate", "is_bad", "source_files"]
    _write(
        tmp_path / "jigsaw_train_subsets" / "jigsaw_train_subsets.csv.gz",
        header,
        [
            ["a1", "you silly goose", "1", "1", "0", "0", "1", "0", "True", "x/train.5k.csv"],
            [
                "a2",
                "thanks for the fix",
                "0",
                "0",
                "0",
                "0",
                "0",
                "0",
                "False",
                "p/train.a.ok.1k.csv",
            ],
            [
                "a3",
                "darn it all",
                "0",
                "0",
                "1",
                "0",
                "0",
                "0",
                "",
                "p/train.b.ok.1k.csv;x/train.5k.csv",
            ],
        ],
    )
    data = load_jigsaw_train(tmp_path)
    assert data.sources == ["jigsaw_train"] * 3
    _assert_labels(_labels(data, "you silly goose"), [1, 1, 0, 0, 1, 0])
    _assert_labels(_labels(data, "thanks for the fix"), [0, 0, 0, 0, 0, 0])
    _assert_labels(_labels(data, "darn it all"), [0, 0, 0, 0, 0, 0])  # not toxic: none of them
    assert data.natural == [True, False, True]
    assert data.groups == [None, None, None]


def test_wikipedia_cat_uses_labels_judged_without_context(tmp_path: Path) -> None:
    folder = tmp_path / "wikipedia_cat"
    _write(
        folder / "CAT_LARGE_gn.csv.gz",
        ["id", "text", "label", "api", "parent"],
        [["1.1.1", "you absolute turnip", "1", "0.05", ""], ["2.2.2", "see talk", "0", "0.97", ""]],
    )
    _write(
        folder / "CAT_LARGE_gc.csv.gz",
        ["id", "text", "parent", "label", "api"],
        [["3.3.3", "judged next to its parent", "some parent", "1", "0.2"]],
    )
    header = ["text", "parent_text", "tox_codes_oc", "label_oc", "tox_codes_ic", "label_ic"]
    _write(
        folder / "CAT_SMALL.csv.gz",
        header,
        [
            ["small and rude", "p", "[1. 1. 0.]", "1", "[0. 0. 0.]", "0"],
            ["small and calm", "p", "[0. 0. 0.]", "0", "[1. 1. 1.]", "1"],
        ],
    )
    data = load_wikipedia_cat(tmp_path)
    assert data.texts == ["you absolute turnip", "see talk", "small and rude", "small and calm"]
    _assert_labels(_labels(data, "you absolute turnip"), [1, N, N, N, N, N])
    _assert_labels(_labels(data, "see talk"), [0, 0, 0, 0, 0, 0])  # the api score is no label
    _assert_labels(_labels(data, "small and rude"), [1, N, N, N, N, N])  # out of context
    _assert_labels(_labels(data, "small and calm"), [0, 0, 0, 0, 0, 0])
    assert data.natural == [True, True, False, False]  # CAT_SMALL is enriched


def test_dynahate_maps_hate_and_groups_a_perturbation_with_its_original(tmp_path: Path) -> None:
    header = ["", "acl.id", "X1", "text", "label", "type", "target", "level", "split"]
    header += ["round.base", "annotator", "round", "acl.id.matched", "text_len"]
    folder = tmp_path / "dynahate_dev_test"

    def row(acl: str, text: str, label: str, kind: str, level: str, matched: str) -> list[str]:
        return [
            "0",
            acl,
            "0",
            text,
            label,
            kind,
            "grp",
            level,
            "dev",
            "2",
            "ann",
            "2a",
            matched,
            "4",
        ]

    _write(
        folder / "dynahate_dev.csv.gz",
        header,
        [
            row("acl1", "the blue folk are pests", "hate", "derogation", "original", "acl2"),
            row("acl3", "we will come for the blue folk", "hate", "threatening", "original", ""),
            row("acl4", "blue folk ruin parks", "hate", "notgiven", "original", ""),
        ],
    )
    _write(
        folder / "dynahate_test.csv.gz",
        header,
        [row("acl2", "the blue folk are not pests", "nothate", "none", "perturbation", "acl1")],
    )
    data = load_dynahate(tmp_path)
    _assert_labels(_labels(data, "the blue folk are pests"), [1, N, N, 0, N, 1])
    _assert_labels(_labels(data, "the blue folk are not pests"), [N, N, N, N, N, 0])
    _assert_labels(_labels(data, "we will come for the blue folk"), [1, N, N, 1, N, 1])
    _assert_labels(_labels(data, "blue folk ruin parks"), [1, N, N, N, N, 1])  # no type given
    assert data.groups == ["dynahate:acl1", None, None, "dynahate:acl1"]
    assert data.natural == [False] * 4


def test_hatemoji_maps_label_gold_and_pairs_each_original(tmp_path: Path) -> None:
    header = ["entry_id", "text", "type", "target", "round.base", "round.set", "set", "split"]
    header += ["label_gold", "matched_text", "matched_id"]
    folder = tmp_path / "hatemoji_build"
    _write(
        folder / "train.csv.gz",
        header,
        [
            [
                "0",
                "I would 🔪 some 🐸",
                "threateninglanguage",
                "['x']",
                "5",
                "5a",
                "original",
                "train",
                "1",
                "m",
                "1",
            ]
        ],
    )
    _write(
        folder / "validation.csv.gz",
        header,
        [
            [
                "1",
                "I would 👏 some 🐸",
                "none",
                "['none']",
                "5",
                "5b",
                "perturbation",
                "dev",
                "0",
                "m",
                "0",
            ]
        ],
    )
    _write(
        folder / "test.csv.gz",
        header,
        [
            [
                "3",
                "🐸 are 🐀",
                "derogation",
                "['x']",
                "5",
                "5b",
                "perturbation",
                "test",
                "1",
                "m",
                "2",
            ],
            ["2", "🐸 are 🌷", "none", "['none']", "5", "5a", "original", "test", "0", "m", "3"],
        ],
    )
    data = load_hatemoji(tmp_path)
    _assert_labels(_labels(data, "I would 🔪 some 🐸"), [1, N, N, 1, N, 1])
    _assert_labels(_labels(data, "I would 👏 some 🐸"), [N, N, N, N, N, 0])
    _assert_labels(_labels(data, "🐸 are 🐀"), [1, N, N, 0, N, 1])
    _assert_labels(_labels(data, "🐸 are 🌷"), [N, N, N, N, N, 0])
    assert data.groups == ["hatemoji:0", "hatemoji:0", "hatemoji:2", "hatemoji:2"]


def test_hatexplain_majority_labels(tmp_path: Path) -> None:
    header = ["text", "rationale_pos", "label", "label_gender", "label_religion", "label_race"]
    header += ["label_economic", "label_minority"]
    _write(
        tmp_path / "hatexplain_magpie" / "hatexplain_preprocessed.csv.gz",
        header,
        [
            ["<user> the blue folk are pests", "pests", "2", "0", "0", "1", "0", "0"],
            ["<user> you are a clown", "clown", "1", "0", "0", "0", "0", "0"],
            ["nice weather <number> degrees", "", "0", "0", "0", "0", "0", "0"],
        ],
    )
    data = load_hatexplain(tmp_path)
    _assert_labels(_labels(data, "<user> the blue folk are pests"), [1, N, N, N, N, 1])
    _assert_labels(_labels(data, "<user> you are a clown"), [1, N, N, N, N, N])
    _assert_labels(_labels(data, "nice weather <number> degrees"), [0, 0, 0, 0, 0, 0])


def test_sbic_thresholds_annotator_means(tmp_path: Path) -> None:
    header = ["post", "targetMinority", "targetCategory", "targetStereotype", "whoTarget"]
    header += ["intentYN", "sexYN", "offensiveYN", "dataSource", "hasBiasedImplication"]
    folder = tmp_path / "sbic_dev_test"
    _write(
        folder / "SBIC.v2.agg.dev.csv.gz",
        header,
        [
            [
                "blue folk ruin it",
                '["blue folk"]',
                '["race"]',
                '["ruin it"]',
                "1.0",
                "1.0",
                "0.0",
                "1.0",
                "Gab",
                "0",
            ],
            ["a lewd joke", "[]", "[]", "[]", "", "0.5", "0.67", "0.67", "t/founta", "1"],
        ],
    )
    _write(
        folder / "SBIC.v2.agg.tst.csv.gz",
        header,
        [
            ["have a nice day", "[]", "[]", "[]", "", "0.0", "0.0", "0.0", "t/davidson", "1"],
            ["mildly edgy", "[]", "[]", "[]", "", "0.2", "0.0", "0.33", "Gab", "1"],
            ["you are a clown", "[]", "[]", "[]", "0.0", "1.0", "0.0", "1.0", "Gab", "1"],
        ],
    )
    data = load_sbic(tmp_path)
    assert data.texts == ["blue folk ruin it", "a lewd joke", "have a nice day", "you are a clown"]
    _assert_labels(_labels(data, "blue folk ruin it"), [1, N, N, N, N, 1])
    _assert_labels(_labels(data, "a lewd joke"), [1, N, 1, N, N, N])
    _assert_labels(_labels(data, "have a nice day"), [0, 0, 0, 0, 0, 0])
    _assert_labels(_labels(data, "you are a clown"), [1, N, N, N, N, N])  # an individual
    assert data.notes == {"dropped_minority_offensive_or_malformed": 1}


def test_mhs_keeps_one_row_per_comment_and_leaves_toxic_unknown_on_0(tmp_path: Path) -> None:
    header = ["index", "sentence1", "sentence2", "label"]
    folder = tmp_path / "mhs_binary"
    prompt = "Is this hate speech?"
    _write(
        folder / "mhs_dev.tsv.gz",
        header,
        [["11", "blue folk are pests", prompt, "1"], ["12", "I stand with blue folk", prompt, "0"]],
        delimiter="\t",
    )
    _write(
        folder / "mhs_test.tsv.gz",
        header,
        [["11", "blue folk are pests", prompt, "1"], ["13", 'a "quoted" remark', prompt, "0"]],
        delimiter="\t",
    )
    data = load_mhs(tmp_path)
    assert data.texts == ["blue folk are pests", "I stand with blue folk", 'a "quoted" remark']
    _assert_labels(_labels(data, "blue folk are pests"), [1, N, N, N, N, 1])
    _assert_labels(_labels(data, "I stand with blue folk"), [N, N, N, N, N, 0])
    assert data.notes["dropped_repeated_comment"] == 1


def test_tweeteval_hate_leaves_toxic_unknown_on_0(tmp_path: Path) -> None:
    _write(
        tmp_path / "tweeteval_hate" / "tweeteval_hate.csv.gz",
        ["text", "label", "split"],
        [["@user blue folk go home", "1", "train"], ["@user what a loud match", "0", "test"]],
    )
    data = load_tweeteval_hate(tmp_path)
    _assert_labels(_labels(data, "@user blue folk go home"), [1, N, N, N, N, 1])
    _assert_labels(_labels(data, "@user what a loud match"), [N, N, N, N, N, 0])
    assert data.sources == ["tweeteval_hate"] * 2
