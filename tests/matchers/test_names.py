"""Name parts in any order, initials, and which given names and patronymics are one name."""

from __future__ import annotations

import pytest

from matchers.names import parse_name
from matchers.scoring import compare_names, word_similarity


def _roles(text: str) -> dict[str, str]:
    return {part.text: part.role for part in parse_name(text).parts}


@pytest.mark.parametrize(
    "text",
    [
        "Гнилицький Олег Петрович",  # Surname Given Patronymic (verdicts)
        "Олег Петрович Гнилицький",  # Given Patronymic Surname
        "Гнилицький, Олег Петрович",  # Surname, Given Patronymic
        "ГНИЛИЦЬКИЙ Олег Петрович",
        "Петрович Олег Гнилицький",  # scrambled by a data-entry clerk
    ],
)
def test_parts_are_recognised_in_any_order(text: str) -> None:
    assert _roles(text) == {"гнилицький": "surname", "олег": "given", "петрович": "patronymic"}


def test_initials_are_parts_of_their_own() -> None:
    assert _roles("O. P. Hnylytskyi") == {"o": "initial", "p": "initial", "hnylytskyi": "surname"}
    assert _roles("Hnylytskyi O.P.") == {"hnylytskyi": "surname", "o": "initial", "p": "initial"}


def test_capitals_mark_the_surname_of_two_unknown_words() -> None:
    assert _roles("KACHAROV Kostiantyn")["kacharov"] == "surname"
    assert _roles("Kacharov, Kostiantyn") == {"kacharov": "surname", "kostiantyn": "given"}


def test_a_surname_ending_like_a_patronymic_is_a_surname_in_a_two_word_name() -> None:
    assert _roles("Олександр Кабашевич") == {"олександр": "given", "кабашевич": "surname"}


def test_a_hyphenated_surname_is_two_surname_words() -> None:
    assert _roles("Гнилицький-Кабашний Олег") == {
        "гнилицький": "surname",
        "кабашний": "surname",
        "олег": "given",
    }


def _same(first: str, second: str) -> float:
    return word_similarity(parse_name(first).parts[0], parse_name(second).parts[0])


@pytest.mark.parametrize(
    "forms",
    [
        ["Олександр", "Александр", "Аляксандр", "Alexander", "Oleksandr", "Aleksandr", "Саша", "Sasha"],
        ["Дмитро", "Дмитрий", "Dmitry", "Dmytro", "Дима"],
        ["Юрій", "Юрий", "Yuri", "Jurij"],
        ["Олег", "Oleh", "Oleg", "Алег"],
        ["Костянтин", "Константин", "Konstantin", "Kostiantyn", "Костя"],
    ],
)
def test_forms_of_one_given_name_are_the_same_name(forms: list[str]) -> None:
    assert all(_same(forms[0], form) == 1.0 for form in forms)


def test_different_given_names_do_not_pass_for_a_typo() -> None:
    assert _same("Марина", "Мария") < 0.7
    assert _same("Олександр", "Олександра") < 0.5  # his and her name


def test_a_typo_in_a_given_name_is_compared_with_every_form_of_the_name() -> None:
    assert _same("Oleksnadr", "Александр") >= 0.9


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Іван Олександрович Гнилицький", "Иван Александрович Гнилицкий"),
        ("Іван Андрійович Гнилицький", "Иван Андреевич Гнилицкий"),
        ("Іван Миколайович Гнилицький", "Ivan Nikolaevich Gnilitskii"),
        ("Іван Дмитрович Гнилицький", "Ivan Dmitrievich Gnilitskii"),
    ],
)
def test_ukrainian_and_russian_patronymics_agree(first: str, second: str) -> None:
    score, _ = compare_names(parse_name(first), parse_name(second))
    assert score == 1.0


def test_the_feminine_surname_is_another_person() -> None:
    score, parts = compare_names(parse_name("Кабашна Олена"), parse_name("Кабашний Олександр"))
    assert score < 0.6
    assert {part.role: part.similarity for part in parts}["surname"] < 0.5


@pytest.mark.parametrize(
    ("man", "woman"), [("Іванов", "Іванова"), ("Гнилицький", "Гнилицька"), ("Кабашный", "Кабашная")]
)
def test_masculine_and_feminine_forms_of_a_surname_are_not_alike(man: str, woman: str) -> None:
    assert _same(man, woman) < 0.5


def test_a_different_patronymic_is_evidence_against() -> None:
    same, _ = compare_names(parse_name("Гнилицький Олег Петрович"), parse_name("Гнилицький Олег Петрович"))
    other, _ = compare_names(parse_name("Гнилицький Олег Іванович"), parse_name("Гнилицький Олег Петрович"))
    assert same == 1.0
    assert other < 0.86
