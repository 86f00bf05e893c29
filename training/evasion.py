"""Evasion check: do flags survive the spellings people use to slip abuse past a filter?

Each obfuscation in :data:`OBFUSCATIONS` rewrites a text so that a person still reads it the same
way (or sees it displayed the same way) while its characters change: leetspeak digits, spaced-out
letters, a combining mark after every letter, zero-width characters between letters, Cyrillic and
Greek look-alike letters, the text reversed inside a right-to-left override, fullwidth letters,
repeated letters and punctuation inside words. :func:`classifier.text.normalize_text` undoes
some of them before a model sees the text; the check measures the whole path a comment takes,
normalisation and model together, so it says which spellings still get through.

The check applies every obfuscation to our own short toxic seeds (insults, threats, attacks on
groups) and benign seeds, and reports per obfuscation the share of toxic texts still flagged
(next to the share of the plain seeds) and the share of benign texts flagged, since an
obfuscated spelling must not by itself make a harmless comment look toxic. Everything is
deterministic.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from classifier.labels import LABELS

#: Insults, threats and attacks on groups, lower-case and unpunctuated as people type them.
TOXIC_SEEDS: Final = (
    "you are a complete idiot",
    "shut up you stupid moron",
    "i will kill you tonight",
    "you are worthless trash",
    "go to hell you pathetic loser",
    "i am going to beat you until you bleed",
    "nobody wants you here you ugly freak",
    "you dumb piece of garbage",
    "immigrants are filthy parasites",
    "muslims should all be shot",
    "women are stupid and useless",
    "i hope someone stabs you",
    "you are a disgusting pig",
    "gay people are sick perverts",
    "fuck you and your whole family",
    "i know where you live and i am coming for you",
    "what a brainless fool you are",
    "jews are evil liars",
    "you should be hanged for this",
    "black people are animals",
    "you are a lazy good for nothing bum",
    "shut your mouth or i will shut it for you",
    "you are the stupidest person alive",
    "die in a fire you scumbag",
    "refugees are rats and should be drowned",
    "you are a spineless coward and a liar",
    "i will burn your house down",
    "trans people are disgusting and should disappear",
    "you are a moronic waste of space",
    "i am going to shoot you in the head",
)

#: Ordinary comments of the same length and register.
BENIGN_SEEDS: Final = (
    "thank you for the quick reply",
    "the weather is lovely today",
    "i really enjoyed the movie last night",
    "can someone recommend a good book",
    "the bus was late again this morning",
    "congrats on finishing the marathon",
    "this recipe needs more garlic",
    "i think the new update is great",
    "see you at the meeting tomorrow",
    "my dog loves playing in the snow",
    "what time does the store open",
    "the museum has a new dinosaur exhibit",
    "happy new year to everyone here",
    "i disagree but that is a fair point",
    "please send me the report by friday",
    "the garden looks beautiful in spring",
    "we won the quiz at the pub",
    "this article was very informative",
    "my sister just started a new job",
    "the coffee here is excellent",
    "i am learning to play the guitar",
    "our team meeting went well",
    "the library has free wifi now",
    "i need a new pair of running shoes",
    "the kids built a sandcastle at the beach",
    "good luck with your exam",
    "the concert starts at eight",
    "i fixed the leaking tap myself",
    "that is a great idea",
    "the sky was full of stars tonight",
)

_LETTER: Final = r"[^\W\d_]"
_WORD: Final = re.compile(_LETTER + r"{2,}")
_LONG_WORD: Final = re.compile(_LETTER + r"{3,}")
_BETWEEN_LETTERS: Final = re.compile(rf"(?<={_LETTER})(?={_LETTER})")
_VOWEL: Final = re.compile(r"[aeiouAEIOU]")

_LEET: Final = str.maketrans("aAeEiIoOsStT", "443311005577")
#: Latin letters and the Cyrillic (most) or Greek (v, u) letters drawn the same.
_LOOKALIKES: Final = str.maketrans(
    {
        "a": "\u0430",
        "c": "\u0441",
        "e": "\u0435",
        "i": "\u0456",
        "j": "\u0458",
        "o": "\u043e",
        "p": "\u0440",
        "s": "\u0455",
        "x": "\u0445",
        "y": "\u0443",
        "v": "\u03bd",
        "u": "\u03c5",
        "A": "\u0410",
        "B": "\u0412",
        "E": "\u0415",
        "H": "\u041d",
        "K": "\u041a",
        "M": "\u041c",
        "O": "\u041e",
        "T": "\u0422",
    }
)
_FULLWIDTH: Final = {code: code + 0xFEE0 for code in range(0x21, 0x7F)} | {0x20: 0x3000}
#: Drawn over the letter before it, so the text stays readable (struck through).
COMBINING_MARK: Final = "\u0336"
ZERO_WIDTH_SPACE: Final = "\u200b"
RIGHT_TO_LEFT_OVERRIDE: Final = "\u202e"
POP_DIRECTIONAL_FORMATTING: Final = "\u202c"


def leetspeak(text: str) -> str:
    """a->4, e->3, i->1, o->0, s->5, t->7 (either case)."""
    return text.translate(_LEET)


def spaced_letters(text: str) -> str:
    """A space between the letters of every word, two between words: "i d i o t"."""
    text = re.sub(r"\s+", "  ", text)
    return _WORD.sub(lambda m: " ".join(m.group()), text)


def combining_marks(text: str) -> str:
    """A combining long stroke after every letter (struck-through text)."""
    return re.sub(_LETTER, lambda m: m.group() + COMBINING_MARK, text)


def zero_width(text: str) -> str:
    """A zero-width space between adjacent letters; displays as the original."""
    return _BETWEEN_LETTERS.sub(ZERO_WIDTH_SPACE, text)


def lookalike_letters(text: str) -> str:
    """Latin letters replaced by Cyrillic or Greek letters drawn the same."""
    return text.translate(_LOOKALIKES)


def right_to_left_override(text: str) -> str:
    """The text reversed inside U+202E ... U+202C, so that it is displayed as the original."""
    return RIGHT_TO_LEFT_OVERRIDE + text[::-1] + POP_DIRECTIONAL_FORMATTING


def fullwidth(text: str) -> str:
    """ASCII as fullwidth forms (U+FF01-U+FF5E, the space as U+3000)."""
    return text.translate(_FULLWIDTH)


def repeated_letters(text: str) -> str:
    """In every word of three letters or more, the first vowel three times: "stuuupid"."""

    def stretch(match: re.Match[str]) -> str:
        word = match.group()
        vowel = _VOWEL.search(word)
        i = vowel.start() if vowel else len(word) - 1
        return word[:i] + word[i] * 3 + word[i + 1 :]

    return _LONG_WORD.sub(stretch, text)


def punctuated(text: str) -> str:
    """A dot between the letters of every word: "i.d.i.o.t"."""
    return _WORD.sub(lambda m: ".".join(m.group()), text)


#: Every obfuscation by name, in report order.
OBFUSCATIONS: Final[dict[str, Callable[[str], str]]] = {
    "leetspeak": leetspeak,
    "spaced_letters": spaced_letters,
    "combining_marks": combining_marks,
    "zero_width": zero_width,
    "lookalike_letters": lookalike_letters,
    "right_to_left_override": right_to_left_override,
    "fullwidth": fullwidth,
    "repeated_letters": repeated_letters,
    "punctuated": punctuated,
}
#: Shown in the report, one per obfuscation.
EXAMPLE: Final = "you idiot"


def visible(text: str) -> str:
    """``text`` with format characters (zero-width, bidi) written as ``\\uXXXX`` escapes."""
    return "".join(
        f"\\u{ord(char):04x}" if unicodedata.category(char) == "Cf" else char for char in text
    )


def _flagged(
    predict_proba: Callable[[Sequence[str]], npt.NDArray[np.float32]],
    texts: Sequence[str],
    limits: npt.NDArray[np.float64],
) -> npt.NDArray[np.bool_]:
    scores = np.asarray(predict_proba(list(texts)), dtype=np.float64)
    return np.asarray((scores >= limits).any(axis=1), dtype=np.bool_)


def evasion_check(
    predict_proba: Callable[[Sequence[str]], npt.NDArray[np.float32]],
    thresholds: Mapping[str, float],
    *,
    toxic: Sequence[str] = TOXIC_SEEDS,
    benign: Sequence[str] = BENIGN_SEEDS,
    missed: int = 3,
) -> dict[str, Any]:
    """Score the seeds plain and under every obfuscation; JSON-able summary.

    A text is flagged when any label's score is at or above its threshold (0.5 where
    ``thresholds`` lacks the label). Per obfuscation: ``toxic_flagged`` (share of toxic seeds
    flagged once obfuscated), ``toxic_flagged_original`` (the same for the plain seeds),
    ``benign_flagged`` (share of benign seeds flagged once obfuscated: false positives) and up to
    ``missed`` toxic texts flagged plain but not obfuscated. ``worst`` is the obfuscation with
    the lowest ``toxic_flagged``.
    """
    limits = np.array([float(thresholds.get(label, 0.5)) for label in LABELS])
    toxic_plain = _flagged(predict_proba, toxic, limits)
    benign_plain = _flagged(predict_proba, benign, limits)
    per_obfuscation: dict[str, Any] = {}
    for name, obfuscate in OBFUSCATIONS.items():
        toxic_texts = [obfuscate(text) for text in toxic]
        toxic_hit = _flagged(predict_proba, toxic_texts, limits)
        benign_hit = _flagged(predict_proba, [obfuscate(text) for text in benign], limits)
        lost = np.flatnonzero(toxic_plain & ~toxic_hit)[:missed]
        per_obfuscation[name] = {
            "example": visible(obfuscate(EXAMPLE)),
            "toxic_flagged": float(toxic_hit.mean()),
            "toxic_flagged_original": float(toxic_plain.mean()),
            "benign_flagged": float(benign_hit.mean()),
            "benign_flagged_original": float(benign_plain.mean()),
            "missed": [{"seed": toxic[i], "text": visible(toxic_texts[i])} for i in lost],
        }
    worst = min(per_obfuscation, key=lambda name: per_obfuscation[name]["toxic_flagged"])
    return {
        "toxic_seeds": len(toxic),
        "benign_seeds": len(benign),
        "original": {
            "toxic_flagged": float(toxic_plain.mean()),
            "benign_flagged": float(benign_plain.mean()),
        },
        "per_obfuscation": per_obfuscation,
        "worst": {"obfuscation": worst, "toxic_flagged": per_obfuscation[worst]["toxic_flagged"]},
    }


def evasion_markdown(result: Mapping[str, Any]) -> str:
    """The check as a Markdown section."""
    original = result["original"]
    lines = [
        "## Evasion check",
        "",
        f"{result['toxic_seeds']} toxic and {result['benign_seeds']} benign seed texts, plain and "
        "under each obfuscation. Plain: "
        f"{original['toxic_flagged']:.3f} of toxic texts flagged, "
        f"{original['benign_flagged']:.3f} of benign texts flagged.",
        "",
        "| obfuscation | example | toxic flagged | plain | benign flagged |",
        "|---|---|---:|---:|---:|",
    ]
    for name, m in result["per_obfuscation"].items():
        example = m["example"].replace("|", "\\|")
        lines.append(
            f"| {name} | `{example}` | {m['toxic_flagged']:.3f} | "
            f"{m['toxic_flagged_original']:.3f} | {m['benign_flagged']:.3f} |"
        )
    worst = result["worst"]
    lines += ["", f"Worst: {worst['obfuscation']} ({worst['toxic_flagged']:.3f} still flagged)."]
    missed = [(name, c) for name, m in result["per_obfuscation"].items() for c in m["missed"]]
    if missed:
        lines += ["", "Toxic texts flagged plain but missed once obfuscated (a few each):", ""]
        lines += ["| obfuscation | text | seed |", "|---|---|---|"]
        for name, case in missed:
            text = case["text"].replace("|", "\\|")
            lines.append(f"| {name} | `{text}` | {case['seed']} |")
    return "\n".join(lines) + "\n"
