"""Unicode hygiene: what a name looks like after normalisation, and that normalising is idempotent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matchers.dates import parse_birth_date
from matchers.names import parse_name
from matchers.normalize import mixed_script_words, normalize_name
from matchers.scripts import detect_script
from matchers.transliterate import skeleton


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("КАЧАРОВ Костянтин", "качаров костянтин"),
        ("Ка\u200bча\u200dров", "качаров"),  # zero-width space and joiner
        ("\u202eKabashnyi\u202c", "kabashnyi"),  # bidi override and pop
        ("Kaba\u00adshnyi", "kabashnyi"),  # soft hyphen
        ("В’ячеслав", "в'ячеслав"),
        ("Вʼячеслав", "в'ячеслав"),
        ("Гнилицький–Петренко", "гнилицький-петренко"),  # en dash
        ("Фёдор", "федор"),
        ("ＫＡＣＨＡＲＯＶ", "kacharov"),  # fullwidth letters (NFKC)
        ("  Oleh   Hnylytskyi ", "oleh hnylytskyi"),
    ],
)
def test_normalize_name_cleans_what_keyboards_and_copy_paste_leave(raw: str, clean: str) -> None:
    assert normalize_name(raw) == clean


def test_latin_lookalikes_in_a_cyrillic_word_become_cyrillic() -> None:
    # Latin "k" and "O" typed into Cyrillic words
    assert normalize_name("Гнилицьkий Oлег") == "гнилицький олег"
    assert detect_script(normalize_name("Гнилицьkий Oлег")) == "Cyrl"


def test_cyrillic_lookalikes_in_a_latin_word_become_latin() -> None:
    # Cyrillic "а" and "о" typed into a Latin word
    assert normalize_name("Kаbаshnyi Olеksandr") == "kabashnyi oleksandr"
    assert detect_script(normalize_name("Kаbаshnyi")) == "Latn"


def test_words_that_mixed_scripts_are_reported() -> None:
    assert mixed_script_words("Гнилицьkий Олег Петрович") == ["Гнилицьkий"]
    assert mixed_script_words("Hnylytskyi Oleh") == []


@pytest.mark.parametrize(
    ("text", "script"),
    [("Качаров", "Cyrl"), ("Kacharov", "Latn"), ("Kaчаров", "Mixed"), ("Κώστας", "Grek"), ("1975", "Zyyy")],
)
def test_detect_script(text: str, script: str) -> None:
    assert detect_script(text) == script


_NAME_TEXT = st.text(
    alphabet=st.sampled_from(
        list("абвгґдеєжзиіїйклмнопрстуфхцчшщьюяёыэъ АБВГҐДЕЄЖЗИІЇЙЮЯЁabcdehijkmnopxyzACEHKMOPTXY")
        + [
            "\u200b",
            "\u200d",
            "\u202e",
            "\u00ad",
            "’",
            "ʼ",
            "–",
            "-",
            "'",
            ".",
            ",",
            "ß",
            "ﬁ",
            "Ｋ",
            "é",
            "ў",
        ]
    ),
    max_size=30,
)


def test_a_word_that_becomes_all_look_alikes_once_folded_is_folded_at_once() -> None:
    # "AЁ" has a letter with no Latin twin until ё becomes е: a second normalising found the look-alike
    # word "ае" that the first had left (found by hypothesis)
    once = normalize_name("A,AЁ")
    assert normalize_name(once) == once


@given(_NAME_TEXT)
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once


@given(st.text(max_size=40))
def test_normalize_name_accepts_any_text(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once


# what a fuzzer should try on a name: letters of both alphabets and their look-alikes, invisible and bidi
# characters, combining marks, NFKC expansions, apostrophes and dashes, digits and punctuation
_HOSTILE_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            list("ГнилицькийОлегПетровичGNILITSKIIOLEGaeopcxy'’ʼ-–. ,;")
            + [
                "\u200b",
                "\u200c",
                "\u200d",
                "\u2060",
                "\ufeff",
                "\u00ad",
                "\u202a",
                "\u202b",
                "\u202e",
                "\u2066",
                "\u2067",
                "\u2069",
                "\u0301",
                "\u0306",
                "\u0308",
                "\u0336",
                "\ufdfa",
                "\u3392",
                "ﬁ",
                "Ｋ",
                "ǅ",
                "ẞ",
                "İ",
                "ı",
                "\U0001d400",
                "\U000e0041",
            ]
        ),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
)


@given(_HOSTILE_TEXT)
def test_normalising_hostile_text_twice_changes_nothing(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once
    assert not any(char in once for char in "\u200b\u200d\u202e\u2067\ufeff\u00ad")


@given(_HOSTILE_TEXT)
def test_the_name_readers_never_raise_on_any_text(text: str) -> None:
    parsed = parse_name(text)
    for word in normalize_name(text).split():
        skeleton(word)
    assert len(parsed.roles) == len(parsed.parts)
    parse_birth_date(text)


@given(st.text(alphabet=st.sampled_from(list("0123456789./- ")), max_size=14) | st.text(max_size=20))
def test_reading_a_birth_date_never_raises(text: str) -> None:
    value = parse_birth_date(text)
    assert value is None or 1 <= value.year <= 9999
