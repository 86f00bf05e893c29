"""Text normalisation shared by training and inference, hardened against filter evasion.

Every text a model sees goes through :func:`normalize_text` exactly once per use, both when the
training rows are deduplicated and vectorised and when a backend scores a comment, so the two can
never drift apart. Case is left alone: lower-casing is the vectorizer's (or tokenizer's) job.

The steps undo the usual ways of hiding a word from a filter while keeping it readable:

1. **Bidi overrides** are resolved to display order: the text between a right-to-left override
   (U+202E) and its pop (U+202C), or the end of the paragraph, is reversed, which is how it is
   shown to a reader.
2. **Control and format characters** (zero-width spaces and joiners, bidi marks, NUL, lone
   surrogates) are dropped; whitespace controls become spaces.
3. **Per character cluster** (a base character and the marks or Hangul jamo that combine with
   it): Unicode NFKC (fullwidth and other compatibility forms), and combining marks on Latin
   letters and on Latin look-alikes dropped (``i̶d̶i̶o̶t̶`` and ``idíót`` read as ``idiot``). Marks
   on other letters (Cyrillic й, Devanagari vowel signs), where they are spelling, stay.
4. **Look-alike letters**: in a word whose every non-Latin letter is a Cyrillic or Greek letter
   that looks like a Latin one (``idiot`` typed with Cyrillic i and o), those letters become
   Latin. A word with any other Cyrillic or Greek letter is real Cyrillic or Greek: it stays.
5. Links become ``URL`` and @mentions ``@USER`` (the OLID convention).
6. **Spaced-out letters** are joined (``i d i o t``, ``k.y.s``) when three or more single letters
   or digits in a row are separated by one space, dot, dash, underscore or asterisk, at least two
   of them letters, and not all of them are one-letter words (``u r a`` stays); two spaces end
   a word (``Y O U  D I E``). Then runs of whitespace become one space.
7. **Leetspeak**: in a word of letters and the digits 0 1 3 4 5 7, the digits become the letters
   they stand for (``5tup1d 1d10t m0r0n`` -> ``stupid idiot moron``). Numbers, ordinals and units
   (``4th``, ``10am``, ``5k``) and words that only end in digits (``covid19``) are left alone.
8. **Stretched letters**: three or more of the same letter become two (``stuuuupid``).

Every step works on characters that remember their offsets in the submitted text
(:func:`align_text`), so explanations still point into the text as submitted. Each step is linear
in the length of the text (the whole function is, for any input), and a text longer than
:data:`MAX_TEXT_CHARS` after normalisation is cut at a word boundary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
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
_WHITESPACE_CONTROLS: Final = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_WHITESPACE_CONTROL_TABLE: Final = {ord(char): " " for char in _WHITESPACE_CONTROLS}
_PARAGRAPH_ENDS: Final = frozenset("\n\r\x1c\x1d\x1e\x85\u2029")
# Bidi embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI).
_RLO: Final = "\u202e"
_PUSHES: Final = frozenset("\u202a\u202b\u202d\u202e")
_POP: Final = "\u202c"
_MARK_CATEGORIES: Final = frozenset({"Mn", "Me"})
#: Marks on base characters below this code point (Latin and IPA) are dropped, and marks on a
#: Greek or Cyrillic letter that looks like a Latin one.
_STRIPPED_MARKS_BELOW: Final = 0x0370
#: Texts are cut to this many characters before normalisation, which bounds its cost (the API
#: already refuses texts over :data:`MAX_TEXT_CHARS`).
MAX_INPUT_CHARS: Final = 5 * 20_000

#: Cyrillic and Greek letters (and the script g) that look like a Latin letter, lower and upper
#: case, written as escapes so that the source itself cannot be misread.
_LOOKALIKES: Final = (
    "\u0430\u0432\u0435\u0451\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0443"
    "\u0445\u0456\u0457\u0458\u0455\u0501\u04bb\u04cf\u051b\u051d\u04af\u0261"
    "\u0410\u0412\u0415\u0401\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0423"
    "\u0425\u0406\u0407\u0408\u0405\u0500\u04ba\u04c0\u051a\u051c\u04ae\u03b1"
    "\u03b2\u03b5\u03b9\u03ba\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7\u03b3\u0391"
    "\u0392\u0395\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7"
    "\u0396"
)
_LATIN_LETTERS: Final = "abeekmhopctyxiijsdhlqwygABEEKMHOPCTYXIIJSDHIQWYabeikvoptuxyABEHIKMNOPTYXZ"
CONFUSABLE_LETTERS: Final[dict[str, str]] = dict(zip(_LOOKALIKES, _LATIN_LETTERS, strict=True))

_URL_RE: Final = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
_MENTION_RE: Final = re.compile(r"(?<![\w@])@\w+")
_WHITESPACE_RE: Final = re.compile(r"\s+")
# Three or more single letters/digits, each followed by one separator, the last not followed by
# another word character.
_SPACED_RE: Final = re.compile(r"(?<![^\W_])[^\W_](?:[ .*_\-][^\W_](?![^\W_])){2,}")
_ONE_LETTER_WORDS: Final = frozenset("aAiIuUrR")
# One-letter words that, next to a run of spaced letters, are a word of their own ("a f u c k").
_SEPARATE_WORDS: Final = frozenset("aAuUI")
_LEET_WORD_RE: Final = re.compile(r"\b(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]+\b")
_LEET_DIGITS: Final = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
_NOT_LEET_RE: Final = re.compile(r"\d+[A-Za-z]{1,3}|[A-Za-z]+\d+|.*\d{4,}.*|.*[2689].*")
_STRETCHED_RE: Final = re.compile(r"([A-Za-z])\1{2,}")
_WORD_RE: Final = re.compile(r"[^\W\d_]+")

# --- characters that remember where they came from -----------------------------------------

_Piece = tuple[str, int, int]  # one character, and the original offsets [start, end) it came from
# A rewrite of one regex match: output characters, each with the offsets [start, end) relative
# to the match that it comes from.
_Rewrite = Callable[[re.Match[str]], list[tuple[str, int, int]]]


#: The replacement text of every rewrite made by :func:`_whole` (a fast path for plain strings).
_LITERALS: dict[_Rewrite, str] = {}


def _whole(replacement: str) -> _Rewrite:
    def rewrite(match: re.Match[str]) -> list[tuple[str, int, int]]:
        width = match.end() - match.start()
        return [(char, 0, width) for char in replacement]

    _LITERALS[rewrite] = replacement.replace("\\", "\\\\")
    return rewrite


def _join_spaced(match: re.Match[str]) -> list[tuple[str, int, int]]:
    chars = match.group()[0::2]  # the single characters; separators sit between them
    first, last = 0, len(chars)
    # A one-letter word next to the run is a word, not a letter of it ("a f u c k").
    if not chars.isupper():  # in capitals, "I D I O T" is one word
        if chars[first] in _SEPARATE_WORDS and last - first > 3:
            first += 1
        if chars[last - 1] in _SEPARATE_WORDS and last - first > 3:
            last -= 1
    kept = chars[first:last]
    letters = sum(char.isalpha() for char in kept)
    if len(kept) < 3 or letters < 2 or all(char in _ONE_LETTER_WORDS for char in kept):
        return [(char, k, k + 1) for k, char in enumerate(match.group())]
    out = [(char, 2 * k, 2 * k + 1) for k, char in enumerate(chars[:first])]
    out += [(" ", 2 * first - 1, 2 * first)] if first else []
    out += [(char, 2 * (first + k), 2 * (first + k) + 1) for k, char in enumerate(kept)]
    if last < len(chars):
        out.append((" ", 2 * last - 1, 2 * last))
        out.append((chars[last], 2 * last, 2 * last + 1))
    return out


def _unleet(match: re.Match[str]) -> list[tuple[str, int, int]]:
    word = match.group()
    if word.isalpha() or _NOT_LEET_RE.fullmatch(word):
        return [(char, k, k + 1) for k, char in enumerate(word)]
    return [(_LEET_DIGITS.get(char, char), k, k + 1) for k, char in enumerate(word)]


def _unstretch(match: re.Match[str]) -> list[tuple[str, int, int]]:
    return [(match.group(1), 0, 1), (match.group(1), 1, 2)]


#: The word-level rewrites, in order. normalize_text and align_text both apply exactly these.
_REWRITES: Final[tuple[tuple[re.Pattern[str], _Rewrite], ...]] = (
    (_URL_RE, _whole(URL_TOKEN)),
    (_MENTION_RE, _whole(MENTION_TOKEN)),
    (_SPACED_RE, _join_spaced),  # before whitespace runs collapse: two spaces end a word
    (_WHITESPACE_RE, _whole(" ")),
    (_LEET_WORD_RE, _unleet),
    (_STRETCHED_RE, _unstretch),
)


def _sub_string(text: str, pattern: re.Pattern[str], rewrite: _Rewrite) -> str:
    literal = _LITERALS.get(rewrite)
    if literal is not None:
        return pattern.sub(literal, text)
    return pattern.sub(lambda match: "".join(char for char, _, _ in rewrite(match)), text)


def _sub_pieces(pieces: list[_Piece], pattern: re.Pattern[str], rewrite: _Rewrite) -> list[_Piece]:
    text = "".join(p[0] for p in pieces)
    out: list[_Piece] = []
    last = 0
    for match in pattern.finditer(text):
        out.extend(pieces[last : match.start()])
        base = match.start()
        for char, rel_start, rel_end in rewrite(match):
            span = pieces[base + rel_start : base + max(rel_end, rel_start + 1)]
            out.append((char, span[0][1], max(p[2] for p in span)))
        last = match.end()
    out.extend(pieces[last:])
    return out


# --- the character-level steps (on pieces) --------------------------------------------------


def _resolve_overrides(pieces: list[_Piece]) -> list[_Piece]:
    """Reverse what a right-to-left override shows reversed; the controls go in a later step."""
    if not any(p[0] == _RLO for p in pieces):
        return pieces
    out: list[_Piece] = []
    i = 0
    while i < len(pieces):
        if pieces[i][0] != _RLO:
            out.append(pieces[i])
            i += 1
            continue
        depth, j = 1, i + 1
        while j < len(pieces) and depth and pieces[j][0] not in _PARAGRAPH_ENDS:
            if pieces[j][0] in _PUSHES:
                depth += 1
            elif pieces[j][0] == _POP:
                depth -= 1
            j += 1
        # Nested overrides inside are flattened: the whole run displays right to left.
        out.extend(reversed(pieces[i + 1 : j]))
        i = j
    return out


def _strip_controls(pieces: list[_Piece]) -> list[_Piece]:
    out: list[_Piece] = []
    for char, start, end in pieces:
        if char in _WHITESPACE_CONTROLS:
            out.append((" ", start, end))
        elif unicodedata.category(char) not in _DROPPED_CATEGORIES:
            out.append((char, start, end))
    return out


def _continues_cluster(char: str) -> bool:
    """A character that combines with the one before it (a mark, or a Hangul vowel or final)."""
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in _MARK_CATEGORIES
        or 0x1160 <= code <= 0x11FF
        or 0xD7B0 <= code <= 0xD7FF
    )


def _fold_cluster(cluster: str) -> str:
    """NFKC of one cluster, without the marks on a Latin base or a Latin look-alike."""
    folded = unicodedata.normalize("NFKD", cluster)
    if folded and (ord(folded[0]) < _STRIPPED_MARKS_BELOW or folded[0] in CONFUSABLE_LETTERS):
        folded = "".join(c for c in folded if unicodedata.category(c) not in _MARK_CATEGORIES)
    return unicodedata.normalize("NFKC", folded)


def _fold_clusters(pieces: list[_Piece]) -> list[_Piece]:
    out: list[_Piece] = []
    i = 0
    while i < len(pieces):
        j = i + 1
        while j < len(pieces) and _continues_cluster(pieces[j][0]):
            j += 1
        start, end = pieces[i][1], max(p[2] for p in pieces[i:j])
        cluster = "".join(p[0] for p in pieces[i:j])
        if j == i + 1 and cluster.isascii():
            out.append(pieces[i])
        else:
            out.extend((char, start, end) for char in _fold_cluster(cluster))
        i = j
    return out


def _fold_confusables(pieces: list[_Piece]) -> list[_Piece]:
    text = "".join(p[0] for p in pieces)
    if text.isascii():
        return pieces
    out = list(pieces)
    for match in _WORD_RE.finditer(text):
        word = match.group()
        foreign = [c for c in word if not c.isascii()]
        if foreign and all(c in CONFUSABLE_LETTERS for c in foreign):
            for k in range(match.start(), match.end()):
                char, start, end = out[k]
                out[k] = (CONFUSABLE_LETTERS.get(char, char), start, end)
    return out


def _unicode_pieces(text: str) -> list[_Piece]:
    pieces: list[_Piece] = [(char, i, i + 1) for i, char in enumerate(text)]
    pieces = _strip_controls(_fold_clusters(_strip_controls(_resolve_overrides(pieces))))
    return _fold_confusables(pieces)


def _cap(text: str) -> int:
    """How many leading characters of ``text`` to keep (cut at a word boundary)."""
    if len(text) <= MAX_TEXT_CHARS:
        return len(text)
    cut = text.rfind(" ", 0, MAX_TEXT_CHARS + 1)
    return cut if cut > 0 else MAX_TEXT_CHARS


def _as_text(text: object) -> str:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return text[:MAX_INPUT_CHARS]


# --- public API -----------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Return ``text`` in the one canonical form every model is trained and scored on.

    The steps are listed in this module's docstring. Case is kept. Idempotent
    (``normalize_text(normalize_text(t)) == normalize_text(t)``), linear in the length of the
    text and total: it never raises; ``None`` or a non-string is turned into a string first
    (``None`` -> ``""``). At most :data:`MAX_TEXT_CHARS` characters come back.
    """
    text = _as_text(text)
    if text.isascii():
        # The common case: nothing for the Unicode steps to do but turn controls into spaces.
        if not text.isprintable():
            text = "".join(
                " " if c in _WHITESPACE_CONTROLS else c
                for c in text
                if c in _WHITESPACE_CONTROLS or c.isprintable()
            )
    else:
        text = "".join(p[0] for p in _unicode_pieces(text))
    for pattern, rewrite in _REWRITES:
        text = _sub_string(text, pattern, rewrite)
    text = text.strip()
    return text[: _cap(text)].rstrip()


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
        return min(self.starts[start:end]), max(self.ends[start:end])


def align_text(text: str) -> AlignedText:
    """:func:`normalize_text` of ``text`` with, per normalised character, its original offsets.

    ``align_text(t).normalized == normalize_text(t)`` for every string (tests hold it to that);
    linear in the length of ``text``.
    """
    text = _as_text(text)
    if text.isascii():
        pieces = _strip_controls([(char, i, i + 1) for i, char in enumerate(text)])
    else:
        pieces = _unicode_pieces(text)
    for pattern, rewrite in _REWRITES:
        pieces = _sub_pieces(pieces, pattern, rewrite)
    while pieces and pieces[0][0] == " ":
        pieces.pop(0)
    while pieces and pieces[-1][0] == " ":
        pieces.pop()
    pieces = pieces[: _cap("".join(p[0] for p in pieces))]
    while pieces and pieces[-1][0] == " ":
        pieces.pop()
    normalized = "".join(p[0] for p in pieces)
    expected = normalize_text(text)
    if normalized != expected:  # a safety net: never explain a text other than the one scored
        whole = (0, len(text))
        return AlignedText(text, expected, [whole[0]] * len(expected), [whole[1]] * len(expected))
    return AlignedText(text, normalized, [p[1] for p in pieces], [p[2] for p in pieces])
