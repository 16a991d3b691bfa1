"""The watchlist pages for editors as a user sees them: search, a record, add, edit, close, import."""

from __future__ import annotations

import base64
import csv
import html
import io
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests.login_sessions import log_in
from watchlist.access import SESSION_CSRF_TOKEN
from watchlist.exc import FieldError, ValidationFailed
from watchlist.models import AuditEvent, ConvictedPerson, NameKind, PersonStatus, Role, User
from watchlist.persons import (
    add_person,
    import_persons,
    list_persons,
    parse_person,
    person_input,
    require_person,
    update_person,
)
from watchlist.web.persons import MESSAGES, error_message

FIXTURES = Path(__file__).parents[2] / "fixtures" / "persons"
CSRF = "persons-pages-csrf-token"


@pytest.fixture
def sign_in(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., User]:
    """Factory: make a user of the role and put him in the client's session (with a known CSRF token)."""

    def sign(role: Role, username: str | None = None, language: str | None = None) -> User:
        user = make_user(role, username=username)
        log_in(client, user)
        with client.session_transaction() as cookie:
            cookie[SESSION_CSRF_TOKEN] = CSRF
            if language is not None:
                cookie["lang"] = language
        return user

    return sign


def page_text(response: TestResponse) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, white space collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(body).split())


def field_error(response: TestResponse, field: str) -> list[str]:
    """The messages shown next to the form field `field`."""
    pattern = rf'<p class="field-error" id="{re.escape(field)}-error" role="alert">([^<]*)</p>'
    return [html.unescape(message) for message in re.findall(pattern, response.get_data(as_text=True))]


def add(session: Session, **fields: Any) -> ConvictedPerson:
    person = add_person(session, require_person(fields), "seed")
    session.commit()
    return person


def hnylytskyi(session: Session) -> ConvictedPerson:
    return add(
        session,
        external_id="FX-0001",
        full_name="Гнилицький Олег Петрович",
        aliases=["Гнилицкий Олег Петрович"],
        document_names=["HNYLYTSKYI OLEH"],
        birth_date="1975-03",
        citizenship="UA",
        case_number="FX/1/23",
        court="Fictitious District Court",
        article="Part 1 of Art. 438",
        sentence="10 years",
        verdict_date="2023-01-30",
    )


def person_form(**fields: str) -> dict[str, str]:
    form = {
        "csrf_token": CSRF,
        "external_id": "",
        "full_name": "",
        "aliases": "",
        "document_names": "",
        "birth_date": "",
        "birth_place": "",
        "citizenship": "",
        "status": "wanted",
        "close_reason": "",
        "notes": "",
    }
    form.update(fields)
    return form


def revision_of(client: FlaskClient, person_id: int) -> str:
    """The record's revision as the edit form carries it."""
    found = re.search(
        r'name="revision" value="(\d+)"', client.get(f"/persons/{person_id}/edit").get_data(as_text=True)
    )
    assert found, "the edit form carries no revision"
    return found.group(1)


def stored(session: Session, external_id: str) -> ConvictedPerson | None:
    session.expire_all()
    return session.scalar(select(ConvictedPerson).where(ConvictedPerson.external_id == external_id))


# --- who may open what -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN, Role.OFFICER, Role.AUDITOR])
def test_readers_may_search_and_read_a_record(
    client: FlaskClient, session: Session, sign_in: Callable[..., User], role: Role
) -> None:
    person = hnylytskyi(session)
    sign_in(role)
    assert client.get("/persons?q=олег").status_code == 200
    assert client.get(f"/persons/{person.id}").status_code == 200


def test_screeners_never_see_the_watchlist_pages(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    person = hnylytskyi(session)
    sign_in(Role.SCREENER)
    for url in ("/persons", f"/persons/{person.id}", "/persons/new", "/persons/import"):
        assert client.get(url).status_code == 403, url
    home = client.get("/").get_data(as_text=True)
    assert 'href="/persons' not in home


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR])
def test_officers_and_auditors_read_but_cannot_change(
    client: FlaskClient, session: Session, sign_in: Callable[..., User], role: Role
) -> None:
    person = hnylytskyi(session)
    sign_in(role)
    record = client.get(f"/persons/{person.id}").get_data(as_text=True)
    assert f"/persons/{person.id}/edit" not in record and f"/persons/{person.id}/close" not in record
    assert client.get(f"/persons/{person.id}/edit").status_code == 403
    response = client.post(f"/persons/{person.id}/close", data={"csrf_token": CSRF, "reason": "arrested"})
    assert response.status_code == 403
    assert stored(session, "FX-0001").status is PersonStatus.WANTED  # type: ignore[union-attr]


