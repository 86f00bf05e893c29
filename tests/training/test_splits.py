from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from training.datasets import LabeledSet
from training.splits import Split, assign_splits, dedupe, split_dataset, split_of

N = float("nan")


def _set(rows: list[tuple[str, list[float], str]]) -> LabeledSet:
    return LabeledSet(
        texts=[text for text, _, _ in rows],
        labels=np.array([labels for _, labels, _ in rows], dtype=np.float32),
        sources=[source for _, _, source in rows],
    )


def test_split_is_pinned_to_the_text() -> None:
    # Fixed forever: a change here reshuffles every holdout and breaks comparisons between models.
    assert split_of("hello world") is Split.TRAIN
    assert split_of("You're an idiot.") is Split.VALIDATION
    assert split_of("thank you for the edit") is Split.VALIDATION
    assert [split_of(f"comment {i}") for i in range(8)] == assign_splits(
        [f"comment {i}" for i in range(8)]
    )


def test_split_uses_the_normalised_text() -> None:
    assert split_of("hello   world") is split_of("hello world\u200b")
    assert split_of("@alice hi https://a.example") is split_of("@bob hi https://b.example")


def test_split_shares_are_about_70_15_15() -> None:
    counts = Counter(assign_splits([f"synthetic comment number {i}" for i in range(20_000)]))
    assert counts[Split.TRAIN] / 20_000 == pytest.approx(0.70, abs=0.015)
    assert counts[Split.VALIDATION] / 20_000 == pytest.approx(0.15, abs=0.015)
    assert counts[Split.HOLDOUT] / 20_000 == pytest.approx(0.15, abs=0.015)


def test_dedupe_merges_normalised_duplicates_and_counts_them() -> None:
    data = _set(
        [
            ("You idiot", [1, N, N, N, 1, N], "a"),
            ("You  idiot\u200b", [1, N, N, N, N, 0], "a"),  # same text after normalisation
            ("You idiot", [0, 0, 0, 0, 0, 0], "b"),
            ("nice day", [0, 0, 0, 0, 0, 0], "b"),
            ("   ", [0, 0, 0, 0, 0, 0], "b"),
        ]
    )
    merged, report = dedupe(data)
    assert merged.texts == ["You idiot", "nice day"]
    assert merged.sources == ["a", "b"]  # a group keeps its first row's source
    assert report.rows_in == 5
    assert report.rows_out == 2
    assert report.dropped == 3
    assert report.dropped_empty == 1
    assert report.duplicates_within_source == 1
    assert report.duplicates_across_sources == 1
    assert report.conflicting_groups == 1
    # toxic: 2 of 3 positive -> 1; insult: 1 of 2 known -> tie -> 1; identity_hate: 0 of 2 -> 0;
    # severe_toxic: only the non-toxic row knew it (0) -> 0.
    np.testing.assert_array_equal(merged.labels[0], [1, 0, 0, 0, 1, 0])


def test_dedupe_keeps_unknown_labels_unknown_and_rows_consistent() -> None:
    data = _set(
        [
            ("a", [N, N, N, N, 1, N], "x"),  # a positive sub-label implies toxic
            ("b", [1, N, N, N, N, N], "x"),
            ("b", [1, N, N, N, N, N], "x"),
            ("c", [0, N, N, N, N, N], "x"),  # not toxic: none of the sub-labels
        ]
    )
    merged, _ = dedupe(data)
    np.testing.assert_array_equal(merged.labels[0], [1, N, N, N, 1, N])
    np.testing.assert_array_equal(merged.labels[1], [1, N, N, N, N, N])
    np.testing.assert_array_equal(merged.labels[2], [0, 0, 0, 0, 0, 0])


def test_split_after_dedupe_never_puts_a_text_in_two_parts() -> None:
    rows = [(f"comment {i % 300}", [float(i % 2), N, N, N, N, N], f"s{i % 3}") for i in range(900)]
    merged, report = dedupe(_set(rows))
    assert report.rows_out == 300
    parts = split_dataset(merged)
    seen = [set(part.texts) for part in parts.values()]
    assert sum(len(s) for s in seen) == 300
    assert not seen[0] & seen[1]
    assert not seen[0] & seen[2]
    assert not seen[1] & seen[2]
    for split, part in parts.items():
        assert all(split_of(text) is split for text in part.texts)


