from __future__ import annotations

import re
import unicodedata

import pytest

from classifier.text import MAX_TEXT_CHARS, align_text, normalize_text


def test_links_and_mentions_become_olid_placeholders() -> None:
    text = "@some_user look at https://example.com/a?b=1 and www.example.org now"
    assert normalize_text(text) == "@USER look at URL and URL now"


def test_email_address_is_not_a_mention() -> None:
    assert normalize_text("mail me at ann@example.com") == "mail me at ann@example.com"


def test_control_and_invisible_characters_cannot_split_a_word() -> None:
    assert normalize_text("id\u200bi\x00ot") == "idiot"
    assert normalize_text("i\u2066d\u2069iot") == "idiot"


def test_whitespace_controls_separate_words_and_runs_collapse() -> None:
    assert normalize_text("  one\ttwo\n\nthree\r\n  four \u00a0five ") == "one two three four five"


def test_nfkc_folds_lookalike_forms_but_keeps_case() -> None:
    fullwidth_stupid = "\uff33\uff34\uff35\uff30\uff29\uff24"
    assert normalize_text(f"{fullwidth_stupid} \ufb01ne") == "STUPID fine"


def test_long_text_is_capped_at_a_word_boundary() -> None:
    text = "word " * (MAX_TEXT_CHARS // 2)
    result = normalize_text(text)
    assert len(result) <= MAX_TEXT_CHARS
    assert result.endswith("word")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\x00\x01",
        "plain text",
        "e\u200d\u0301 combining after a removed joiner",
        "RT @a: @b hi https://t.co/x @USER URL",
        "ＡＢＣ①",
        "🙂👍🏽 emoji",
        "x" * (MAX_TEXT_CHARS + 50),
        ("ab " * MAX_TEXT_CHARS) + "@name",
    ],
)
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


def test_odd_input_never_raises() -> None:
    assert normalize_text(None) == ""  # type: ignore[arg-type]
    assert normalize_text("\ud800 lone surrogate") == "lone surrogate"


# --- evasions: each one is read as the word a reader sees ----------------------------------

STRIKE = "\u0336"  # combining long stroke overlay
RLO, PDF = "\u202e", "\u202c"


@pytest.mark.parametrize(
    ("evasive", "expected"),
    [
        ("u r a 5tup1d 1d10t m0r0n", "u r a stupid idiot moron"),
        ("you are an i d i o t", "you are an idiot"),
        ("you are a f u c k i n g clown", "you are a fucking clown"),
        ("I h a t e you", "I hate you"),
        ("k.y.s now", "kys now"),
        ("Y O U  D I E", "YOU DIE"),
        ("".join(char + STRIKE for char in "idiot"), "idiot"),
        ("id\u0301i\u0308o\u0300t", "idiot"),
        (f"ok {RLO}toidi na era uoy{PDF} ok", "ok you are an idiot ok"),
        (f"{RLO}toidi", "idiot"),
        ("you are an \u0456d\u0456\u043et", "you are an idiot"),  # Cyrillic i, i, o
        ("\u03bfk \u0391\u0399", "ok AI"),  # Greek omicron, Alpha, Iota
        ("i\u200bd\u200ci\u200do\u2060t", "idiot"),
        ("stuuuupid", "stuupid"),
    ],
)
def test_evasive_spellings_are_read_as_the_words_they_show(evasive: str, expected: str) -> None:
    assert normalize_text(evasive) == expected


@pytest.mark.parametrize(
    "ordinary",
    [
        "u r a star",
        "mail me at ann@example.com",
        "the 4th of July at 10am, 5k run, covid19 and 2024",
        "Мир, труд, май: обычный текст",  # real Cyrillic, with й, stays Cyrillic
        "Ελληνικά γράμματα",
        "हिन्दी में लिखा",  # Devanagari vowel signs are spelling, not decoration
        "Café au lait",
    ],
)
def test_ordinary_text_keeps_its_meaning(ordinary: str) -> None:
    result = normalize_text(ordinary)
    if ordinary.isascii():
        assert result == ordinary
    else:
        assert result == normalize_text(result)
    assert "Мир, труд, май" in normalize_text("Мир, труд, май: обычный текст")
    assert normalize_text("हिन्दी") == unicodedata.normalize("NFKC", "हिन्दी")
    assert normalize_text("Café au lait") == "Cafe au lait"


@pytest.mark.parametrize(
    "text",
    [
        "u r a 5tup1d 1d10t m0r0n, see https://example.com/x @you",
        "".join(char + STRIKE for char in "you idiot"),
        f"fine {RLO}toidi na era uoy{PDF} fine",
        "you are an \u0456d\u0456\u043et",
        "i d i o t and \uff33\uff34\uff35\uff30\uff29\uff24",
        "\u1100\u1161 " * 50 + "idiot",
    ],
)
def test_offsets_point_into_the_submitted_text(text: str) -> None:
    aligned = align_text(text)
    assert aligned.normalized == normalize_text(text)
    assert len(aligned.starts) == len(aligned.ends) == len(aligned.normalized)
    for start, end in zip(aligned.starts, aligned.ends, strict=True):
        assert 0 <= start < end <= len(text)
    # Every word of the normalised text maps back to original characters that read as it.
    for match in re.finditer(r"[a-z]{4,}", aligned.normalized):
        o_start, o_end = aligned.original_span(match.start(), match.end())
        assert normalize_text(text[o_start:o_end]).replace(" ", "").lower() in {
            match.group(),
            match.group()[::-1],
        } or len(text[o_start:o_end]) >= len(match.group())


def test_reversed_text_maps_back_to_the_reversed_original() -> None:
    text = f"{RLO}toidi{PDF}"
    aligned = align_text(text)
    assert aligned.normalized == "idiot"
    assert aligned.original_span(0, 5) == (1, 6)
    assert aligned.starts[0] == 5
    assert text[5] == "i"


@pytest.mark.parametrize(
    "pathological",
    [
        "you idiot " + "\u1100\u1161 " * 7000,  # Hangul jamo pairs: once cubic in alignment
        "\u1100" * 20_000,
        "\u1161" * 20_000,
        "a" + "\u0301" * 20_000,  # one letter with 20,000 marks
        "a\u0301" * 20_000,
        RLO * 20_000,
        (RLO + "ab" + PDF) * 5_000,
        "i d " * 5_000,
        "1" * 20_000,
        "\u200b" * 20_000 + "idiot",
        "x" * 300_000,
    ],
)
def test_pathological_text_is_normalised_and_aligned_in_one_linear_pass(pathological: str) -> None:
    # Each step is a single pass over the text, and input past MAX_INPUT_CHARS is not read: the
    # jamo text above took hours with the old diff-based alignment.
    aligned = align_text(pathological)
    assert aligned.normalized == normalize_text(pathological)
    assert len(aligned.normalized) <= MAX_TEXT_CHARS
    assert normalize_text(aligned.normalized) == aligned.normalized


def test_text_of_only_invisible_characters_normalises_to_nothing() -> None:
    assert normalize_text("\u200b\u200d\u2060\u202e\u202c\u2066\ufeff") == ""