def test_an_editor_finds_the_pages_in_the_menu(client: FlaskClient, sign_in: Callable[..., User]) -> None:
    sign_in(Role.EDITOR)
    menu = client.get("/").get_data(as_text=True)
    for url in ('href="/persons"', 'href="/persons/new"', 'href="/persons/import"'):
        assert url in menu


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get("/persons?q=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/persons")


# --- search ----------------------------------------------------------------------------------------------


def test_search_finds_a_name_part_in_any_script_and_case(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    person = hnylytskyi(session)
    add(session, external_id="FX-0002", full_name="Коваленко Петро Іванович")
    sign_in(Role.EDITOR)
    for query in ("гнилицьк", "ГНИЛИЦЬКИЙ", "hnylytskyi", "Гнилицкий"):
        response = client.get("/persons", query_string={"q": query})
        text = page_text(response)
        assert "Знайдено 1 особу" in text, query
        assert "Гнилицький Олег Петрович" in text and "Коваленко" not in text
        assert f'href="/persons/{person.id}"' in response.get_data(as_text=True)
    # the other names are listed beside the primary one, with the birth date at its precision
    assert "Гнилицкий Олег Петрович; HNYLYTSKYI OLEH" in text and "1975-03" in text
    assert "Нікого не знайдено." in page_text(client.get("/persons", query_string={"q": "Шевчук"}))


def test_search_filters_by_status(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    add(session, external_id="FX-1", full_name="Мельник Тарас", status="detained")
    add(session, external_id="FX-2", full_name="Мельник Іван")
    sign_in(Role.OFFICER)
    text = page_text(client.get("/persons", query_string={"q": "мельник", "status": "detained"}))
    assert "Мельник Тарас" in text and "Мельник Іван" not in text
    assert "затримано" in text
    text = page_text(client.get("/persons", query_string={"q": "мельник"}))
    assert "Знайдено 2 особи" in text


def test_search_pages_through_many_persons(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    rows = [
        require_person({"external_id": f"PG-{n:03d}", "full_name": f"Пагінація Особа {n:03d}"})
        for n in range(60)
    ]
    import_persons(session, rows, "seed")
    session.commit()
    sign_in(Role.EDITOR)
    first = client.get("/persons", query_string={"q": "пагінація"})
    text = page_text(first)
    assert "Знайдено 60 осіб" in text and "Сторінка 1 з 2" in text
    assert "Особа 049" in text and "Особа 050" not in text
    assert 'rel="next" href="/persons?q=' in first.get_data(as_text=True)
    second = page_text(client.get("/persons", query_string={"q": "пагінація", "page": "2"}))
    assert "Особа 050" in second and "Особа 059" in second and "Особа 049" not in second
    # a page number typed by hand that is no number lands on the first page
    assert "Сторінка 1 з 2" in page_text(client.get("/persons?q=пагінація&page=abc"))


def test_a_search_writes_an_audit_row_with_the_query_and_the_persons_shown(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    person = hnylytskyi(session)
    add(session, external_id="FX-0002", full_name="Коваленко Петро Іванович")
    sign_in(Role.OFFICER, username="officer-olha")
    client.get("/persons", query_string={"q": "олег", "status": "wanted"})
    session.expire_all()
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "person_search")).all()
    assert (event.actor, event.role, event.via) == ("officer-olha", "officer", "session")
    assert event.subject == {"q": "олег", "status": "wanted", "page": 1}
    assert event.outcome == {"total": 1, "persons_disclosed": [person.id]}


def test_a_query_with_control_characters_is_refused_next_to_the_field(
    client: FlaskClient, sign_in: Callable[..., User]
) -> None:
    sign_in(Role.EDITOR)
    response = client.get("/persons", query_string={"q": "abc\x07"})
    assert response.status_code == 422
    assert field_error(response, "q") == ["містить керівні символи або пошкоджений Юнікод"]


# --- the record ------------------------------------------------------------------------------------------


def test_the_record_shows_every_name_the_birth_date_precision_convictions_and_history(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    person = hnylytskyi(session)
    sign_in(Role.EDITOR)
    text = page_text(client.get(f"/persons/{person.id}"))
    assert "Гнилицький Олег Петрович як у вироку Cyrl" in text
    assert "Гнилицкий Олег Петрович інше ім'я Cyrl" in text
    assert "HNYLYTSKYI OLEH написання в документі Latn" in text
    assert "1975-03 (відомі рік і місяць)" in text
    assert "FX/1/23 Fictitious District Court Part 1 of Art. 438 10 years 2023-01-30 так" in text
    assert "розшукується" in text
    # the history: who and what
    assert "seed внесено" in text
    assert "Повне ім'я : — → Гнилицький Олег Петрович" in text


def test_reading_a_record_writes_an_audit_row(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    person = hnylytskyi(session)
    sign_in(Role.AUDITOR, username="auditor-anna")
    assert client.get(f"/persons/{person.id}").status_code == 200
    session.expire_all()
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "person_view")).all()
    assert len(events) == 1
    event = events[0]
    assert (event.actor, event.role, event.via) == ("auditor-anna", "auditor", "session")
    assert event.subject == {"person_id": person.id, "external_id": "FX-0001"}
    assert event.outcome == {"persons_disclosed": [person.id]}


def test_the_record_of_nobody_is_not_found(client: FlaskClient, sign_in: Callable[..., User]) -> None:
    sign_in(Role.EDITOR)
    assert client.get("/persons/999999").status_code == 404
    assert client.get("/persons/99999999999").status_code == 404


def test_the_record_is_english_when_the_user_chose_english(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    person = hnylytskyi(session)
    sign_in(Role.EDITOR, language="en")
    text = page_text(client.get(f"/persons/{person.id}"))
    assert "HNYLYTSKYI OLEH spelling in a document Latn" in text
    assert "1975-03 (year and month known)" in text and "History of changes" in text


# --- add -------------------------------------------------------------------------------------------------


def test_an_editor_adds_a_person_with_aliases_document_spellings_and_convictions(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    sign_in(Role.EDITOR, username="editor-oksana")
    form_page = client.get("/persons/new")
    assert form_page.status_code == 200
    assert f'name="csrf_token" value="{CSRF}"' in form_page.get_data(as_text=True)
    response = client.post(
        "/persons/new",
        data=person_form(
            external_id="NEW-1",
            full_name="Стешенко Артем Васильович",
            aliases="Стешенко Артём Васильевич\n\nArtem Steshenko\n",
            document_names="STESHENKO ARTEM",
            birth_date="1980",
            **{
                "convictions-0-case_number": "FX/9/24",
                "convictions-0-court": "Fictitious Court",
                "convictions-0-article": "Part 1 of Art. 438",
                "convictions-0-sentence": "9 years",
                "convictions-0-verdict_date": "2024-02-01",
                "convictions-0-in_absentia": "yes",
                "convictions-0-appeal_status": "",
                "convictions-1-case_number": "",
                "convictions-1-court": "",
                "convictions-1-verdict_date": "",
                "convictions-1-in_absentia": "yes",
            },
        ),
    )
    person = stored(session, "NEW-1")
    assert person is not None
    assert response.status_code == 302 and response.headers["Location"] == f"/persons/{person.id}"
    assert [(n.kind, n.name) for n in person.names] == [
        (NameKind.PRIMARY, "Стешенко Артем Васильович"),
        (NameKind.ALIAS, "Стешенко Артём Васильевич"),
        (NameKind.ALIAS, "Artem Steshenko"),
        (NameKind.DOCUMENT, "STESHENKO ARTEM"),
    ]
    assert [c.case_number for c in person.convictions] == ["FX/9/24"]
    assert person.changes[0].changed_by == "editor-oksana" and person.changes[0].action == "created"
    record = page_text(client.get(response.headers["Location"]))
    assert "Запис збережено." in record
    assert "1980 (відомий лише рік)" in record


def test_bad_input_is_shown_next_to_each_field_and_nothing_is_written(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    sign_in(Role.EDITOR)
    response = client.post(
        "/persons/new",
        data=person_form(
            external_id="BAD-1",
            full_name="",
            aliases="12345",
            birth_date="12.03.1975",
            status="closed",
            **{"convictions-0-court": "Some court", "convictions-0-verdict_date": "2023-02-30"},
        ),
    )
    assert response.status_code == 422
    assert field_error(response, "full_name") == ["обов'язкове поле"]
    assert field_error(response, "aliases") == ["'12345' — не ім'я: у ньому немає літер"]
    assert field_error(response, "birth_date") == [
        "'12.03.1975' — не дата у вигляді РРРР-ММ-ДД, РРРР-ММ або РРРР"
    ]
    assert field_error(response, "close_reason") == ["закриття запису потребує підстави"]
    assert field_error(response, "convictions[0].verdict_date") == ["'2023-02-30' — такої дати не існує"]
    page = response.get_data(as_text=True)
    # what the editor typed is kept, so he corrects it instead of typing it again
    assert 'value="12.03.1975"' in page and 'value="Some court"' in page
    assert "Дані не пройшли перевірку" in page_text(response)
    assert stored(session, "BAD-1") is None


def test_a_taken_identifier_is_shown_next_to_its_field(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    hnylytskyi(session)
    sign_in(Role.EDITOR, language="en")
    response = client.post("/persons/new", data=person_form(external_id="FX-0001", full_name="Інший Іван"))
    assert response.status_code == 409
    assert field_error(response, "external_id") == [
        "a person with this identifier is in the register already"
    ]
    assert stored(session, "FX-0001").primary_name == "Гнилицький Олег Петрович"  # type: ignore[union-attr]


def test_one_more_conviction_adds_a_group_without_saving(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    sign_in(Role.EDITOR)
    response = client.post(
        "/persons/new",
        data=person_form(
            external_id="MORE-1", full_name="Бойко Ігор", more="1", **{"convictions-0-case_number": "A/1"}
        ),
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="convictions-0-case_number" value="A/1"' in page
    assert 'name="convictions-1-case_number" value=""' in page
    assert stored(session, "MORE-1") is None


def test_a_form_without_the_csrf_token_is_refused(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    sign_in(Role.EDITOR)
    form = person_form(external_id="CSRF-1", full_name="Бойко Ігор")
    del form["csrf_token"]
    assert client.post("/persons/new", data=form).status_code == 400
    assert stored(session, "CSRF-1") is None


# --- edit ------------------------------------------------------------------------------------------------


def test_an_edit_is_saved_and_shows_in_the_history(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    person = hnylytskyi(session)
    sign_in(Role.EDITOR, username="editor-petro")
    form_page = client.get(f"/persons/{person.id}/edit").get_data(as_text=True)
    # the form comes filled in with the record
    assert 'value="Гнилицький Олег Петрович"' in form_page and ">HNYLYTSKYI OLEH</textarea>" in form_page
    assert 'name="convictions-0-case_number" value="FX/1/23"' in form_page
    assert 'value="FX-0001" readonly' in form_page

    form = person_form(
        external_id="SOMETHING-ELSE",
        full_name="Гнилицький Олег Петрович",
        aliases="Гнилицкий Олег Петрович",
        document_names="HNYLYTSKYI OLEH\nGNILITSKII OLEG",
        birth_date="1975-03-12",
        citizenship="UA",
        status="located",
        **{
            "convictions-0-case_number": "FX/1/23",
            "convictions-0-court": "Fictitious District Court",
            "convictions-0-article": "Part 1 of Art. 438",
            "convictions-0-sentence": "10 years",
            "convictions-0-verdict_date": "2023-01-30",
            "convictions-0-in_absentia": "yes",
        },
    )
    form["revision"] = revision_of(client, person.id)
    response = client.post(f"/persons/{person.id}/edit", data=form)
    assert response.status_code == 302
    again = stored(session, "FX-0001")
    assert again is not None and again.status is PersonStatus.LOCATED
    assert stored(session, "SOMETHING-ELSE") is None  # the identifier is not the form's to change
    assert [n.name for n in again.names if n.kind is NameKind.DOCUMENT] == [
        "HNYLYTSKYI OLEH",
        "GNILITSKII OLEG",
    ]
    text = page_text(client.get(f"/persons/{person.id}"))
    assert "editor-petro змінено" in text
    assert "Дата народження : 1975-03 → 1975-03-12" in text
    assert "Статус : розшукується → місцеперебування встановлено" in text
    assert "Написання в документах : HNYLYTSKYI OLEH → HNYLYTSKYI OLEH; GNILITSKII OLEG" in text

    # the same form again changes nothing and says so
    form["revision"] = revision_of(client, person.id)
    client.post(f"/persons/{person.id}/edit", data=form)
    assert "Нічого не змінено." in page_text(client.get(f"/persons/{person.id}"))
    assert len(stored(session, "FX-0001").changes) == 2  # type: ignore[union-attr]


def test_an_edit_with_bad_input_keeps_the_record(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    person = hnylytskyi(session)
    sign_in(Role.ADMIN)
    response = client.post(
        f"/persons/{person.id}/edit",
        data=person_form(
            full_name="Гнилицький Олег", birth_date="2999", revision=revision_of(client, person.id)
        ),
    )
    assert response.status_code == 422
    assert field_error(response, "birth_date") == ["дата в майбутньому"]
    assert stored(session, "FX-0001").primary_name == "Гнилицький Олег Петрович"  # type: ignore[union-attr]


def test_an_edit_does_not_silently_undo_a_change_made_meanwhile(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    person = hnylytskyi(session)
    sign_in(Role.EDITOR, username="editor-slow")
    opened = revision_of(client, person.id)
    # another editor changes the record while the form is open
    update_person(session, person, replace(person_input(person), citizenship="RU"), "editor-fast")
    session.commit()
    form = person_form(full_name="Гнилицький Олег Петрович", citizenship="UA", notes="mine", revision=opened)
    response = client.post(f"/persons/{person.id}/edit", data=form)
    assert response.status_code == 409
    assert "запис змінив хтось інший, тож ваші зміни не збережено" in page_text(response)
    assert ">mine</textarea>" in response.get_data(as_text=True)  # what he typed is kept
    again = stored(session, "FX-0001")
    assert again is not None and again.citizenship == "RU" and again.notes is None
    # having been told, the editor may save his version over the other
    fresh = re.search(r'name="revision" value="(\d+)"', response.get_data(as_text=True))
    assert fresh is not None and fresh.group(1) != opened
    response = client.post(f"/persons/{person.id}/edit", data={**form, "revision": fresh.group(1)})
    assert response.status_code == 302
    again = stored(session, "FX-0001")
    assert again is not None and again.citizenship == "UA" and again.notes == "mine"


# --- close -----------------------------------------------------------------------------------------------


def test_closing_needs_a_reason_and_keeps_the_person(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    person = hnylytskyi(session)
    sign_in(Role.EDITOR, username="editor-iryna")
    assert "Закритий запис не видаляється" in page_text(client.get(f"/persons/{person.id}/close"))

    response = client.post(f"/persons/{person.id}/close", data={"csrf_token": CSRF, "reason": "  "})
    assert response.status_code == 422
    assert field_error(response, "reason") == ["закриття запису потребує підстави"]
    assert stored(session, "FX-0001").status is PersonStatus.WANTED  # type: ignore[union-attr]

    response = client.post(
        f"/persons/{person.id}/close",
        data={"csrf_token": CSRF, "reason": "Detained and serving the sentence"},
    )
    assert response.status_code == 302
    closed = stored(session, "FX-0001")
    assert closed is not None and closed.status is PersonStatus.CLOSED
    assert closed.close_reason == "Detained and serving the sentence"
    text = page_text(client.get(f"/persons/{person.id}"))
    assert "Запис закрито." in text
    assert "editor-iryna закрито" in text
    assert "Підстава закриття : — → Detained and serving the sentence" in text
    # a closed record stays findable, and cannot be closed twice
    assert "Гнилицький Олег Петрович" in page_text(client.get("/persons?status=closed"))
    response = client.get(f"/persons/{person.id}/close")
    assert response.status_code == 302
    assert "Цей запис уже закрито." in page_text(client.get(response.headers["Location"]))


def test_a_closed_record_is_reopened_by_an_edit_and_the_history_says_so(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    person = add(
        session,
        external_id="RE-1",
        full_name="Бойко Ігор",
        status="closed",
        close_reason="entered by mistake",
    )
    sign_in(Role.EDITOR)
    form_page = client.get(f"/persons/{person.id}/edit").get_data(as_text=True)
    assert '<option value="closed" selected>' in form_page and ">entered by mistake</textarea>" in form_page
    form = person_form(full_name="Бойко Ігор", status="detained", revision=revision_of(client, person.id))
    assert client.post(f"/persons/{person.id}/edit", data=form).status_code == 302
    reopened = stored(session, "RE-1")
    assert reopened is not None and reopened.status is PersonStatus.DETAINED and reopened.close_reason is None
    text = page_text(client.get(f"/persons/{person.id}"))
    assert "відновлено" in text and "Статус : закрито → затримано" in text


# --- import ----------------------------------------------------------------------------------------------


def upload(client: FlaskClient, name: str, content: bytes, skip_invalid: bool = False) -> TestResponse:
    data: dict[str, Any] = {"csrf_token": CSRF, "file": (io.BytesIO(content), name)}
    if skip_invalid:
        data["skip_invalid"] = "yes"
    return client.post("/persons/import", data=data, content_type="multipart/form-data")


def error_rows(response: TestResponse) -> list[list[str]]:
    table = re.search(r'<table class="file-errors">.*?</table>', response.get_data(as_text=True), re.S)
    assert table, "no error table on the page"
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0).split("</thead>", 1)[1], re.S)
    return [[html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]


def test_a_valid_file_is_imported(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    sign_in(Role.EDITOR, username="editor-import")
    response = upload(client, "persons_valid.csv", (FIXTURES / "persons_valid.csv").read_bytes())
    assert response.status_code == 200
    rows = len((FIXTURES / "persons_valid.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert f"нових {rows}, оновлених 0, без змін 0, відхилених рядків 0" in page_text(response)
    person = stored(session, "FX-0001")
    assert person is not None and person.changes[0].changed_by == "editor-import"
    # the same file again changes nothing
    assert f"нових 0, оновлених 0, без змін {rows}" in page_text(
        upload(client, "persons_valid.csv", (FIXTURES / "persons_valid.csv").read_bytes())
    )


def test_a_file_with_bad_rows_writes_nothing_and_lists_every_error(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    sign_in(Role.EDITOR)
    response = upload(client, "список.csv", (FIXTURES / "persons_invalid.csv").read_bytes())
    assert response.status_code == 422
    assert "Файл не імпортовано: нічого не записано." in page_text(response)
    rows = error_rows(response)
    assert ["список.csv", "2", "birth_date", "'1975-13-01' — такої дати не існує"] in rows
    assert ["список.csv", "3", "full_name", "обов'язкове поле"] in rows
    assert ["список.csv", "5", "external_id", "'FX-0104' є також у рядку 6"] in rows
    assert {row[1] for row in rows} >= {"2", "3", "4", "5", "6"}
    assert stored(session, "FX-0104") is None


def test_skip_invalid_imports_the_valid_rows_and_hands_back_the_rejected_ones(
    client: FlaskClient, session: Session, sign_in: Callable[..., User]
) -> None:
    sign_in(Role.EDITOR, language="en")
    content = (
        "external_id,full_name,birth_date\nOK-1,Шевчук Богдан,1970\nBAD-1,Ткаченко Олег,1970-02-30\n"
        "OK-2,Бондар Андрій,\n"
    ).encode()
    response = upload(client, "mixed.csv", content, skip_invalid=True)
    assert response.status_code == 200
    assert "Import finished: 2 new, 0 updated, 0 unchanged, 1 rows rejected." in page_text(response)
    assert error_rows(response) == [["mixed.csv", "3", "birth_date", "'1970-02-30' is not a real date"]]
    link = re.search(
        r'href="data:text/csv;charset=utf-8;base64,([^"]+)" download="([^"]+)"',
        response.get_data(as_text=True),
    )
    assert link is not None and link.group(2) == "mixed.csv.rejected.csv"
    rejected = list(csv.reader(io.StringIO(base64.b64decode(link.group(1)).decode("utf-8-sig"))))
    assert rejected == [
        ["external_id", "full_name", "birth_date", "error"],
        ["BAD-1", "Ткаченко Олег", "1970-02-30", "mixed.csv:3:birth_date: '1970-02-30' is not a real date"],
    ]
    assert stored(session, "OK-1") is not None and stored(session, "OK-2") is not None
    assert stored(session, "BAD-1") is None


def test_an_xlsx_file_is_imported(
    client: FlaskClient, session: Session, sign_in: Callable[..., User], tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["external_id", "full_name", "aliases", "birth_date"])
    sheet.append(["XL-1", "Литвин Сергій", "Litvin Sergei; Литвин Сергей", "1968-05"])
    workbook.save(tmp_path / "persons.xlsx")
    sign_in(Role.ADMIN)
    response = upload(client, "persons.xlsx", (tmp_path / "persons.xlsx").read_bytes())
    assert response.status_code == 200 and "нових 1" in page_text(response)
    person = stored(session, "XL-1")
    assert person is not None and [n.name for n in person.names][1:] == ["Litvin Sergei", "Литвин Сергей"]


def test_a_file_that_is_not_a_persons_file_is_refused_with_its_reason(
    client: FlaskClient, sign_in: Callable[..., User]
) -> None:
    sign_in(Role.EDITOR)
    response = upload(client, "notes.pdf", b"%PDF-1.4")
    assert response.status_code == 422
    [row] = error_rows(response)
    assert row[0] == "notes.pdf" and row[2] == "file" and row[3].startswith("невідомий тип файлу .pdf")
    response = upload(client, "columns.csv", "external_id,full_name,shoe_size\nA,Бойко Ігор,44\n".encode())
    assert ["columns.csv", "1", "shoe_size", "невідомий стовпець (див. опис файлу осіб)"] in error_rows(
        response
    )


def test_an_import_without_a_file_says_so_next_to_the_field(
    client: FlaskClient, sign_in: Callable[..., User]
) -> None:
    sign_in(Role.EDITOR)
    response = client.post("/persons/import", data={"csrf_token": CSRF}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert field_error(response, "file") == ["Оберіть файл."]


def test_officers_cannot_import(client: FlaskClient, session: Session, sign_in: Callable[..., User]) -> None:
    sign_in(Role.OFFICER)
    response = upload(client, "persons_valid.csv", (FIXTURES / "persons_valid.csv").read_bytes())
    assert response.status_code == 403
    assert stored(session, "FX-0001") is None


# --- the operations' messages in the user's language -----------------------------------------------------


BAD_PERSONS: list[dict[str, Any]] = [
    {},
    {"external_id": "x" * 65, "full_name": "1234", "birth_date": "1975-13", "status": "escaped"},
    {"external_id": "A", "full_name": "Бойко", "birth_date": "1850", "verdict_date": "30.01.2023"},
    {"external_id": "A", "full_name": "Бойко", "birth_date": "1975-02-30", "in_absentia": "maybe"},
    {"external_id": "A", "full_name": "Бой\x07ко", "status": "closed", "colour": "red"},
]


@pytest.mark.parametrize("data", BAD_PERSONS)
def test_every_message_of_person_validation_has_a_ukrainian_form(app: Flask, data: dict[str, Any]) -> None:
    errors = parse_person(data)
    assert isinstance(errors, list) and errors
    with app.test_request_context("/"):
        for error in errors:
            shown = error_message(error)
            assert shown != error.message, f"untranslated: {error}"
            assert not re.search(r"\b(is|must|not|the)\b", shown), shown


def test_the_listing_limits_have_a_ukrainian_form(app: Flask, session: Session) -> None:
    with pytest.raises(ValidationFailed) as failure:
        list_persons(session, page=0, per_page=500)
    with app.test_request_context("/"):
        assert [error_message(error) for error in failure.value.details] == [
            "має бути від 1 до 2147483647",
            "має бути від 1 до 200",
        ]


def test_an_unknown_message_is_shown_as_the_operation_wrote_it(app: Flask) -> None:
    with app.test_request_context("/"):
        assert error_message(FieldError("x", "something new went wrong")) == "something new went wrong"


def test_both_languages_have_the_same_page_messages() -> None:
    assert set(MESSAGES["uk"]) == set(MESSAGES["en"])
