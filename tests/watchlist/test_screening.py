"""Screening against the registered persons, as the CLI and (later) the API use it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from watchlist.models import ConvictedPerson
from watchlist.persons import add_person, close_person, require_person
from watchlist.screening import WatchlistIndex, incoming_records
from watchlist.settings import Settings


def add(session: Session, **data: Any) -> ConvictedPerson:
    person = add_person(session, require_person(data), actor="test")
    session.flush()
    return person


@pytest.fixture
def persons(session: Session) -> dict[str, ConvictedPerson]:
    return {
        "kabashnyi": add(
            session,
            external_id="UA-0001",
            full_name="Кабашний Олександр",
            aliases="Кабашный Александр; Oleksandr Kabashnyi",
        ),
        "hnylytskyi": add(
            session,
            external_id="UA-0002",
            full_name="Гнилицький Олег Петрович",
            aliases="Hnylytskyi Oleh",
            birth_date="1975-03-12",
        ),
        "closed": add(session, external_id="UA-0003", full_name="Закритий Петро Іванович"),
    }


def test_a_latin_transliteration_finds_the_ukrainian_verdict_name(
    session: Session, settings: Settings, persons: dict[str, ConvictedPerson]
) -> None:
    index = WatchlistIndex.load(session, settings)
    matches = index.screen("Aleksandr Kabashnyy")
    assert matches[0]["external_id"] == "UA-0001"
    assert matches[0]["decision"] == "alert"
    assert matches[0]["person_id"] == persons["kabashnyi"].id
    assert matches[0]["explanation"]["matched_name"]


def test_a_namesake_born_twenty_years_later_does_not_alert(
    session: Session, settings: Settings, persons: dict[str, ConvictedPerson]
) -> None:
    index = WatchlistIndex.load(session, settings)
    assert index.screen("Hnylytskyi Oleh", "12.03.1975")[0]["decision"] == "alert"
    assert all(match["decision"] != "alert" for match in index.screen("Hnylytskyi Oleh", "12.03.1995"))


def test_closed_persons_are_not_screened(
    session: Session, settings: Settings, persons: dict[str, ConvictedPerson]
) -> None:
    assert WatchlistIndex.load(session, settings).screen("Закритий Петро Іванович")
    close_person(session, persons["closed"], reason="sentence served", actor="test")
    session.flush()
    assert WatchlistIndex.load(session, settings).screen("Закритий Петро Іванович") == []


def test_records_keep_their_order_and_ids(
    session: Session, settings: Settings, persons: dict[str, ConvictedPerson]
) -> None:
    records, errors = incoming_records(
        [
            (2, {"record_id": "r-1", "full_name": "Nobody Atall"}),
            (3, {"record_id": "r-2", "surname": "Kabashnyi", "given_name": "Oleksandr"}),
            (4, {"full_name": "GNILITSKII OLEG", "birth_date": "1975"}),
        ]
    )
    assert errors == []
    results = WatchlistIndex.load(session, settings).screen_records(records)
    assert [result["record_id"] for result in results] == ["r-1", "r-2", "4"]
    assert results[0]["matches"] == []
    assert results[1]["matches"][0]["external_id"] == "UA-0001"
    assert results[2]["matches"][0]["external_id"] == "UA-0002"


def test_a_record_without_a_name_is_reported_with_its_row_and_field() -> None:
    records, errors = incoming_records(
        [
            (2, {"record_id": "a", "full_name": "Ivan Petrenko"}),
            (3, {"record_id": "b", "birth_date": "1980"}),
        ],
        file="border.csv",
    )
    assert len(records) == 1
    assert [str(error) for error in errors] == [
        "border.csv:3:full_name: empty (give full_name or surname/given_name)"
    ]
