from __future__ import annotations

import pytest

from classifier.text import MAX_TEXT_CHARS, normalize_text


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
