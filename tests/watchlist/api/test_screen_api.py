"""The screening API as an official's client sees it: hits, no hits, lists, bad input, who may call, and
what happens when the watchlist cannot be read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from watchlist.app import create_app
from watchlist.db import Database, make_engine
from watchlist.models import AuditEvent, Role
from watchlist.persons import add_person, require_person
from watchlist.screening import ScreeningService
from watchlist.settings import Settings

Headers = Callable[[Role], dict[str, str]]

HNYLYTSKYI = {
    "external_id": "UA-0002",
    "full_name": "Гнилицький Олег Петрович",
    "aliases": "Гнилицкий Олег Петрович; GNILITSKII OLEG",
    "birth_date": "1975-03-12",
    "court": "Fictitious District Court of Kyiv",
    "case_number": "757/1234/23",
    "article": "Part 1 of Art. 438",
    "sentence": "12 years",
    "verdict_date": "2023-01-30",
}
KABASHNYI = {
    "external_id": "UA-0001",
    "full_name": "Кабашний Олександр Іванович",
    "aliases": "Кабашный Александр Иванович",
}


@pytest.fixture
def watchlist(session: Session) -> None:
    for person in (HNYLYTSKYI, KABASHNYI):
        add_person(session, require_person(person), actor="test")
    session.commit()


@pytest.fixture
def screener(auth_headers: Headers, watchlist: None) -> dict[str, str]:
    return auth_headers(Role.SCREENER)


def audit_rows(session: Session, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def fields(response: Any) -> list[str]:
    assert response.json is not None, response.data
    return [detail["field"] for detail in response.json["error"]["details"]]


# --- one person ---------------------------------------------------------------------------------------------


def test_a_cyrillic_name_finds_the_person_with_his_conviction_and_the_instruction(
    client: FlaskClient, screener: dict[str, str], settings: Settings
) -> None:
    response = client.post(
        "/api/v1/screen", json={"name": "Гнилицкий Олег", "birth_date": "12.03.1975"}, headers=screener
    )
    assert response.status_code == 200, response.json
    result = response.json
    assert result is not None
    assert result["decision"] == "hit"
    assert result["instruction"] == settings.screening_instruction_uk
    best = result["matches"][0]
    assert (best["external_id"], best["decision"]) == ("UA-0002", "alert")
    assert best["explanation"]["matched_name"]
    person = best["person"]
    assert person["status"] == "wanted"
    assert "GNILITSKII OLEG" in [name["name"] for name in person["names"]]
    [conviction] = person["convictions"]
    assert conviction == {
        "court": "Fictitious District Court of Kyiv",
        "case_number": "757/1234/23",
        "article": "Part 1 of Art. 438",
        "sentence": "12 years",
        "verdict_date": "2023-01-30",
        "in_absentia": True,
    }


def test_a_latin_transliteration_in_name_parts_finds_the_ukrainian_name(
    client: FlaskClient, screener: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/screen",
        json={"surname": "Kabashnyi", "given_name": "Oleksandr", "record_id": "checkpoint-7/42"},
        headers=screener,
    )
    assert response.status_code == 200
    assert response.json is not None
    assert response.json["record_id"] == "checkpoint-7/42"
    assert response.json["matches"][0]["external_id"] == "UA-0001"
    assert response.json["decision"] in ("hit", "possible_hit")


def test_no_hit_is_an_answer_that_says_so(client: FlaskClient, screener: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/screen", json={"name": "Nobody Atall", "birth_date": "1990"}, headers=screener
    )
    assert response.status_code == 200
    assert response.json == {"record_id": None, "matches": [], "decision": "no_hit", "instruction": None}


def test_the_instruction_follows_accept_language(
    client: FlaskClient, screener: dict[str, str], settings: Settings
) -> None:
    response = client.post(
        "/api/v1/screen",
        json={"name": "GNILITSKII OLEG", "birth_date": "1975"},
        headers={**screener, "Accept-Language": "en-GB,en;q=0.9"},
    )
    assert response.json is not None
    assert response.json["instruction"] == settings.screening_instruction_en


def test_each_screening_writes_one_audit_row_with_who_what_and_how_many_hits(
    client: FlaskClient, screener: dict[str, str], session: Session
) -> None:
    client.post("/api/v1/screen", json={"name": "Гнилицький Олег", "nationality": "UA"}, headers=screener)
    [row] = audit_rows(session, "screen")
    assert row.actor.startswith("screener")
    assert (row.via, row.role) == ("token", "screener")
    assert row.subject["records"][0]["name"] == "Гнилицький Олег"
    assert row.subject["records"][0]["nationality"] == "UA"
    assert row.outcome["records"] == 1
    assert row.outcome["hits"] + row.outcome["possible_hits"] == 1
    assert row.outcome["persons_disclosed"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"birth_date": "1975"}, ["name"]),
        ({"name": "   "}, ["name"]),
        ({"name": 42}, ["name"]),
        ({"name": "Ivan Petrenko", "birth_date": 1975}, ["birth_date"]),
        ({"name": "Ivan Petrenko", "birthdate": "1975"}, ["birthdate"]),
        ({"name": "x" * 301}, ["name"]),
        ({"name": "Ivan \u0000 Petrenko"}, ["name"]),
        ({"name": "lone surrogate \ud800"}, ["name"]),
        ({"surname": ["Petrenko"], "given_name": {"x": 1}}, ["surname", "given_name"]),
        (["Ivan Petrenko"], ["body"]),
        ("Ivan Petrenko", ["body"]),
    ],
)
def test_bad_queries_are_refused_naming_the_field_and_nothing_is_audited(
    client: FlaskClient, screener: dict[str, str], session: Session, body: Any, expected: list[str]
) -> None:
    response = client.post("/api/v1/screen", json=body, headers=screener)
    assert response.status_code == 422
    assert response.json is not None and response.json["error"]["code"] == "validation_failed"
    assert fields(response) == expected
    assert audit_rows(session, "screen") == []


@pytest.mark.parametrize(
    ("data", "content_type"), [("{not json", "application/json"), ("name=Ivan", "text/plain"), ("", "")]
)
def test_a_body_that_is_not_json_is_a_bad_request(
    client: FlaskClient, screener: dict[str, str], data: str, content_type: str
) -> None:
    response = client.post("/api/v1/screen", data=data, content_type=content_type, headers=screener)
    assert response.status_code == 400
    assert response.json is not None and response.json["error"]["code"] == "bad_request"


# --- who may screen -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SCREENER, Role.OFFICER, Role.EDITOR, Role.ADMIN])
def test_screeners_officers_editors_and_admins_may_screen(
    client: FlaskClient, auth_headers: Headers, watchlist: None, role: Role
) -> None:
    response = client.post("/api/v1/screen", json={"name": "Гнилицький Олег"}, headers=auth_headers(role))
    assert response.status_code == 200


def test_an_auditor_may_not_screen_and_an_anonymous_caller_is_asked_for_a_token(
    client: FlaskClient, auth_headers: Headers
) -> None:
    forbidden = client.post("/api/v1/screen", json={"name": "Ivan"}, headers=auth_headers(Role.AUDITOR))
    assert forbidden.status_code == 403
    anonymous = client.post("/api/v1/screen/batch", json={"records": [{"name": "Ivan"}]})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_screener_sees_a_hit_here_but_may_not_browse_the_watchlist(
    client: FlaskClient, screener: dict[str, str]
) -> None:
    hit = client.post("/api/v1/screen", json={"name": "Гнилицький Олег Петрович"}, headers=screener)
    assert hit.json is not None and hit.json["matches"]
    person_id = hit.json["matches"][0]["person_id"]
    assert client.get(f"/api/v1/persons/{person_id}", headers=screener).status_code == 403
    assert client.get("/api/v1/persons", headers=screener).status_code == 403


def test_the_login_session_may_screen_with_its_csrf_token(
    client: FlaskClient, make_user: Callable[..., Any], watchlist: None
) -> None:
    make_user(Role.SCREENER, username="border-officer")
    login = client.get("/login")
    assert login.status_code == 200
    with client.session_transaction() as cookie_session:
        csrf = cookie_session["csrf_token"]
    client.post(
        "/login",
        data={"username": "border-officer", "password": "correct horse battery", "csrf_token": csrf},
    )
    with client.session_transaction() as cookie_session:
        csrf = cookie_session["csrf_token"]
    without = client.post("/api/v1/screen", json={"name": "Гнилицький Олег"})
    assert without.status_code == 400
    with_token = client.post(
        "/api/v1/screen", json={"name": "Гнилицький Олег"}, headers={"X-CSRF-Token": csrf}
    )
    assert with_token.status_code == 200
    assert with_token.json is not None and with_token.json["decision"] != "no_hit"


# --- a list -------------------------------------------------------------------------------------------------


def test_a_batch_answers_one_result_per_record_in_input_order(
    client: FlaskClient, screener: dict[str, str], session: Session
) -> None:
    records = [
        {"record_id": "r-1", "name": "Nobody Atall"},
        {"surname": "Кабашный", "given_name": "Александр"},
        {
            "record_id": "r-3",
            "name": "GNILITSKII OLEG",
            "birth_date": "12.03.1975",
            "document_number": "75 123",
        },
    ]
    response = client.post("/api/v1/screen/batch", json={"records": records}, headers=screener)
    assert response.status_code == 200, response.json
    assert response.json is not None
    results = response.json["results"]
    assert [r["record_id"] for r in results] == ["r-1", "1", "r-3"]
    assert [r["decision"] for r in results][0] == "no_hit"
    assert results[1]["matches"][0]["external_id"] == "UA-0001"
    assert (results[2]["decision"], results[2]["matches"][0]["external_id"]) == ("hit", "UA-0002")
    assert results[2]["matches"][0]["person"]["convictions"][0]["case_number"] == "757/1234/23"
    [row] = audit_rows(session, "screen_batch")
    assert row.outcome["records"] == 3
    assert row.subject["records"][2]["document_number"] == "75 123"


def test_a_batch_with_bad_records_names_each_and_screens_nothing(
    client: FlaskClient, screener: dict[str, str], session: Session
) -> None:
    records = [
        {"name": "Ivan Petrenko"},
        {"birth_date": "1980"},
        {"name": "Petro", "birth_date": ["1980"]},
        "Ivan",
    ]
    response = client.post("/api/v1/screen/batch", json={"records": records}, headers=screener)
    assert response.status_code == 422
    assert fields(response) == ["records[1].name", "records[2].birth_date", "records[3]"]
    assert audit_rows(session, "screen_batch") == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, ["records"]),
        ({"records": "Ivan"}, ["records"]),
        ({"records": []}, ["records"]),
        ({"records": [{"name": "Ivan"}], "mode": "fast"}, ["mode"]),
        ([{"name": "Ivan"}], ["body"]),
    ],
)
def test_a_batch_body_of_the_wrong_shape_is_refused(
    client: FlaskClient, screener: dict[str, str], body: Any, expected: list[str]
) -> None:
    response = client.post("/api/v1/screen/batch", json=body, headers=screener)
    assert response.status_code == 422
    assert fields(response) == expected


def test_a_batch_of_more_than_ten_thousand_records_is_refused_with_the_limit(
    client: FlaskClient, screener: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/screen/batch", json={"records": [{"name": "Ivan Petrenko"}] * 10_001}, headers=screener
    )
    assert response.status_code == 422
    assert response.json is not None
    assert "10,000" in response.json["error"]["message"]
    assert fields(response) == ["records"]


@pytest.mark.slow
def test_a_batch_of_ten_thousand_records_is_screened(client: FlaskClient, screener: dict[str, str]) -> None:
    records = [{"record_id": str(n), "name": f"Petrenko Ivan {n}"} for n in range(9_999)]
    records.append({"name": "Гнилицкий Олег Петрович"})
    response = client.post("/api/v1/screen/batch", json={"records": records}, headers=screener)
    assert response.status_code == 200
    assert response.json is not None
    results = response.json["results"]
    assert len(results) == 10_000
    assert results[-1]["record_id"] == "9999"
    assert results[-1]["decision"] == "hit"


# --- when the watchlist cannot be read ----------------------------------------------------------------------


def _broken_sessionmaker() -> Session:
    raise OperationalError("SELECT 1", {}, Exception("connection refused"))


def test_when_the_index_cannot_be_loaded_the_answer_is_503_with_retry_after_never_no_match(
    app: Flask, client: FlaskClient, screener: dict[str, str], settings: Settings, session: Session
) -> None:
    app.extensions["watchlist.screening"] = ScreeningService(_broken_sessionmaker, settings)
    for path, body in [
        ("/api/v1/screen", {"name": "Гнилицький Олег"}),
        ("/api/v1/screen/batch", {"records": [{"name": "Гнилицький Олег"}]}),
    ]:
        response = client.post(path, json=body, headers=screener)
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert response.json is not None and response.json["error"]["code"] == "unavailable"
    assert audit_rows(session, "screen") == []


def test_when_the_database_is_down_the_answer_is_503_with_retry_after(
    settings: Settings, tmp_path: Path
) -> None:
    # a SQLite file in a directory that does not exist cannot be opened: the database is "down"
    engine = make_engine(f"sqlite:///{tmp_path}/absent.db")
    (tmp_path / "absent.db").mkdir()  # a directory where the file should be: every connect fails
    app = create_app(settings, db=Database(engine))
    response = app.test_client().post(
        "/api/v1/screen", json={"name": "Ivan"}, headers={"Authorization": "Bearer wl_" + "x" * 43}
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json is not None and response.json["error"]["code"] == "unavailable"
    engine.dispose()
