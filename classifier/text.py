"""Text normalisation shared by training and inference.

Every text a model sees goes through :func:`normalize_text` exactly once per use, both when the
training rows are deduplicated and vectorised and when a backend scores a comment, so the two can
never drift apart. Case is left alone: lower-casing is the vectorizer's job.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

#: Placeholder that replaces every link (the OLID convention).
URL_TOKEN: Final = "URL"  # noqa: S105 (a placeholder, not a secret)
#: Placeholder that replaces every @mention (the OLID convention).
MENTION_TOKEN: Final = "@USER"  # noqa: S105
#: Longer texts are cut to this many characters after normalisation. Character n-grams make the
#: scoring cost grow with length; a cap keeps one pasted novel from stalling a worker.
MAX_TEXT_CHARS: Final = 20_000

# Control (Cc), format (Cf: zero-width and bidi marks, often used to dodge filters) and lone
# surrogate (Cs) characters. Tabs and newlines are Cc too: they become spaces, not nothing.
_DROPPED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs"})
_WHITESPACE_CONTROLS: Final = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")
_WHITESPACE_CONTROL_TABLE: Final = {ord(char): " " for char in _WHITESPACE_CONTROLS}
_URL_RE: Final = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
_MENTION_RE: Final = re.compile(r"(?<![\w@])@\w+")
_WHITESPACE_RE: Final = re.compile(r"\s+")


def _strip_controls(text: str) -> str:
    if text.isprintable():  # fast path: nothing to drop (spaces count as printable)
        return text
    return "".join(
        " " if char in _WHITESPACE_CONTROLS else char
        for char in text
        if char in _WHITESPACE_CONTROLS or unicodedata.category(char) not in _DROPPED_CATEGORIES
    )


def normalize_text(text: str) -> str:
    """Return ``text`` in the one canonical form every model is trained and scored on.

    Steps: drop NUL, control, format (zero-width, bidi) and lone surrogate characters
    (whitespace controls become spaces); Unicode NFKC; links -> ``URL``; @mentions -> ``@USER``;
    runs of whitespace -> one space; strip; cut to :data:`MAX_TEXT_CHARS` at a word boundary.
    Case is kept.

    Idempotent (``normalize_text(normalize_text(t)) == normalize_text(t)``) and total: it never
    raises; ``None`` or a non-string is turned into a string first (``None`` -> ``""``).
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    # Controls go before NFKC so that what they separated can compose, and again after it in
    # case a compatibility mapping produced one: this keeps the function idempotent.
    text = _strip_controls(unicodedata.normalize("NFKC", _strip_controls(text)))
    text = _URL_RE.sub(URL_TOKEN, text)
    text = _MENTION_RE.sub(MENTION_TOKEN, text)
    text = _WHITESPACE_RE.sub(" ", text).strip()
    if len(text) > MAX_TEXT_CHARS:
        # Cut at a word boundary so that no placeholder is left half-written.
        head = text[: MAX_TEXT_CHARS + 1]
        cut = head.rfind(" ")
        text = head[:cut] if cut > 0 else head[:MAX_TEXT_CHARS]
    return text


# --- offsets back into the original text ----------------------------------------------------


