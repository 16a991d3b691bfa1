"""Unicode hygiene: what a name looks like after normalisation, and that normalising is idempotent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matchers.normalize import mixed_script_words, normalize_name
from matchers.scripts import detect_script


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


@given(_NAME_TEXT)
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once


@given(st.text(max_size=40))
def test_normalize_name_accepts_any_text(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once
