"""Screening against the registered persons, as the CLI and (later) the API use it."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from watchlist import screening
from watchlist.db import make_engine
from watchlist.exc import Unavailable, ValidationFailed
from watchlist.models import AuditEvent, ConvictedPerson
from watchlist.persons import add_person, close_person, find_person, require_person, update_person
from watchlist.screening import (
    ScreeningService,
    WatchlistIndex,
    audit_screening,
    incoming_record,
    incoming_records,
    overall_decision,
    screen_records,
    with_person_details,
)
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


@pytest.fixture
def unfrozen() -> Iterator[None]:
    # a test that freezes hands the objects back to the collector afterwards
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("persons", "unfrozen")
def test_a_large_index_is_kept_out_of_the_garbage_collectors_way(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(screening, "SETTLE_MIN_PERSONS", 3)
    frozen_before = gc.get_freeze_count()
    index = WatchlistIndex.load(session, settings)
    assert gc.get_freeze_count() > frozen_before
    assert gc.isenabled()
    # the index works as before, and what it holds is among the frozen objects
    assert index.screen("Aleksandr Kabashnyy")[0]["external_id"] == "UA-0001"
    assert all(obj is not index.index for obj in gc.get_objects())


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.mark.usefixtures("persons", "unfrozen")
def test_each_load_gives_back_what_the_last_froze_so_that_dead_cycles_are_freed(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a scheduler or a web worker loads an index again and again: whatever cycle was alive at one load
    # (a session, a run's objects) and died since must not stay frozen, uncollected, for good
    monkeypatch.setattr(screening, "SETTLE_MIN_PERSONS", 3)
    cycle = _Cycle()
    alive = weakref.ref(cycle)
    WatchlistIndex.load(session, settings)
    del cycle
    gc.collect()
    assert alive() is not None  # frozen with the first index, the collector does not see it
    WatchlistIndex.load(session, settings)
    assert alive() is None


@pytest.mark.usefixtures("persons", "unfrozen")
def test_a_small_index_leaves_the_garbage_collector_alone(session: Session, settings: Settings) -> None:
    frozen_before = gc.get_freeze_count()
    WatchlistIndex.load(session, settings)
    assert gc.get_freeze_count() == frozen_before


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


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_change_reaches_the_service_at_its_next_version_check(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    clock = FakeClock()
    service = ScreeningService(session_factory, settings, check_seconds=2.0, clock=clock)
    assert service.with_index(lambda index: index.screen("Petrenko Vasyl")) == []

    add(session, external_id="UA-0100", full_name="Петренко Василь Іванович")
    session.commit()
    clock.now += 1.0  # within the check interval: the index is not asked to reload yet
    assert service.with_index(lambda index: index.screen("Petrenko Vasyl")) == []
    clock.now += 1.5
    [match] = service.with_index(lambda index: index.screen("Petrenko Vasyl"))
    assert match["external_id"] == "UA-0100"

    person = find_person(session, "UA-0100")
    close_person(session, person, reason="sentence served", actor="test")
    session.commit()
    clock.now += 2.5
    assert service.with_index(lambda index: index.screen("Petrenko Vasyl")) == []


def test_a_renamed_person_is_found_by_the_new_name_only(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    clock = FakeClock()
    person = add(session, external_id="UA-0101", full_name="Сидоренко Павло")
    session.commit()
    service = ScreeningService(session_factory, settings, clock=clock)
    assert service.with_index(lambda index: index.screen("Sydorenko Pavlo"))
    update_person(
        session, person, require_person({"external_id": "UA-0101", "full_name": "Кравець Павло"}), "t"
    )
    session.commit()
    clock.now += 5
    assert service.with_index(lambda index: index.screen("Sydorenko Pavlo")) == []
    assert service.with_index(lambda index: index.screen("Kravets Pavlo"))[0]["external_id"] == "UA-0101"


def test_an_unreadable_watchlist_is_unavailable_never_no_match(settings: Settings) -> None:
    engine = make_engine("sqlite:////nonexistent-dir/none.db")
    service = ScreeningService(sessionmaker(bind=engine), settings)
    with pytest.raises(Unavailable):
        service.with_index(lambda index: index.screen("Anyone"))
    engine.dispose()


def test_a_screening_is_audited_with_who_what_and_the_persons_disclosed(
    session: Session, settings: Settings, persons: dict[str, ConvictedPerson]
) -> None:
    index = WatchlistIndex.load(session, settings)
    result = {"record_id": None, "matches": index.screen("Oleksandr Kabashnyi")}
    audit_screening(
        session,
        "screen",
        [result],
        {"name": "Oleksandr Kabashnyi"},
        actor="border-officer-7",
        via="token",
        role="screener",
        remote_addr="10.0.0.7",
    )
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None
    assert (event.actor, event.action, event.subject) == (
        "border-officer-7",
        "screen",
        {"name": "Oleksandr Kabashnyi"},
    )
    assert event.outcome["hits"] == 1
    assert event.outcome["persons_disclosed"] == [persons["kabashnyi"].id]


def test_person_details_carry_status_and_convictions(
    session: Session, settings: Settings, persons: dict[str, ConvictedPerson]
) -> None:
    index = WatchlistIndex.load(session, settings)
    result = with_person_details(session, {"record_id": "x", "matches": index.screen("Hnylytskyi Oleh")})
    details = result["matches"][0]["person"]
    assert details["status"] == "wanted"
    assert details["primary_name"] == "Гнилицький Олег Петрович"
    assert overall_decision(result["matches"]) == "hit"
    assert overall_decision([]) == "no_hit"


def test_screening_an_official_query_adds_details_instruction_and_one_audit_row(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    persons: dict[str, ConvictedPerson],
) -> None:
    session.commit()
    service = ScreeningService(session_factory, settings)
    records = [
        incoming_record({"name": "GNILITSKII OLEG", "birth_date": "12.03.1975", "nationality": "RU"}),
        incoming_record({"surname": "Nobody", "given_name": "Known"}),
    ]
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    hit, miss = screen_records(
        session, service, records, action="screen", actor="officer-1", via="session", language="en"
    )
    assert hit["decision"] == "hit"
    assert hit["instruction"] == settings.screening_instruction_en
    assert hit["matches"][0]["person"]["external_id"] == "UA-0002"
    assert (miss["decision"], miss["instruction"], miss["matches"]) == ("no_hit", None, [])
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == (before or 0) + 1


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"name": "x" * 301}, "name", "is longer than 300 characters"),
        ({"name": ["Ivan"]}, "name", "must be text"),
        ({"name": "Ivan", "birth_date": {"y": 1}}, "birth_date", "must be text"),
        ({"birth_date": "1975"}, "full_name", "empty (give full_name or surname/given_name)"),
    ],
)
def test_a_bad_query_names_the_field(query: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        incoming_record(query)
    assert [(e.field, e.message) for e in caught.value.details] == [(field, message)]


def test_a_hits_details_come_from_the_index_and_follow_a_change_of_his_convictions(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    clock = FakeClock()
    person = add(
        session,
        external_id="UA-0102",
        full_name="Мельничук Богдан Ігорович",
        convictions=[{"court": "Київський апеляційний суд", "case_number": "11-кп/824/1/2023"}],
    )
    session.commit()
    service = ScreeningService(session_factory, settings, clock=clock)
    screen = lambda: screen_records(  # noqa: E731
        session, service, [incoming_record({"name": "Melnychuk Bohdan"})], action="screen", actor="o", via="t"
    )
    [result] = screen()
    [conviction] = result["matches"][0]["person"]["convictions"]
    assert conviction["case_number"] == "11-кп/824/1/2023"
    # each result gets its own copy: changing one answer cannot change the index or the next answer
    conviction["case_number"] = "changed by a caller"
    assert screen()[0]["matches"][0]["person"]["convictions"][0]["case_number"] == "11-кп/824/1/2023"

    update_person(
        session,
        person,
        require_person(
            {
                "external_id": "UA-0102",
                "full_name": "Мельничук Богдан Ігорович",
                "convictions": [{"court": "Верховний Суд", "case_number": "51-1/2024"}],
            }
        ),
        "t",
    )
    session.commit()
    clock.now += 5
    [result] = screen()
    assert [c["case_number"] for c in result["matches"][0]["person"]["convictions"]] == ["51-1/2024"]
    assert result["matches"][0]["person"]["names"][0]["name"] == "Мельничук Богдан Ігорович"
