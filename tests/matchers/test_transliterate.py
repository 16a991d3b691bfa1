"""The canonical skeleton: the transliteration systems met in practice land on one string."""

from __future__ import annotations

import pytest

from matchers.normalize import normalize_name
from matchers.transliterate import loose_skeleton, skeleton


def _skeleton(word: str) -> str:
    return skeleton(normalize_name(word))


@pytest.mark.parametrize(
    "spelling",
    [
        "Гнилицький",  # Ukrainian verdict
        "Гнилицкий",  # Russian military ID
        "GNILITSKII",  # ICAO 9303
        "Hnylytskyi",  # KMU 2010
        "Gnilitskiy",  # BGN/PCGN
        "Gnilitsky",  # English
        "Gnilizkij",  # German
        "Gnilickij",  # ISO 9 / scientific
        "Hnylyts'kyy",  # passport 2007 / BGN Ukrainian with the soft sign
    ],
)
def test_every_system_gives_the_same_surname_skeleton(spelling: str) -> None:
    assert _skeleton(spelling) == "gnilitski"


@pytest.mark.parametrize(
    ("spellings", "expected"),
    [
        (["Кабашний", "Кабашный", "Kabashnyi", "Kabashnyy", "Kabashny", "Kabaschnyj"], "kabashni"),
        (["Качаров", "Kacharov", "KACHAROV", "Katscharow", "Kaczarow"], "kacharov"),
        (["Хрущак", "Khrushchak", "Khrouchtchak"], "xrushchak"),
        (["Юрій", "Юрий", "Yurii", "Iurii", "Yuriy", "Jurij"], "iuri"),
        (["Євген", "Yevhen", "Ievgen"], "evgen"),
        (["Васильєв", "Васильев", "Vasilyev", "Vasiliev", "Wassiljew"], "vasilev"),
        (["Федір", "Fedir"], "fedir"),
        (["Фёдор", "Федор", "Fyodor", "Fedor"], "fedor"),
        (["Шведаў", "Shvedau", "Шведов", "Shvedov"], "shvedov"),  # Belarusian -аў is -ов
        (
            ["Wladimirowitsch", "Władimirowicz", "Vladimirovitj", "Vladimirovič", "Владимирович"],
            "vladimirovich",
        ),
    ],
)
def test_spellings_of_one_word_converge(spellings: list[str], expected: str) -> None:
    assert {_skeleton(spelling) for spelling in spellings} == {expected}


def test_ukrainian_h_and_russian_g_are_one_letter() -> None:
    assert _skeleton("Hryhorii") == _skeleton("Grigorii") == _skeleton("Григорій")


def test_the_feminine_form_keeps_its_own_skeleton() -> None:
    assert _skeleton("Кабашна") != _skeleton("Кабашний")
    assert _skeleton("Іванова") != _skeleton("Іванов")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Zacharov", "Захаров"),  # Czech/German ch is х
        ("Chruschtschak", "Хрущак"),
        ("Obuchovová", "Обухова"),  # Czech adds -ová to the man's surname
        ("Chilov", "Шилов"),  # French ch is ш
        ("Olecsandr", "Олександр"),  # the 2004 passports write к as c
        ("Proxorov", "Прохоров"),  # scientific x is х
        ("Асіпенка", "Осипенко"),  # Belarusian akanye
    ],
)
def test_letters_spellings_confuse_agree_in_the_loose_skeleton(first: str, second: str) -> None:
    assert _skeleton(first) != _skeleton(second)
    assert loose_skeleton(_skeleton(first)) == loose_skeleton(_skeleton(second))
