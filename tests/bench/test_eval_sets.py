"""The evaluation sets built from (made-up) records: who is on the watchlist, what is a negative."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.generated_set import NEGATIVE_CATEGORIES, POSITIVE_CATEGORIES, SourcePerson, build_generated_set
from bench.real_set import RealPerson, build_real_set, to_real_person
from bench.synthetic_watchlist import make_watchlist


def test_flagged_persons_and_bracketed_names_are_left_out(
    person_record: Callable[..., dict[str, Any]],
) -> None:
    assert (
        to_real_person(0, person_record("Петров Иван Иванович", ["Petrov Ivan"], flags=["dob_spread_gt_3y"]))
        is None
    )
    bracketed = person_record("Петров Иван Иванович", ["Petrov Ivan"])
    bracketed["names"].append({"name": "Vanya (Ivan)", "script": "Latn", "lang": "und", "kind": "alias"})
    bracketed["names"][-1]["notes"] = ["brackets_or_quotes"]
    person = to_real_person(0, bracketed)
    assert person is not None and person.latin == ("Petrov Ivan",)


def test_real_set_queries_members_by_their_latin_names_and_negatives_are_not_members(
    made_up_persons: Callable[[int], list[RealPerson]],
) -> None:
    persons = made_up_persons(300)
    evaluation = build_real_set(persons, members=100, seed=1)
    member_ids = {member.person_id for member in evaluation.members}
    assert len(member_ids) == 100
    categories = Counter(query.category for query in evaluation.queries)
    assert categories["latin_with_birth_date"] == categories["latin_name_only"] == 100
    assert categories["namesake_born_20_years_apart"] == 100
    for query in evaluation.queries:
        assert query.expected is None or query.expected in member_ids
        assert (query.expected is None) == (not query.category.startswith("latin"))
    # the same build twice gives the same set
    assert build_real_set(persons, members=100, seed=1) == evaluation


def test_generated_set_covers_every_category_and_is_reproducible() -> None:
    sources = [
        SourcePerson(p.ru, p.uk, dt.date.fromisoformat(p.birth_date)) for p in make_watchlist(200, seed=5)
    ]
    evaluation = build_generated_set(sources, members=120, seed=2, variants_per_member=10)
    categories = {query.category for query in evaluation.queries}
    assert set(POSITIVE_CATEGORIES) <= categories
    assert set(NEGATIVE_CATEGORIES) | {"other_person"} <= categories
    assert all(member.names[0].split()[0][0].isupper() for member in evaluation.members)
    for query in evaluation.queries:
        assert (query.expected is None) == (
            query.category in NEGATIVE_CATEGORIES or query.category == "other_person"
        )
    assert build_generated_set(sources, members=120, seed=2, variants_per_member=10) == evaluation


def test_a_name_without_its_patronymic_and_a_compatible_birth_date_is_one_person_on_the_watchlist(
    person_record: Callable[..., dict[str, Any]],
) -> None:
    # lists often drop the patronymic: "Петренко Ирина" with no birth date may be "Петренко Ирина Олеговна"
    # of another list, so a watchlist of both would count a right alert on either as false
    records = [
        person_record("Петренко Ирина Олеговна", ["Irina Olegovna Petrenko"]),
        {**person_record("Петренко Ирина", ["Irina Petrenko"]), "birth_dates": []},
        # a namesake born in another year is another person and stays a member
        {**person_record("Петренко Ирина Сергеевна", ["Irina Sergeevna Petrenko"]), "birth_dates": ["1990"]},
    ]
    persons = [to_real_person(number, record) for number, record in enumerate(records)]
    assert all(person is not None for person in persons)
    for seed in range(6):
        evaluation = build_real_set(
            [person for person in persons if person is not None], members=3, seed=seed
        )
        names = {member.names[0]: member.birth_date for member in evaluation.members}
        assert not {"Петренко Ирина Олеговна", "Петренко Ирина"} <= set(names)
        if "Петренко Ирина Олеговна" in names:
            # the namesake born in another year stays a member
            assert "Петренко Ирина Сергеевна" in names
        # the one left out is not used as a negative either
        others = {query.name for query in evaluation.queries if query.category.endswith("other_person")}
        assert not others & {"Irina Petrenko", "Irina Olegovna Petrenko"}


def test_a_latin_name_that_is_another_name_of_the_person_is_not_a_spelling_query(
    person_record: Callable[..., dict[str, Any]],
) -> None:
    record = person_record(
        "Кабашная Ирина Петровна",
        [
            "Iryna Petrivna KABASHNA",  # Ukrainian spelling
            "Irina Petrovna KABASCHNAJA",  # German spelling
            "Iryna Petrivna MOROZOVA",  # a married surname the record also gives in Cyrillic
            "The Accountant",  # a nickname, translated
        ],
    )
    record["names"].append(
        {"name": "Морозова Ирина Петровна", "script": "Cyrl", "lang": "ru", "kind": "alias"}
    )
    person = to_real_person(0, record)
    assert person is not None
    assert person.latin == ("Iryna Petrivna KABASHNA", "Irina Petrovna KABASCHNAJA")
    assert person.other_names == ("Iryna Petrivna MOROZOVA", "The Accountant")


def test_belarusian_and_swedish_spellings_stay_spellings(
    person_record: Callable[..., dict[str, Any]],
) -> None:
    record = person_record(
        "Тесляков Евгений Андреевич",
        ["Jauhen Andrejevitj TSIASLIAKOU", "Yauhen Andreevich TSIASLIAKOU", "Jevgenij Andrejevitj TESLJAKOV"],
    )
    record["names"].append(
        {"name": "Цяслякоў Яўген Андрэевіч", "script": "Cyrl", "lang": "be", "kind": "alias"}
    )
    person = to_real_person(0, record)
    assert person is not None and person.other_names == ()
    assert len(person.latin) == 3


def test_the_same_surname_born_on_the_day_with_day_and_month_swapped_is_not_a_negative(
    person_record: Callable[..., dict[str, Any]],
) -> None:
    # one list writes 04.10.1962 month first: the hold-out with the member's surname is probably the member
    member = {
        **person_record("Чухранов Эдуард Александрович", ["Chukhranov Eduard"]),
        "birth_dates": ["1962-10-04"],
    }
    holdout = {
        **person_record("Чухранов Эдик Александрович", ["Chukhranov Edik"]),
        "birth_dates": ["1962-04-10"],
    }
    persons = [to_real_person(number, record) for number, record in enumerate([member, holdout])]
    for seed in range(4):
        evaluation = build_real_set(
            [person for person in persons if person is not None], members=1, seed=seed
        )
        assert not [query for query in evaluation.queries if query.category.endswith("other_person")]