def test_a_moderator_correction_overrides_public_labels_for_the_same_text() -> None:
    import numpy as np

    from training.datasets import LabeledSet
    from training.splits import dedupe

    nan = float("nan")
    data = LabeledSet(
        texts=["same text here", "same text   here", "same text here", "other"],
        labels=np.array(
            [
                [1, nan, 1, nan, nan, nan],  # a public set says toxic and obscene
                [1, nan, 1, nan, nan, nan],  # so does a second one
                [0, 0, 0, 0, 0, 0],  # the moderator says none of them
                [0, 0, 0, 0, 0, 0],
            ],
            dtype=np.float32,
        ),
        sources=["gab", "davidson", "corrections", "olid"],
    )

    merged, report = dedupe(data)

    assert len(merged) == 2
    assert merged.labels[0].tolist() == [0, 0, 0, 0, 0, 0]
    assert report.overridden_by_corrections == 1


def test_grouped_rows_share_a_split_even_when_their_texts_hash_apart() -> None:
    texts = [f"contrast pair sentence {i}" for i in range(40)]
    by_text = assign_splits(texts)
    original, perturbation = next(
        (a, b) for a in texts for b in texts if split_of(a) is not split_of(b)
    )
    data = _set(
        [
            (original, [1, N, N, N, N, 1], "dynahate"),
            (perturbation, [N, N, N, N, N, 0], "dynahate"),
            ("hello world", [0, 0, 0, 0, 0, 0], "davidson"),
        ]
    )
    data.groups = ["dynahate:acl1", "dynahate:acl1", None]
    parts = assign_splits(data.texts, data.groups)
    assert parts[0] is parts[1] is split_of("", "dynahate:acl1")
    assert by_text[texts.index(original)] is not by_text[texts.index(perturbation)]
    together = [part for part in split_dataset(data).values() if original in part.texts]
    assert len(together) == 1
    assert perturbation in together[0].texts


def test_ungrouped_rows_keep_the_split_of_their_text() -> None:
    texts = ["hello world", "You're an idiot.", "thank you for the edit"]
    assert assign_splits(texts, [None, None, None]) == assign_splits(texts)
    assert assign_splits(texts, [None, "g", None])[0::2] == [Split.TRAIN, Split.VALIDATION]
    data = _set([(text, [0, 0, 0, 0, 0, 0], "davidson") for text in texts])
    parts = split_dataset(data)
    assert parts[Split.TRAIN].texts == ["hello world"]
    assert parts[Split.VALIDATION].texts == ["You're an idiot.", "thank you for the edit"]
    with pytest.raises(ValueError, match="group keys"):
        assign_splits(texts, [None])


def test_dedupe_keeps_a_group_key_and_the_natural_flag_of_any_duplicate() -> None:
    data = _set(
        [
            ("same words", [0, 0, 0, 0, 0, 0], "davidson"),
            ("same  words", [N, N, N, N, N, 0], "hatemoji"),
            ("same words", [N, N, N, N, N, 0], "dynahate"),
            ("plain", [0, 0, 0, 0, 0, 0], "jigsaw_train"),
            ("plain ", [0, 0, 0, 0, 0, 0], "davidson"),
        ]
    )
    data.groups = [None, "hatemoji:7", "dynahate:acl9", None, None]
    data.natural = [False, False, False, False, True]
    merged, _ = dedupe(data)
    assert merged.texts == ["same words", "plain"]
    assert merged.sources == ["davidson", "jigsaw_train"]
    # Whatever the load order, the smallest key wins, so the split never depends on it.
    assert merged.groups == ["dynahate:acl9", None]
    assert merged.natural == [False, True]
    reordered, _ = dedupe(data.subset([2, 1, 0, 4, 3]))
    assert reordered.groups == ["dynahate:acl9", None]


def test_subset_and_concat_carry_groups_and_natural_flags() -> None:
    first = _set([("a", [0, 0, 0, 0, 0, 0], "x"), ("b", [1, N, N, N, N, N], "x")])
    first.groups = ["x:1", None]
    first.natural = [True, False]
    second = _set([("c", [0, 0, 0, 0, 0, 0], "y")])
    joined = LabeledSet.concat([first, second])
    assert joined.groups == ["x:1", None, None]
    assert joined.natural == [True, False, False]
    picked = joined.subset([2, 0])
    assert picked.groups == [None, "x:1"]
    assert picked.natural == [False, True]
    with pytest.raises(ValueError, match="inconsistent"):
        LabeledSet(["a"], np.zeros((1, 6), dtype=np.float32), ["x"], groups=[None, None])
