"""Explanations: which spans of a text push each label's score up.

A backend that can explain implements :class:`ExplainingBackend`: given texts already aligned
to their normalised form (:class:`classifier.text.AlignedText`), it returns for each text a list
of *units* (character ranges of the normalised text: words, sentences or windows) and a
``(n_units, 6)`` matrix with each unit's contribution to each label's calibrated logit. This
module turns those into the public form, spans of the ORIGINAL text::

    {"start": int, "end": int, "text": str, "weight": float}

sorted by weight (descending), positive weights only, at most ``top_k`` per label.

The linear backend's contributions are exact (they add up, with the intercept, to the logit);
the transformer's come from occlusion (the drop in logit when a unit is removed).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from classifier.labels import LABELS
from classifier.text import AlignedText

Span = dict[str, object]
Explanation = dict[str, list[Span]]

#: Contributions at or below this are not reported (numerical noise, not a reason).
MIN_WEIGHT: Final = 1e-6
_WORD_CHAR: Final = re.compile(r"\w")
_EDGE_PUNCT: Final = re.compile(r"^\W+|\W+$")
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Contributions:
    """Units of one normalised text and their contribution to each label's logit.

    ``units[i]`` is ``(start, end)`` in the normalised text; ``weights`` is float ``(n_units, 6)``
    in LABELS order (0 for a label that was not asked for).
    """

    units: list[tuple[int, int]]
    weights: npt.NDArray[np.float64]


@runtime_checkable
class ExplainingBackend(Protocol):
    def contributions(
        self, texts: Sequence[AlignedText], labels: Sequence[Sequence[int]]
    ) -> list[Contributions]:
        """Per text, the units and their contributions for the label indices asked for."""
        ...


def word_units(normalized: str) -> list[tuple[int, int]]:
    """Whitespace-separated words of a normalised text, as ``(start, end)`` offsets."""
    units: list[tuple[int, int]] = []
    for match in re.finditer(r"\S+", normalized):
        units.append((match.start(), match.end()))
    return units


def occlusion_units(normalized: str, *, max_units: int) -> list[tuple[int, int]]:
    """Units for occlusion: words; sentences when there are too many words; else word windows.

    At most ``max_units`` units, which bounds the cost of explaining one text to
    ``max_units + 1`` model calls.
    """
    words = word_units(normalized)
    if len(words) <= max_units:
        return words
    sentences: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(normalized):
        sentences.append((start, match.start()))
        start = match.end()
    sentences.append((start, len(normalized)))
    sentences = [(a, b) for a, b in sentences if b > a]
    if 1 < len(sentences) <= max_units:
        return sentences
    size = -(-len(words) // max_units)
    return [
        (words[i][0], words[min(i + size, len(words)) - 1][1]) for i in range(0, len(words), size)
    ]


def _display_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim punctuation at the edges of a span that holds a word character (``idiot!!``)."""
    piece = text[start:end]
    if not _WORD_CHAR.search(piece):
        return start, end
    lead = _EDGE_PUNCT.match(piece)
    if lead is not None and lead.start() == 0 and lead.end() < len(piece):
        start += lead.end()
        piece = text[start:end]
    trail = re.search(r"\W+$", piece)
    if trail is not None and trail.start() > 0:
        end = start + trail.start()
    return start, end


def to_spans(
    aligned: AlignedText,
    contributions: Contributions,
    label_indices: Sequence[int],
    *,
    top_k: int,
) -> Explanation:
    """The public explanation of one text: for every label, its top positive spans.

    Labels not in ``label_indices`` get an empty list.
    """
    result: Explanation = {label: [] for label in LABELS}
    if top_k <= 0 or not contributions.units:
        return result
    original_units: list[tuple[int, int]] = []
    for start, end in contributions.units:
        o_start, o_end = aligned.original_span(start, end)
        original_units.append(_display_span(aligned.original, o_start, o_end))
    for j in label_indices:
        column = contributions.weights[:, j]
        order = np.argsort(-column, kind="stable")
        spans: list[Span] = []
        for i in order[:top_k]:
            weight = float(column[i])
            if not weight > MIN_WEIGHT:
                break
            start, end = original_units[i]
            spans.append(
                {"start": start, "end": end, "text": aligned.original[start:end], "weight": weight}
            )
        result[LABELS[j]] = spans
    return result


def resolve_labels(
    n_texts: int, labels_per_text: Sequence[Sequence[str]] | None
) -> list[list[int]]:
    """Label indices per text (every label when ``labels_per_text`` is None).

    Raises ``ValueError`` for an unknown label or a list whose length is not ``n_texts``.
    """
    if labels_per_text is None:
        return [list(range(len(LABELS))) for _ in range(n_texts)]
    if len(labels_per_text) != n_texts:
        raise ValueError(f"labels_per_text has {len(labels_per_text)} entries for {n_texts} texts")
    resolved: list[list[int]] = []
    for wanted in labels_per_text:
        if isinstance(wanted, str):
            raise ValueError("labels_per_text needs a list of labels per text, not a string")
        unknown = [label for label in wanted if label not in LABELS]
        if unknown:
            raise ValueError(f"unknown labels {unknown}; the schema is {list(LABELS)}")
        resolved.append(sorted({LABELS.index(label) for label in wanted}))
    return resolved