class AlignedText:
    """A text, its :func:`normalize_text` form, and where each normalised character came from.

    ``starts[i]``/``ends[i]`` are the character offsets in ``original`` that produced character
    ``i`` of ``normalized`` (a placeholder such as ``URL`` maps every one of its characters to the
    whole link it replaced). Explanations use this to point at spans of the text as submitted.
    """

    __slots__ = ("ends", "normalized", "original", "starts")

    def __init__(self, original: str, normalized: str, starts: list[int], ends: list[int]) -> None:
        self.original = original
        self.normalized = normalized
        self.starts = starts
        self.ends = ends

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Offsets in ``original`` of normalised characters ``[start, end)`` (``end > start``)."""
        return self.starts[start], max(self.ends[start:end])


_Piece = tuple[str, int, int]  # one character, and the original offsets it came from


def _pieces_strip_controls(pieces: list[_Piece]) -> list[_Piece]:
    out: list[_Piece] = []
    for char, start, end in pieces:
        if char in _WHITESPACE_CONTROLS:
            out.append((" ", start, end))
        elif unicodedata.category(char) not in _DROPPED_CATEGORIES:
            out.append((char, start, end))
    return out


def _pieces_nfkc(pieces: list[_Piece]) -> list[_Piece]:
    """NFKC cluster by cluster (a starter and the combining marks after it)."""
    out: list[_Piece] = []
    i = 0
    while i < len(pieces):
        j = i + 1
        while j < len(pieces) and unicodedata.combining(pieces[j][0]):
            j += 1
        cluster = "".join(p[0] for p in pieces[i:j])
        start, end = pieces[i][1], max(p[2] for p in pieces[i:j])
        out.extend((char, start, end) for char in unicodedata.normalize("NFKC", cluster))
        i = j
    expected = unicodedata.normalize("NFKC", "".join(p[0] for p in pieces))
    if "".join(p[0] for p in out) != expected:
        # Composition across clusters (rare: Hangul jamo and the like): align by diff instead.
        out = _pieces_by_diff(pieces, expected)
    return out


def _pieces_by_diff(pieces: list[_Piece], target: str) -> list[_Piece]:
    import difflib

    source = "".join(p[0] for p in pieces)
    out: list[_Piece] = []
    matcher = difflib.SequenceMatcher(None, source, target, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(
                (target[b0 + k], pieces[a0 + k][1], pieces[a0 + k][2]) for k in range(a1 - a0)
            )
        elif b1 > b0:
            lo = pieces[min(a0, len(pieces) - 1)][1] if pieces else 0
            hi = max((p[2] for p in pieces[a0:a1]), default=lo)
            out.extend((target[k], lo, max(hi, lo)) for k in range(b0, b1))
    return out


def _pieces_sub(pieces: list[_Piece], pattern: re.Pattern[str], replacement: str) -> list[_Piece]:
    text = "".join(p[0] for p in pieces)
    out: list[_Piece] = []
    last = 0
    for match in pattern.finditer(text):
        out.extend(pieces[last : match.start()])
        if match.end() > match.start():
            start = pieces[match.start()][1]
            end = max(p[2] for p in pieces[match.start() : match.end()])
            out.extend((char, start, end) for char in replacement)
        last = match.end()
    out.extend(pieces[last:])
    return out


def align_text(text: str) -> AlignedText:
    """:func:`normalize_text` of ``text`` with, per normalised character, its original offsets.

    ``align_text(t).normalized == normalize_text(t)`` for every string (tests hold it to that).
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    spaced = text.translate(_WHITESPACE_CONTROL_TABLE)
    if spaced.isprintable() and unicodedata.is_normalized("NFKC", spaced):
        # The common case: no control or format character and nothing NFKC would change, so
        # the three character-by-character passes below would map every character to itself.
        pieces: list[_Piece] = [(char, i, i + 1) for i, char in enumerate(spaced)]
    else:
        pieces = [(char, i, i + 1) for i, char in enumerate(text)]
        pieces = _pieces_strip_controls(_pieces_nfkc(_pieces_strip_controls(pieces)))
    pieces = _pieces_sub(pieces, _URL_RE, URL_TOKEN)
    pieces = _pieces_sub(pieces, _MENTION_RE, MENTION_TOKEN)
    pieces = _pieces_sub(pieces, _WHITESPACE_RE, " ")
    while pieces and pieces[0][0] == " ":
        pieces.pop(0)
    while pieces and pieces[-1][0] == " ":
        pieces.pop()
    if len(pieces) > MAX_TEXT_CHARS:
        head = "".join(p[0] for p in pieces[: MAX_TEXT_CHARS + 1])
        cut = head.rfind(" ")
        pieces = pieces[:cut] if cut > 0 else pieces[:MAX_TEXT_CHARS]
    normalized = "".join(p[0] for p in pieces)
    expected = normalize_text(text)
    if normalized != expected:  # a safety net: never explain a text other than the one scored
        pieces = _pieces_by_diff(pieces, expected)
        normalized = expected
    return AlignedText(text, normalized, [p[1] for p in pieces], [p[2] for p in pieces])
