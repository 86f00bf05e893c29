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
