"""The demo commissars and the fictitious man of DESIGN.md are found in every spelling met in practice."""

from __future__ import annotations

import pytest

from matchers import Match, MatchIndex, PersonEntry, Thresholds

THRESHOLDS = Thresholds(alert=0.86, review=0.70)
KACHAROV, KABASHNYI, HNYLYTSKYI, HNYLYTSKYI_NAMESAKE, KABASHNA = 1, 2, 3, 4, 5


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    return MatchIndex.build(
        [
            PersonEntry(KACHAROV, ("Качаров Костянтин",)),
            PersonEntry(KABASHNYI, ("Кабашний Олександр",), "1970"),
            PersonEntry(HNYLYTSKYI, ("Гнилицький Олег Петрович",), "1975-03-12"),
            PersonEntry(HNYLYTSKYI_NAMESAKE, ("Гнилицький Олег Петрович",), "1995-03-12"),
            PersonEntry(KABASHNA, ("Кабашна Олена",), "1972"),
        ],
        THRESHOLDS,
    )


def _top(matches: list[Match]) -> Match:
    assert matches, "no match"
    return matches[0]


@pytest.mark.parametrize(
    "spelling",
    [
        "Качаров Костянтин",
        "Качаров Константин",
        "Kostiantyn Kacharov",
        "Konstantin Kacharov",
        "KACHAROV Konstantin",
        "K. Kacharov",
    ],
)
def test_kacharov_alerts_in_every_spelling(index: MatchIndex, spelling: str) -> None:
    match = _top(index.screen(spelling))
    assert (match.person_id, match.decision) == (KACHAROV, "alert")


@pytest.mark.parametrize(
    "spelling",
    [
        "Кабашний Олександр",
        "Кабашный Александр",
        "Oleksandr Kabashnyi",
        "Aleksandr Kabashnyy",
        "Alexander Kabashny",
        "O. Kabashnyi",
    ],
)
def test_kabashnyi_alerts_in_every_spelling(index: MatchIndex, spelling: str) -> None:
    match = _top(index.screen(spelling))
    assert (match.person_id, match.decision) == (KABASHNYI, "alert")


def test_feminine_form_of_the_surname_is_not_kabashnyi(index: MatchIndex) -> None:
    assert KABASHNYI not in {match.person_id for match in index.screen("Кабашна Олександра")}
    assert all(match.decision != "alert" for match in index.screen("Кабашна"))


@pytest.mark.parametrize(
    "spelling",
    [
        "Гнилицький Олег Петрович",
        "Гнилицкий Олег Петрович",
        "GNILITSKII OLEG",
        "Hnylytskyi Oleh",
        "Gnilitskiy Oleg Petrovich",
        "Oleg Gnilitsky",
        "O. P. Hnylytskyi",
        "Гнилицкий Олег Петровчи",  # a typo
        "Гнилицьkий Oлег Петрович",  # Latin "k" and "O" typed inside Cyrillic words
    ],
)
def test_the_man_of_the_design_alerts_when_born_on_his_date(index: MatchIndex, spelling: str) -> None:
    match = _top(index.screen(spelling, "12.03.1975"))
    assert (match.person_id, match.decision) == (HNYLYTSKYI, "alert")


def test_a_german_surname_only_record_is_shown_for_review(index: MatchIndex) -> None:
    found = {match.person_id: match.decision for match in index.screen("Gnilizkij")}
    assert found.get(HNYLYTSKYI) == "review"


def test_his_namesake_born_twenty_years_later_does_not_alert(index: MatchIndex) -> None:
    decisions = {match.person_id: match.decision for match in index.screen("Hnylytskyi Oleh", "1975-03-12")}
    assert decisions[HNYLYTSKYI] == "alert"
    assert decisions.get(HNYLYTSKYI_NAMESAKE) != "alert"


def test_a_namesake_known_only_by_another_year_does_not_alert(index: MatchIndex) -> None:
    assert all(match.decision != "alert" for match in index.screen("Кабашний Олександр", "1971"))


def test_mixed_script_words_are_reported(index: MatchIndex) -> None:
    explanation = _top(index.screen("Гнилицьkий Oлег", "1975")).explanation.to_dict()
    assert explanation["mixed_script"] == ["Гнилицьkий", "Oлег"]
    assert explanation["query_canonical"] == explanation["candidate_canonical"].rsplit(" ", 1)[0]
