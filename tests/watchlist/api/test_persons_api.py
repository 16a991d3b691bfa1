"""The persons API as a client sees it: good and bad input per endpoint, who may read and who may write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from watchlist.models import Role

Headers = Callable[[Role], dict[str, str]]

OLEH = {
    "external_id": "API-1",
    "full_name": "Гнилицький Олег Петрович",
    "aliases": ["Гнилицкий Олег Петрович", "Hnylytskyi Oleh"],
    "birth_date": "1975-03",
    "court": "Fictitious District Court",
    "article": "Part 1 of Art. 438",
    "sentence": "10 years",
    "verdict_date": "2023-01-30",
}


@pytest.fixture
def editor(auth_headers: Headers) -> dict[str, str]:
    return auth_headers(Role.EDITOR)


def create(client: FlaskClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/persons", json={**OLEH, **fields}, headers=headers)
    assert response.status_code == 201, response.json
    assert response.json is not None
    return response.json


def error_fields(response: Any) -> list[str]:
    assert response.json is not None
    return [detail["field"] for detail in response.json["error"]["details"]]


# --- create -----------------------------------------------------------------------------------------------


def test_an_editor_adds_a_person_and_reads_him_back(client: FlaskClient, editor: dict[str, str]) -> None:
    created = create(client, editor)
    assert created["full_name"] == "Гнилицький Олег Петрович"
    assert created["birth_date"] == "1975-03"
    assert created["birth_date_precision"] == "month"
    assert [(n["kind"], n["script"]) for n in created["names"]] == [
        ("primary", "Cyrl"),
        ("alias", "Cyrl"),
        ("alias", "Latn"),
    ]
    assert created["convictions"][0]["verdict_date"] == "2023-01-30"
    [change] = created["changes"]
    assert change["action"] == "created"
    assert change["changed_by"].startswith("editor")

    fetched = client.get(f"/api/v1/persons/{created['id']}", headers=editor)
    assert fetched.status_code == 200
    assert fetched.json == created


def test_creating_with_bad_fields_names_every_one(client: FlaskClient, editor: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/persons",
        json={"full_name": "", "birth_date": "March 1975", "status": "gone", "age": 50},
        headers=editor,
    )
    assert response.status_code == 422
    assert response.json is not None
    assert response.json["error"]["code"] == "validation_failed"
    assert error_fields(response) == ["age", "external_id", "full_name", "birth_date", "status"]


def test_creating_a_taken_external_id_is_a_conflict(client: FlaskClient, editor: dict[str, str]) -> None:
    create(client, editor)
    response = client.post("/api/v1/persons", json=OLEH, headers=editor)
    assert response.status_code == 409
    assert response.json is not None and response.json["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{not json", "application/json"), ('["a list"]', "application/json"), ("x=1", "text/plain")],
)
def test_a_body_that_is_not_a_json_object_is_a_bad_request(
    client: FlaskClient, editor: dict[str, str], body: str, content_type: str
) -> None:
    response = client.post("/api/v1/persons", data=body, content_type=content_type, headers=editor)
    assert response.status_code == 400
    assert response.json is not None and response.json["error"]["code"] == "bad_request"


# --- update and close -------------------------------------------------------------------------------------


def test_patch_changes_the_named_fields_and_keeps_the_others(
    client: FlaskClient, editor: dict[str, str]
) -> None:
    created = create(client, editor)
    response = client.patch(
        f"/api/v1/persons/{created['id']}",
        json={"status": "located", "notes": "seen in Kherson region"},
        headers=editor,
    )
    assert response.status_code == 200
    assert response.json is not None
    assert (response.json["status"], response.json["notes"]) == ("located", "seen in Kherson region")
    assert response.json["aliases"] == OLEH["aliases"]
    assert response.json["changes"][-1]["changes"]["status"] == ["wanted", "located"]


def test_patch_replaces_the_convictions_list(client: FlaskClient, editor: dict[str, str]) -> None:
    created = create(client, editor)
    convictions = [{"court": "Court A", "sentence": "10 years"}, {"court": "Court B", "in_absentia": False}]
    response = client.patch(
        f"/api/v1/persons/{created['id']}", json={"convictions": convictions}, headers=editor
    )
    assert response.status_code == 200
    assert response.json is not None
    assert [(c["court"], c["in_absentia"]) for c in response.json["convictions"]] == [
        ("Court A", True),
        ("Court B", False),
    ]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"birth_date": "1975-02-30"}, ["birth_date"]),
        ({"external_id": "API-2"}, ["external_id"]),
        ({"aliases": 5}, ["aliases"]),
        ({"convictions": [{"verdict_date": "yesterday"}]}, ["convictions[0].verdict_date"]),
        ({"status": "closed"}, ["close_reason"]),
        ({"notes": "nul \u0000 inside"}, ["notes"]),
        ({"full_name": "lone surrogate \ud800"}, ["full_name"]),
    ],
)
def test_patch_with_bad_fields_is_refused(
    client: FlaskClient, editor: dict[str, str], body: dict[str, Any], fields: list[str]
) -> None:
    created = create(client, editor)
    response = client.patch(f"/api/v1/persons/{created['id']}", json=body, headers=editor)
    assert response.status_code == 422
    assert error_fields(response) == fields


def test_closing_needs_a_reason_and_keeps_the_person(client: FlaskClient, editor: dict[str, str]) -> None:
    created = create(client, editor)
    url = f"/api/v1/persons/{created['id']}/close"
    for body in ({}, {"reason": "  "}, {"reason": 7}):
        refused = client.post(url, json=body, headers=editor)
        assert refused.status_code == 422
        assert error_fields(refused) == ["reason"]
    closed = client.post(url, json={"reason": "detained, serving the sentence"}, headers=editor)
    assert closed.status_code == 200
    assert closed.json is not None
    assert (closed.json["status"], closed.json["close_reason"]) == (
        "closed",
        "detained, serving the sentence",
    )
    again = client.post(url, json={"reason": "again"}, headers=editor)
    assert again.status_code == 409
    assert client.get(f"/api/v1/persons/{created['id']}", headers=editor).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/persons/999999"),
        ("patch", "/api/v1/persons/999999"),
        ("post", "/api/v1/persons/999999/close"),
    ],
)
def test_an_unknown_id_is_not_found(
    client: FlaskClient, editor: dict[str, str], method: str, path: str
) -> None:
    response = getattr(client, method)(path, json={"reason": "x"}, headers=editor)
    assert response.status_code == 404
    assert response.json is not None and response.json["error"]["code"] == "not_found"


# --- list -------------------------------------------------------------------------------------------------


def test_the_list_pages_and_filters(client: FlaskClient, editor: dict[str, str]) -> None:
    create(client, editor, external_id="L-1", full_name="Гнилицький Олег")
    create(client, editor, external_id="L-2", full_name="Коваленко_Петро", status="detained")
    create(client, editor, external_id="L-3", full_name="Коваленко Іван")
    page = client.get("/api/v1/persons?per_page=2&page=2", headers=editor).json
    assert page is not None
    assert ([p["external_id"] for p in page["items"]], page["total"], page["page"], page["per_page"]) == (
        ["L-3"],
        3,
        2,
        2,
    )
    by_status = client.get("/api/v1/persons?status=detained", headers=editor).json
    assert by_status is not None and [p["external_id"] for p in by_status["items"]] == ["L-2"]
    by_name = client.get("/api/v1/persons", query_string={"q": "КОВАЛЕНКО_"}, headers=editor).json
    assert by_name is not None and [p["external_id"] for p in by_name["items"]] == ["L-2"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=201", "per_page"),
        ("per_page=x", "per_page"),
        ("page=0", "page"),
        ("page=99999999999999999999", "page"),
        ("status=lost", "status"),
        ("q=%00", "q"),
    ],
)
def test_bad_list_parameters_are_named(
    client: FlaskClient, editor: dict[str, str], query: str, field: str
) -> None:
    response = client.get(f"/api/v1/persons?{query}", headers=editor)
    assert response.status_code == 422
    assert error_fields(response) == [field]


# --- who may do what --------------------------------------------------------------------------------------


def test_without_a_token_every_endpoint_answers_401(client: FlaskClient) -> None:
    for method, path in [
        ("get", "/api/v1/persons"),
        ("get", "/api/v1/persons/1"),
        ("post", "/api/v1/persons"),
        ("patch", "/api/v1/persons/1"),
        ("post", "/api/v1/persons/1/close"),
    ]:
        response = getattr(client, method)(path, json={})
        assert response.status_code == 401, (method, path)
        assert response.json is not None and response.json["error"]["code"] == "not_authenticated"


def test_a_screener_does_not_see_the_watchlist(client: FlaskClient, auth_headers: Headers) -> None:
    screener = auth_headers(Role.SCREENER)
    assert client.get("/api/v1/persons", headers=screener).status_code == 403
    assert client.post("/api/v1/persons", json=OLEH, headers=screener).status_code == 403


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR])
def test_officers_and_auditors_read_but_do_not_write(
    client: FlaskClient, editor: dict[str, str], auth_headers: Headers, role: Role
) -> None:
    created = create(client, editor)
    reader = auth_headers(role)
    assert client.get("/api/v1/persons", headers=reader).status_code == 200
    assert client.get(f"/api/v1/persons/{created['id']}", headers=reader).status_code == 200
    assert (
        client.post("/api/v1/persons", json={**OLEH, "external_id": "X"}, headers=reader).status_code == 403
    )
    assert client.patch(f"/api/v1/persons/{created['id']}", json={}, headers=reader).status_code == 403
    assert (
        client.post(
            f"/api/v1/persons/{created['id']}/close", json={"reason": "x"}, headers=reader
        ).status_code
        == 403
    )


def test_an_admin_writes(client: FlaskClient, auth_headers: Headers) -> None:
    created = create(client, auth_headers(Role.ADMIN))
    assert created["changes"][0]["changed_by"].startswith("admin")
