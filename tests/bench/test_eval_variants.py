"""The evaluation's generated variants: Ukrainian verdict forms, renderings, typos, look-alikes and dates."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from rapidfuzz.distance import OSA

from bench import date_variants as dates
from bench import renderings as rn
from bench.ukrainian_forms import (
    NameParts,
    feminine_patronymic,
    feminine_surname,
    split_russian_name,
    to_ukrainian,
    ukrainian_surname,
)


@pytest.mark.parametrize(
    ("russian", "ukrainian"),
    [
        ("Кабашный Александр Владимирович", "Кабашний Олександр Володимирович"),
        ("Дмитрий Сергеевич Медведев", "Медведєв Дмитро Сергійович"),
        ("Гнилицкий Олег Петрович", "Гніліцький Олег Петрович"),
        ("Королёв Алексей Николаевич", "Корольов Олексій Миколайович"),
        ("Пугачёв Илья Вячеславович", "Пугачов Ілля В'ячеславович"),
    ],
)
def test_a_russian_name_gets_the_ukrainian_verdict_form(russian: str, ukrainian: str) -> None:
    parts = split_russian_name(russian)
    assert parts is not None
    assert to_ukrainian(parts).full() == ukrainian


def test_names_outside_the_table_or_not_three_words_are_not_used() -> None:
    assert split_russian_name("Кабашный Абдулла Владимирович") is None
    assert split_russian_name("Кабашный Александр") is None
    assert split_russian_name("Kabashny Aleksandr Vladimirovich") is None


@pytest.mark.parametrize(
    ("russian", "ukrainian"),
    [("Чернышевский", "Чернишевський"), ("Белый", "Белий"), ("Эйхман", "Ейхман"), ("Ерёменко", "Єрьоменко")],
)
def test_surname_rules(russian: str, ukrainian: str) -> None:
    assert ukrainian_surname(russian) == ukrainian


def test_the_woman_of_the_same_surname_family_has_a_feminine_surname_and_patronymic() -> None:
    assert feminine_surname("Кабашний") == "Кабашна"
    assert feminine_surname("Гнилицький") == "Гнилицька"
    assert feminine_surname("Медведєв") == "Медведєва"
    assert feminine_surname("Шевченко") is None  # the same for men and women: not a negative
    assert feminine_patronymic("Олександрович") == "Олександрівна"
    assert feminine_patronymic("Миколайович") == "Миколаївна"
    assert feminine_patronymic("Ілліч") == "Іллівна"


UKRAINIAN = NameParts("Гнилицький", "Олег", "Петрович")
RUSSIAN = NameParts("Гнилицкий", "Олег", "Петрович")


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        ("uk_kmu2010", "Hnylytskyi Oleh Petrovych"),
        ("uk_passport2007", "Gnylytskyi Oleg Petrovych"),
        ("ru_icao9303", "Gnilitskii Oleg Petrovich"),
        ("ru_bgn_pcgn", "Gnilitskiy Oleg Petrovich"),
        ("ru_german", "Gnilizki Oleg Petrowitsch"),
        ("ru_polish", "Gnilicki Oleg Pietrowicz"),
    ],
)
def test_each_system_renders_the_name_as_published(system: str, expected: str) -> None:
    assert rn.surname_given_patronymic(rn.render_system(UKRAINIAN, RUSSIAN, system)) == expected


def test_hand_tables_follow_german_and_polish_press_practice() -> None:
    lavrov = NameParts("Лавров", "Сергей", "Владимирович")
    assert rn.given_patronymic_surname(rn.render_parts(lavrov, rn.RUSSIAN_SYSTEMS["ru_german"])) == (
        "Sergei Wladimirowitsch Lawrow"
    )
    assert rn.given_patronymic_surname(rn.render_parts(lavrov, rn.RUSSIAN_SYSTEMS["ru_polish"])) == (
        "Siergiej Władimirowicz Ławrow"
    )


def test_orders_and_initials() -> None:
    latin = rn.render_system(UKRAINIAN, RUSSIAN, "uk_kmu2010")
    assert rn.given_patronymic_surname(latin) == "Oleh Petrovych Hnylytskyi"
    assert rn.surname_comma_given(latin) == "HNYLYTSKYI, Oleh Petrovych"
    assert rn.all_caps(latin) == "HNYLYTSKYI OLEH PETROVYCH"
    assert rn.initials(latin) == "O. P. Hnylytskyi"


@pytest.mark.parametrize("seed", range(40))
def test_a_typo_is_one_edit_away_and_keeps_the_first_letter(seed: int) -> None:
    rng = random.Random(seed)
    word = rng.choice(("Hnylytskyi", "Гнилицький", "Oleh", "Petrovych"))
    typed = rn.typo(word, rng)
    assert OSA.distance(word, typed) == 1
    assert typed[0] == word[0]


@pytest.mark.parametrize("seed", range(20))
def test_a_latin_lookalike_replaces_exactly_one_cyrillic_letter(seed: int) -> None:
    word = "Петрович"
    mixed = rn.latin_lookalike(word, random.Random(seed))
    changed = [(a, b) for a, b in zip(word, mixed, strict=True) if a != b]
    assert len(changed) == 1
    assert changed[0][1].isascii()


BORN = dt.date(1975, 3, 12)


def test_birth_date_formats() -> None:
    assert [
        f(BORN) for f in (dates.iso, dates.dotted, dates.slashed, dates.year_only, dates.zero_day_month)
    ] == [
        "1975-03-12",
        "12.03.1975",
        "12/03/1975",
        "1975",
        "00.00.1975",
    ]


def test_day_month_swap_exists_only_when_the_day_could_be_a_month() -> None:
    assert dates.day_month_swapped(BORN) == dt.date(1975, 12, 3)
    assert dates.day_month_swapped(dt.date(1975, 3, 25)) is None
    assert dates.day_month_swapped(dt.date(1975, 3, 3)) is None


@pytest.mark.parametrize("seed", range(30))
def test_date_mistakes(seed: int) -> None:
    rng = random.Random(seed)
    assert abs((dates.off_by_one_day(BORN, rng) - BORN).days) == 1
    typed = dates.digit_typo(BORN, rng)
    assert OSA.distance(dates.dotted(BORN), dates.dotted(typed)) == 1
    assert typed != dates.day_month_swapped(BORN)


@pytest.mark.parametrize("seed", range(30))
def test_namesakes_are_born_far_enough_apart_that_no_typo_explains_it(seed: int) -> None:
    rng = random.Random(seed)
    assert abs(dates.namesake_birth_date(BORN, rng).year - BORN.year) == 20
    year = dates.other_year(BORN.year, rng)
    assert 5 <= abs(year - BORN.year) <= 15
    assert sum(a != b for a, b in zip(str(year), str(BORN.year), strict=True)) >= 2
