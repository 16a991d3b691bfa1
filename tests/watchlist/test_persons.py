"""Operations on the watchlist: validation, add, update, close, list, and the change history they leave."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchlist.exc import Conflict, FieldError, NotFound, ValidationFailed
from watchlist.models import ConvictedPerson, DatePrecision, NameKind, PersonChange, PersonStatus
from watchlist.persons import (
    PersonInput,
    add_person,
    close_person,
    find_person,
    get_person,
    import_persons,
    list_persons,
    parse_person,
    require_person,
    update_person,
    watchlist_version,
)


def person(**fields: Any) -> PersonInput:
    data = {"external_id": "P-1", "full_name": "Гнилицький Олег Петрович", **fields}
    return require_person(data)


def errors_of(data: dict[str, Any], **where: Any) -> dict[str, str]:
    result = parse_person(data, **where)
    assert isinstance(result, list), f"expected errors, got {result}"
    return {error.field: error.message for error in result}


# --- validation -------------------------------------------------------------------------------------------


def test_a_file_row_is_read_into_typed_input() -> None:
    result = parse_person(
        {
            "external_id": " UA-438-17 ",
            "full_name": "Гнилицький  Олег Петрович",
            "aliases": "Гнилицкий Олег Петрович; Hnylytskyi Oleh;;",
            "birth_date": "1975-03",
            "case_number": "1-кп/123/45/23",
            "court": "Darnytskyi District Court of Kyiv",
            "article": "Part 1 of Art. 438",
            "sentence": "8 years",
            "verdict_date": "2023-04-12",
            "status": "Wanted",
            "notes": "",
        }
    )
    assert isinstance(result, PersonInput)
    assert result.external_id == "UA-438-17"
    assert result.full_name == "Гнилицький Олег Петрович"
    assert result.aliases == ("Гнилицкий Олег Петрович", "Hnylytskyi Oleh")
    assert (result.birth_date, result.birth_date_precision) == (date(1975, 3, 1), DatePrecision.MONTH)
    assert result.status is PersonStatus.WANTED
    assert result.notes is None
    [conviction] = result.convictions
    assert conviction.verdict_date == date(2023, 4, 12)
    assert conviction.in_absentia is True


@pytest.mark.parametrize(
    ("text", "stored", "precision"),
    [
        ("1975-03-12", date(1975, 3, 12), DatePrecision.DAY),
        ("1975-03", date(1975, 3, 1), DatePrecision.MONTH),
        ("1975", date(1975, 1, 1), DatePrecision.YEAR),
    ],
)
def test_a_birth_date_keeps_its_precision(text: str, stored: date, precision: DatePrecision) -> None:
    result = person(birth_date=text)
    assert (result.birth_date, result.birth_date_precision) == (stored, precision)
    assert result.birth_date_text() == text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birth_date", "12.03.1975", "is not YYYY-MM-DD, YYYY-MM or YYYY"),
        ("birth_date", "1975-02-30", "is not a real date"),
        ("birth_date", "1875", "is before 1900"),
        ("birth_date", "2999", "is in the future"),
        ("verdict_date", "2023-04", "is not a date YYYY-MM-DD"),
        ("status", "escaped", "must be one of wanted, located, detained, serving, closed"),
        ("external_id", "x" * 65, "is longer than 64 characters"),
        ("full_name", "12345", "is not a name: it has no letters"),
        ("in_absentia", "maybe", "is not true or false"),
        ("nickname", "Sasha", "unknown field"),
    ],
)
def test_each_bad_field_is_named_with_its_problem(field: str, value: str, message: str) -> None:
    errors = errors_of({"external_id": "P-1", "full_name": "Олег Гнилицький", field: value})
    assert field in errors
    assert message in errors[field]


def test_every_problem_of_a_row_is_reported_at_once_with_file_and_row() -> None:
    result = parse_person({"birth_date": "soon", "status": "?"}, row=7, file="list.csv")
    assert isinstance(result, list)
    assert [str(error) for error in result] == [
        "list.csv:7:external_id: is required",
        "list.csv:7:full_name: is required",
        "list.csv:7:birth_date: 'soon' is not YYYY-MM-DD, YYYY-MM or YYYY",
        "list.csv:7:status: must be one of wanted, located, detained, serving, closed",
    ]


def test_closing_through_the_status_needs_a_reason() -> None:
    assert errors_of({"external_id": "P", "full_name": "Олег", "status": "closed"}) == {
        "close_reason": "closing a person needs a reason"
    }


def test_convictions_come_either_as_a_list_or_as_flat_columns_not_both() -> None:
    errors = errors_of({"external_id": "P", "full_name": "Олег", "court": "X", "convictions": []})
    assert errors == {"convictions": "give either convictions or court, not both"}
    errors = errors_of(
        {"external_id": "P", "full_name": "Олег", "convictions": [{"verdict_date": "soon", "judge": "x"}]}
    )
    assert set(errors) == {"convictions[0].judge", "convictions[0].verdict_date"}


# --- add, update, close -----------------------------------------------------------------------------------


def test_adding_a_person_stores_his_names_with_their_scripts_and_records_who_did_it(session: Session) -> None:
    version = watchlist_version(session)
    added = add_person(
        session,
        person(aliases=["Гнилицкий Олег", "Hnylytskyi Oleh", "Гнилицkий"], document_names="GNILITSKII OLEG"),
        actor="editor1",
    )
    names = [(n.kind, n.name, n.script) for n in added.names]
    assert names == [
        (NameKind.PRIMARY, "Гнилицький Олег Петрович", "Cyrl"),
        (NameKind.ALIAS, "Гнилицкий Олег", "Cyrl"),
        (NameKind.ALIAS, "Hnylytskyi Oleh", "Latn"),
        (NameKind.ALIAS, "Гнилицkий", "Mixed"),
        (NameKind.DOCUMENT, "GNILITSKII OLEG", "Latn"),
    ]
    [change] = added.changes
    assert (change.changed_by, change.action) == ("editor1", "created")
    assert change.changes["full_name"] == [None, "Гнилицький Олег Петрович"]
    assert watchlist_version(session) == version + 1


def test_an_external_id_is_taken_only_once(session: Session) -> None:
    add_person(session, person(), "editor1")
    with pytest.raises(Conflict):
        add_person(session, person(full_name="Someone Else"), "editor1")


def test_an_update_records_each_changed_field_before_and_after(session: Session) -> None:
    added = add_person(session, person(birth_date="1975", aliases="Гнилицкий Олег"), "editor1")
    version = watchlist_version(session)
    changed = update_person(
        session, added, person(birth_date="1975-03-12", aliases="Гнилицкий Олег; Oleh Hnylytskyi"), "editor2"
    )
    assert changed is True
    change = added.changes[-1]
    assert (change.changed_by, change.action) == ("editor2", "updated")
    assert change.changes == {
        "birth_date": ["1975", "1975-03-12"],
        "aliases": [["Гнилицкий Олег"], ["Гнилицкий Олег", "Oleh Hnylytskyi"]],
    }
    assert added.birth_date_precision is DatePrecision.DAY
    assert watchlist_version(session) == version + 1


def test_an_update_that_changes_nothing_writes_nothing(session: Session) -> None:
    added = add_person(session, person(birth_date="1975"), "editor1")
    version = watchlist_version(session)
    assert update_person(session, added, person(birth_date="1975"), "editor2") is False
    assert len(added.changes) == 1
    assert watchlist_version(session) == version


def test_the_external_id_cannot_be_changed_by_an_update(session: Session) -> None:
    added = add_person(session, person(), "editor1")
    with pytest.raises(ValidationFailed) as caught:
        update_person(session, added, person(external_id="P-2"), "editor1")
    assert caught.value.details == [FieldError("external_id", "cannot be changed; it identifies the person")]


def test_convictions_are_replaced_by_an_update(session: Session) -> None:
    added = add_person(session, person(court="Court A", sentence="8 years"), "editor1")
    update_person(
        session,
        added,
        person(convictions=[{"court": "Court A", "sentence": "10 years"}, {"court": "Court B"}]),
        "editor1",
    )
    session.flush()
    assert [(c.court, c.sentence) for c in added.convictions] == [("Court A", "10 years"), ("Court B", None)]


def test_closing_keeps_the_person_and_needs_a_reason(session: Session) -> None:
    added = add_person(session, person(), "editor1")
    with pytest.raises(ValidationFailed):
        close_person(session, added, "   ", "editor1")
    close_person(session, added, "detained and serving his sentence", "editor2")
    session.flush()
    stored = get_person(session, added.id)
    assert stored.status is PersonStatus.CLOSED
    assert stored.close_reason == "detained and serving his sentence"
    assert stored.closed_at is not None
    assert stored.changes[-1].action == "closed"
    assert stored.changes[-1].changes["status"] == ["wanted", "closed"]
    with pytest.raises(Conflict):
        close_person(session, stored, "again", "editor2")


def test_reopening_a_closed_person_clears_the_reason(session: Session) -> None:
    added = add_person(session, person(), "editor1")
    close_person(session, added, "died", "editor1")
    update_person(session, added, person(status="wanted"), "editor1")
    assert (added.status, added.close_reason, added.closed_at) == (PersonStatus.WANTED, None, None)
    assert added.changes[-1].action == "reopened"


def test_unknown_persons_are_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        get_person(session, 10**9)
    with pytest.raises(NotFound):
        find_person(session, "no-such-person")


def test_a_person_is_found_by_external_id_or_id(session: Session) -> None:
    added = add_person(session, person(external_id="UA-7"), "editor1")
    assert find_person(session, "UA-7") is added
    assert find_person(session, str(added.id)) is added


# --- listing ----------------------------------------------------------------------------------------------


@pytest.fixture
def five_persons(session: Session) -> list[ConvictedPerson]:
    rows = [
        ("L-1", "Гнилицький Олег", "wanted", "Hnylytskyi Oleh"),
        ("L-2", "Коваленко Петро", "detained", ""),
        ("L-3", "Kowalski_Jan 100%", "wanted", ""),
        ("L-4", "KowalskiXJan 1000", "serving", ""),
        ("L-5", "ГНИЛИЦЬКА ОЛЕНА", "wanted", ""),
    ]
    return [
        add_person(session, person(external_id=e, full_name=n, status=s, aliases=a), "editor1")
        for e, n, s, a in rows
    ]


def ids(page: Any) -> list[str]:
    return [p.external_id for p in page.items]


def test_listing_pages_in_id_order(session: Session, five_persons: list[ConvictedPerson]) -> None:
    first = list_persons(session, page=1, per_page=2)
    third = list_persons(session, page=3, per_page=2)
    assert (ids(first), first.total) == (["L-1", "L-2"], 5)
    assert ids(third) == ["L-5"]


def test_listing_filters_by_status(session: Session, five_persons: list[ConvictedPerson]) -> None:
    assert ids(list_persons(session, status=PersonStatus.WANTED)) == ["L-1", "L-3", "L-5"]


def test_the_name_filter_matches_any_name_whatever_the_case(
    session: Session, five_persons: list[ConvictedPerson]
) -> None:
    assert ids(list_persons(session, q="гнилицьк")) == ["L-1", "L-5"]
    assert ids(list_persons(session, q="HNYLYTSKYI")) == ["L-1"]


def test_percent_and_underscore_in_the_name_filter_are_literal(
    session: Session, five_persons: list[ConvictedPerson]
) -> None:
    assert ids(list_persons(session, q="_jan")) == ["L-3"]
    assert ids(list_persons(session, q="100%")) == ["L-3"]
    assert ids(list_persons(session, q="%")) == ["L-3"]


def test_a_page_larger_than_allowed_is_refused(session: Session) -> None:
    with pytest.raises(ValidationFailed):
        list_persons(session, per_page=201)


# --- importing validated rows -----------------------------------------------------------------------------


def test_importing_upserts_by_external_id_and_leaves_unchanged_persons_alone(session: Session) -> None:
    add_person(session, person(external_id="I-1", notes="kept"), "editor1")
    add_person(session, person(external_id="I-2", full_name="Петро Коваленко"), "editor1")
    version = watchlist_version(session)
    rows = [
        require_person({"external_id": "I-1", "full_name": "Гнилицький Олег Петрович", "birth_date": "1975"}),
        require_person({"external_id": "I-2", "full_name": "Петро Коваленко"}),
        require_person({"external_id": "I-3", "full_name": "Іван Сидоренко"}),
    ]
    summary = import_persons(session, rows, "import-test")
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 1)
    updated = find_person(session, "I-1")
    # the row has no notes column: the notes stay
    assert (updated.birth_date_text(), updated.notes) == ("1975", "kept")
    assert updated.changes[-1].action == "imported"
    assert len(find_person(session, "I-2").changes) == 1
    assert watchlist_version(session) == version + 1

    again = import_persons(session, rows, "import-test")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert watchlist_version(session) == version + 1
    count = session.scalar(select(func.count()).select_from(PersonChange))
    assert count == 4
