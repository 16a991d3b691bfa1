"""Bad input at the API's doors (persons create / edit / close / search, screen, batch), sent as a client
with a real token sends it: each is answered with a 4xx naming the field, never a 500, and leaves nothing
half-written; what is odd but valid (SQL-looking names, `%` in a search, invisible characters) is stored
and found literally.

The files' doors (uploads, the CLI, the incoming parsers) are in tests/watchlist/test_bad_input.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests.row_counts import audit_actions, last_audit_id, row_counts
from watchlist.models import Role
from watchlist.persons import PERSON_COLUMNS

Headers = Callable[[Role], dict[str, str]]

PERSON = {
    "external_id": "BAD-1",
    "full_name": "Гнилицький Олег Петрович",
    "birth_date": "1975-03-12",
    "case_number": "1-кп/123/2023",
    "verdict_date": "2023-01-30",
}
MILLION = "Олег" * 250_000
# 100,000 nested arrays: deeper than any recursive JSON reader goes before RecursionError
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
QUERY_FIELDS = (
    "record_id",
    "name",
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "nationality",
    "document_number",
)
IMPOSSIBLE_DATES = ("1980-02-31", "31.02.1980", "0000-01-01", "0000", "3000-01-01", "1980-13-01", "1980-00")


@pytest.fixture
def editor(auth_headers: Headers) -> dict[str, str]:
    return auth_headers(Role.EDITOR)


@pytest.fixture
def screener(auth_headers: Headers) -> dict[str, str]:
    return auth_headers(Role.SCREENER)


@pytest.fixture
def person_id(client: FlaskClient, editor: dict[str, str]) -> int:
    response = client.post("/api/v1/persons", json=PERSON, headers=editor)
    assert response.status_code == 201, response.json
    assert response.json is not None
    return int(response.json["id"])


def error_fields(response: TestResponse) -> list[str]:
    assert response.json is not None, response.get_data(as_text=True)[:500]
    return [detail["field"] for detail in response.json["error"]["details"]]


def send(client: FlaskClient, method: str, path: str, headers: dict[str, str], body: Any) -> TestResponse:
    if isinstance(body, bytes):
        return client.open(
            path, method=method, data=body, headers={**headers, "Content-Type": "application/json"}
        )
    return client.open(path, method=method, json=body, headers=headers)


# the doors that take a JSON body, each with who may use it
BODY_DOORS = [
    ("POST", "/api/v1/persons", Role.EDITOR),
    ("PATCH", "/api/v1/persons/{id}", Role.EDITOR),
    ("POST", "/api/v1/persons/{id}/close", Role.EDITOR),
    ("POST", "/api/v1/screen", Role.SCREENER),
    ("POST", "/api/v1/screen/batch", Role.SCREENER),
]
DOOR_IDS = [f"{method} {path}" for method, path, _role in BODY_DOORS]


# --- malformed and deeply nested JSON ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        DEEP_JSON,
        b'{"name": ' * 100_000 + b"1" + b"}" * 100_000,
        b"{",
        b"{'name': 'Oleh'}",
        b'{"name": "Oleh",}',
        b"\xff\xfe\x00\x00garbage",
        b"",
        # an integer literal longer than Python converts (4300 digits) is a ValueError, not a JSONDecodeError
        b'{"name": ' + b"1" * 5000 + b"}",
    ],
    ids=[
        "nested-arrays",
        "nested-objects",
        "truncated",
        "single-quotes",
        "trailing-comma",
        "bytes",
        "empty",
        "huge-integer",
    ],
)
@pytest.mark.parametrize(("method", "path", "role"), BODY_DOORS, ids=DOOR_IDS)
def test_json_that_cannot_be_read_is_a_400_and_writes_nothing(
    client: FlaskClient,
    session: Session,
    auth_headers: Headers,
    person_id: int,
    method: str,
    path: str,
    role: Role,
    body: bytes,
) -> None:
    headers = auth_headers(role)
    before, audit_before = row_counts(session), last_audit_id(session)
    started = time.monotonic()
    response = send(client, method, path.format(id=person_id), headers, body)
    assert time.monotonic() - started < 5
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert response.json is not None
    assert response.json["error"]["code"] == "bad_request"
    assert "JSON" in response.json["error"]["message"]
    assert row_counts(session) == before
    assert audit_actions(session, audit_before) == []


# --- a 1,000,000-character name ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "role", "body", "field"),
    [
        (
            "POST",
            "/api/v1/persons",
            Role.EDITOR,
            {**PERSON, "external_id": "BAD-2", "full_name": MILLION},
            "full_name",
        ),
        (
            "POST",
            "/api/v1/persons",
            Role.EDITOR,
            {**PERSON, "external_id": "BAD-2", "aliases": [MILLION]},
            "aliases",
        ),
        ("PATCH", "/api/v1/persons/{id}", Role.EDITOR, {"full_name": MILLION}, "full_name"),
        ("POST", "/api/v1/persons/{id}/close", Role.EDITOR, {"reason": MILLION}, "reason"),
        ("POST", "/api/v1/screen", Role.SCREENER, {"name": MILLION}, "name"),
        ("POST", "/api/v1/screen", Role.SCREENER, {"surname": MILLION, "given_name": "Олег"}, "surname"),
        (
            "POST",
            "/api/v1/screen/batch",
            Role.SCREENER,
            {"records": [{"name": "Олег"}, {"name": MILLION}]},
            "records[1].name",
        ),
    ],
    ids=["create", "create-alias", "edit", "close", "screen", "screen-surname", "batch"],
)
def test_a_million_character_name_is_a_422_naming_the_field_at_once(
    client: FlaskClient,
    session: Session,
    auth_headers: Headers,
    person_id: int,
    method: str,
    path: str,
    role: Role,
    body: dict[str, Any],
    field: str,
) -> None:
    headers = auth_headers(role)
    before, audit_before = row_counts(session), last_audit_id(session)
    started = time.monotonic()
    response = send(client, method, path.format(id=person_id), headers, body)
    # refused on its length, before any matching: a matcher run on it would take many seconds
    assert time.monotonic() - started < 3
    assert response.status_code == 422
    assert error_fields(response) == [field]
    # the answer names the problem; it does not send the million characters back
    assert len(response.get_data()) < 2000
    assert row_counts(session) == before
    assert audit_actions(session, audit_before) == []


# --- wrong types ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [["x"], {"x": 1}, True], ids=["list", "object", "bool"])
@pytest.mark.parametrize("field", PERSON_COLUMNS)
def test_a_person_field_of_the_wrong_type_is_named(
    client: FlaskClient, session: Session, editor: dict[str, str], field: str, value: Any
) -> None:
    if field == "aliases" and isinstance(value, list):
        value = [["nested"]]
    before = row_counts(session)
    response = client.post("/api/v1/persons", json={**PERSON, field: value}, headers=editor)
    assert response.status_code == 422, response.json
    assert error_fields(response) == [field]
    assert row_counts(session) == before


@pytest.mark.parametrize("value", [["x"], {"x": 1}, True], ids=["list", "object", "bool"])
# the conviction's columns are left out: an edit carries the stored `convictions`, which a lone
# `case_number` cannot be merged into
@pytest.mark.parametrize(
    "field", ["full_name", "aliases", "birth_date", "birth_place", "citizenship", "status", "notes"]
)
def test_an_edit_with_a_field_of_the_wrong_type_changes_nothing(
    client: FlaskClient, session: Session, editor: dict[str, str], person_id: int, field: str, value: Any
) -> None:
    if field == "aliases" and isinstance(value, list):
        value = [["nested"]]
    before = client.get(f"/api/v1/persons/{person_id}", headers=editor).json
    counts = row_counts(session)
    response = client.patch(f"/api/v1/persons/{person_id}", json={field: value}, headers=editor)
    assert response.status_code == 422, response.json
    assert error_fields(response) == [field]
    assert row_counts(session) == counts
    after = client.get(f"/api/v1/persons/{person_id}", headers=editor).json
    assert after is not None and before is not None
    assert after["changes"] == before["changes"]


@pytest.mark.parametrize("value", [42, ["Олег"], {"x": 1}, True], ids=["number", "list", "object", "bool"])
@pytest.mark.parametrize("field", QUERY_FIELDS)
def test_a_screening_field_of_the_wrong_type_is_named(
    client: FlaskClient, session: Session, screener: dict[str, str], field: str, value: Any
) -> None:
    audit_before = last_audit_id(session)
    query = {"name": "Гнилицький Олег", field: value}
    response = client.post("/api/v1/screen", json=query, headers=screener)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    batch = client.post("/api/v1/screen/batch", json={"records": [{"name": "Олег"}, query]}, headers=screener)
    assert batch.status_code == 422
    assert error_fields(batch) == [f"records[1].{field}"]
    assert audit_actions(session, audit_before) == []


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ([{"name": "Олег"}], ["body"]),
        ("Олег", ["body"]),
        ({"records": "Олег"}, ["records"]),
        ({"records": {"name": "Олег"}}, ["records"]),
        ({"records": []}, ["records"]),
        ({"records": [None]}, ["records[0]"]),
        ({"records": [["Олег"]]}, ["records[0]"]),
        ({"records": [{"name": "Олег"}], "mode": "fast"}, ["mode"]),
        ({"records": [{"name": "Олег"}] * 10_001}, ["records"]),
    ],
    ids=[
        "array",
        "string",
        "records-string",
        "records-object",
        "empty",
        "null-record",
        "list-record",
        "unknown-key",
        "too-many",
    ],
)
def test_a_batch_of_the_wrong_shape_is_named_and_nothing_is_screened(
    client: FlaskClient, session: Session, screener: dict[str, str], body: Any, fields: list[str]
) -> None:
    audit_before = last_audit_id(session)
    response = client.post("/api/v1/screen/batch", json=body, headers=screener)
    assert response.status_code == 422
    assert error_fields(response)[: len(fields)] == fields
    assert audit_actions(session, audit_before) == []


@pytest.mark.parametrize("reason", [None, 42, ["arrested"], {"x": 1}, True, "   "])
def test_closing_with_a_reason_that_is_not_text_changes_nothing(
    client: FlaskClient, session: Session, editor: dict[str, str], person_id: int, reason: Any
) -> None:
    before = client.get(f"/api/v1/persons/{person_id}", headers=editor).json
    counts = row_counts(session)
    response = client.post(f"/api/v1/persons/{person_id}/close", json={"reason": reason}, headers=editor)
    assert response.status_code == 422
    assert error_fields(response) == ["reason"]
    assert row_counts(session) == counts
    after = client.get(f"/api/v1/persons/{person_id}", headers=editor).json
    assert after == before


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        "page=99999999999999999999",
        "per_page=-1",
        "per_page=1e3",
        "status=gone",
        "q=%00",
        "q=%1B",
    ],
)
def test_a_search_with_bad_parameters_names_them(
    client: FlaskClient, session: Session, editor: dict[str, str], query: str
) -> None:
    audit_before = last_audit_id(session)
    response = client.get(f"/api/v1/persons?{query}", headers=editor)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert error_fields(response) == [query.split("=")[0]]
    assert audit_actions(session, audit_before) == []


# --- impossible dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", IMPOSSIBLE_DATES)
@pytest.mark.parametrize("field", ["birth_date", "verdict_date"])
def test_an_impossible_date_of_a_person_is_named(
    client: FlaskClient, session: Session, editor: dict[str, str], field: str, value: str
) -> None:
    before = row_counts(session)
    response = client.post("/api/v1/persons", json={**PERSON, field: value}, headers=editor)
    assert response.status_code == 422, response.json
    assert error_fields(response) == [field]
    assert row_counts(session) == before


@pytest.mark.parametrize("field", ["birth_date", "verdict_date"])
def test_a_huge_date_is_named_without_being_echoed_whole(
    client: FlaskClient, session: Session, editor: dict[str, str], field: str
) -> None:
    before = row_counts(session)
    response = client.post("/api/v1/persons", json={**PERSON, field: "9" * 100_000}, headers=editor)
    assert response.status_code == 422, response.json
    assert error_fields(response) == [field]
    assert len(response.get_data()) < 2_000
    assert row_counts(session) == before


@pytest.mark.parametrize("value", ["1975-02-31", "31.02.1975", "0000-01-01", "3000-01-01", "1975-13-12"])
def test_an_impossible_birth_date_of_a_screening_is_not_taken_for_a_date(
    client: FlaskClient, session: Session, screener: dict[str, str], person_id: int, value: str
) -> None:
    audit_before = last_audit_id(session)
    response = client.post(
        "/api/v1/screen", json={"name": "Гнилицький Олег Петрович", "birth_date": value}, headers=screener
    )
    # a border log's date may be unreadable; the name is still screened, and the date does not count
    assert response.status_code == 200, response.json
    assert response.json is not None
    [match] = response.json["matches"]
    assert match["person_id"] == person_id
    assert match["explanation"]["birth_date"]["verdict"] in ("unknown", "missing", "unreadable")
    assert audit_actions(session, audit_before) == ["screen"]


# --- names that look like SQL, searches with wildcards ----------------------------------------------------

SQL_NAMES = [
    "O'Brien Patrick",
    "'; DROP TABLE persons; --",
    'Robert"); DELETE FROM person_names; --',
    "Олег' OR '1'='1",
]


@pytest.mark.parametrize("query", [b"q=%FF%FE", b"q=%D0", b"q=\xd0\x9e\xff", b"page=1&q%FF=x"])
def test_a_query_string_that_is_not_utf8_is_refused_not_guessed(
    client: FlaskClient, session: Session, editor: dict[str, str], query: bytes
) -> None:
    # it was read with U+FFFD in place of the bytes, and a search for something else ran and was audited
    audit_before = last_audit_id(session)
    environ = {"QUERY_STRING": query.decode("latin-1")}
    response = client.get("/api/v1/persons", headers=editor, environ_overrides=environ)
    assert response.status_code == 400
    assert response.json is not None and "UTF-8" in response.json["error"]["message"]
    page = client.get("/persons", headers=editor, environ_overrides=environ)
    assert page.status_code == 400
    assert audit_actions(session, audit_before) == []


@pytest.mark.parametrize("name", SQL_NAMES)
def test_sql_looking_names_are_stored_and_found_literally(
    client: FlaskClient, session: Session, editor: dict[str, str], person_id: int, name: str
) -> None:
    created = client.post(
        "/api/v1/persons",
        json={"external_id": "SQL-1", "full_name": name, "aliases": [name + " Jr"]},
        headers=editor,
    )
    assert created.status_code == 201, created.json
    assert created.json is not None
    assert created.json["full_name"] == name
    audit_before = last_audit_id(session)
    found = client.get("/api/v1/persons", query_string={"q": name}, headers=editor)
    assert found.status_code == 200
    assert found.json is not None
    assert [item["full_name"] for item in found.json["items"]] == [name]
    assert audit_actions(session, audit_before) == ["person_search"]
    # every other person is still there: nothing ran as SQL
    assert row_counts(session)["persons"] == 2
    assert client.get(f"/api/v1/persons/{person_id}", headers=editor).status_code == 200


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("%", ["100% Іванов"]),
        ("_", ["Іван_ов Петро"]),
        ("0%", ["100% Іванов"]),
        ("\\", ["Back\\slash Іван"]),
        ("%Іван%", []),
    ],
)
def test_percent_and_underscore_in_a_search_are_literal(
    client: FlaskClient, session: Session, editor: dict[str, str], q: str, expected: list[str]
) -> None:
    for number, name in enumerate(["100% Іванов", "Іван_ов Петро", "Іванов Петро", "Back\\slash Іван"]):
        response = client.post(
            "/api/v1/persons", json={"external_id": f"LIKE-{number}", "full_name": name}, headers=editor
        )
        assert response.status_code == 201, response.json
    audit_before = last_audit_id(session)
    found = client.get("/api/v1/persons", query_string={"q": q}, headers=editor)
    assert found.status_code == 200
    assert found.json is not None
    assert [item["full_name"] for item in found.json["items"]] == expected
    assert found.json["total"] == len(expected)
    assert audit_actions(session, audit_before) == ["person_search"]


# --- invisible, bidi, combining characters and mixed scripts ----------------------------------------------

TRICKY_SPELLINGS = [
    "Гнилиц\u200bький\u200d Олег",  # zero-width space and joiner inside the surname
    "\u202eГнилицький Олег\u202c",  # right-to-left override around the name
    "\u2067Гнилицький\u2069 Олег",  # isolates
    "Гнилицький О\u0301лег",  # a combining accent
    "Гнилицький Оле\u0433\u0306",  # a combining breve
    "Гнилицький Oлег",  # a Latin O in a Cyrillic word
    "Гнилицькиi Олег",  # a Latin i in a Cyrillic word
    "\ufeffГнилицький\u00ad Олег",  # a byte-order mark and a soft hyphen
]


@pytest.mark.parametrize("name", TRICKY_SPELLINGS)
def test_invisible_and_lookalike_characters_do_not_hide_a_person(
    client: FlaskClient, session: Session, screener: dict[str, str], person_id: int, name: str
) -> None:
    audit_before = last_audit_id(session)
    response = client.post(
        "/api/v1/screen", json={"name": name, "birth_date": "12.03.1975"}, headers=screener
    )
    assert response.status_code == 200, response.json
    assert response.json is not None
    assert [m["person_id"] for m in response.json["matches"]][:1] == [person_id]
    assert response.json["matches"][0]["decision"] == "alert"
    assert audit_actions(session, audit_before)[:1] == ["screen"]


# the Latin i stands for a Cyrillic і there, not the й of the name searched for
@pytest.mark.parametrize("name", [name for name in TRICKY_SPELLINGS if "иi" not in name])
def test_a_person_added_with_invisible_characters_is_found_by_the_plain_name(
    client: FlaskClient, session: Session, editor: dict[str, str], screener: dict[str, str], name: str
) -> None:
    created = client.post("/api/v1/persons", json={"external_id": "ZW-1", "full_name": name}, headers=editor)
    assert created.status_code == 201, created.json
    assert created.json is not None
    found = client.get("/api/v1/persons", query_string={"q": "Гнилицький"}, headers=editor)
    assert found.json is not None
    assert [item["id"] for item in found.json["items"]] == [created.json["id"]]
    screened = client.post("/api/v1/screen", json={"name": "Гнилицький Олег"}, headers=screener)
    assert screened.json is not None
    assert [m["person_id"] for m in screened.json["matches"]][:1] == [created.json["id"]]


@pytest.mark.parametrize(
    ("method", "path", "role", "body", "field"),
    [
        (
            "POST",
            "/api/v1/persons",
            Role.EDITOR,
            {**PERSON, "external_id": "C-1", "full_name": "Олег\x00 Гн"},
            "full_name",
        ),
        (
            "POST",
            "/api/v1/persons",
            Role.EDITOR,
            {**PERSON, "external_id": "C-1", "notes": "\ud800"},
            "notes",
        ),
        ("POST", "/api/v1/screen", Role.SCREENER, {"name": "Олег\x00Гнилицький"}, "name"),
        ("POST", "/api/v1/screen", Role.SCREENER, {"name": "Олег \ud800"}, "name"),
        (
            "POST",
            "/api/v1/screen",
            Role.SCREENER,
            {"name": "Олег", "nationality": "UA\x1b[31m"},
            "nationality",
        ),
        ("POST", "/api/v1/screen/batch", Role.SCREENER, {"records": [{"name": "\udfff"}]}, "records[0].name"),
    ],
    ids=[
        "create-nul",
        "create-surrogate",
        "screen-nul",
        "screen-surrogate",
        "screen-escape",
        "batch-surrogate",
    ],
)
def test_control_characters_and_broken_unicode_are_named(
    client: FlaskClient,
    session: Session,
    auth_headers: Headers,
    method: str,
    path: str,
    role: Role,
    body: dict[str, Any],
    field: str,
) -> None:
    headers = auth_headers(role)
    before, audit_before = row_counts(session), last_audit_id(session)
    response = send(client, method, path, headers, body)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert error_fields(response) == [field]
    assert row_counts(session) == before
    assert audit_actions(session, audit_before) == []
