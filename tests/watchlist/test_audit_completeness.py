"""Every request of the table leaves exactly its audit rows (who, from where, what), and a request whose
audit row cannot be written fails with 503 and shows nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from tests.login_sessions import log_in
from watchlist.access import SESSION_CSRF_TOKEN
from watchlist.models import AuditEvent, ConvictedPerson, Role, User
from watchlist.persons import add_person, require_person

CSRF = "audit-completeness-csrf"
PERSON = {
    "external_id": "UA-0002",
    "full_name": "Гнилицький Олег Петрович",
    "aliases": "GNILITSKII OLEG",
    "birth_date": "1975-03-12",
}


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    # None: no credentials at all
    role: Role | None
    expected: list[str]
    status: int = 200
    body: dict[str, Any] | None = None
    # "token" (API) or "session" (pages)
    via: str = "token"
    subject: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case("POST", "/api/v1/screen", Role.SCREENER, ["screen"], body={"name": "Гнилицький Олег"}),
    Case(
        "POST",
        "/api/v1/screen/batch",
        Role.OFFICER,
        ["screen_batch"],
        body={"records": [{"name": "Oleh Hnylytskyi"}, {"name": "Іван Франко"}]},
    ),
    Case("GET", "/api/v1/persons?q=Олег", Role.EDITOR, ["person_search"], subject={"q": "Олег"}),
    Case("GET", "/api/v1/persons/{person}", Role.OFFICER, ["person_view"]),
    Case(
        "POST",
        "/api/v1/persons",
        Role.EDITOR,
        ["person.created"],
        status=201,
        body={"external_id": "UA-0100", "full_name": "Коваль Петро"},
    ),
    Case("PATCH", "/api/v1/persons/{person}", Role.ADMIN, ["person.updated"], body={"notes": "seen 2026"}),
    Case("POST", "/api/v1/persons/{person}/close", Role.EDITOR, ["person.closed"], body={"reason": "died"}),
    Case("GET", "/api/v1/audit?who=nobody", Role.AUDITOR, ["audit.search"], subject={"who": "nobody"}),
    Case("GET", "/api/v1/audit/export", Role.AUDITOR, ["audit.export"]),
    Case("POST", "/api/v1/screen", Role.AUDITOR, ["access.refused"], status=403, body={"name": "x"}),
    Case("GET", "/api/v1/persons", None, ["access.refused"], status=401),
    Case("GET", "/api/v1/audit", Role.SCREENER, ["access.refused"], status=403),
    Case("GET", "/persons/{person}", Role.OFFICER, ["person_view"], via="session"),
    Case("POST", "/screen", Role.SCREENER, ["screen"], via="session", body={"name": "Гнилицький Олег"}),
    Case("GET", "/audit?action=screen", Role.AUDITOR, ["audit.search"], via="session"),
    Case("GET", "/audit/export.csv", Role.AUDITOR, ["audit.export"], via="session"),
    Case("GET", "/audit", Role.EDITOR, ["access.refused"], status=403, via="session"),
]


@pytest.fixture
def person(session: Session) -> ConvictedPerson:
    person = add_person(session, require_person(PERSON), actor="seed")
    session.commit()
    return person


def last_id(session: Session) -> int:
    return session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0))) or 0


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.method} {case.path} {case.role}")
def test_each_request_leaves_exactly_its_audit_rows(
    case: Case,
    client: FlaskClient,
    session: Session,
    person: ConvictedPerson,
    make_user: Callable[..., User],
    auth_headers: Callable[[Role], dict[str, str]],
) -> None:
    headers: dict[str, str] = {}
    user: User | None = None
    if case.role is not None and case.via == "token":
        headers = auth_headers(case.role)
    elif case.role is not None:
        user = make_user(case.role)
        log_in(client, user)
        with client.session_transaction() as cookie:
            cookie[SESSION_CSRF_TOKEN] = CSRF
    before = last_id(session)
    path = case.path.format(person=person.id)
    if case.via == "session" and case.body is not None:
        response = client.open(path, method=case.method, data={**case.body, "csrf_token": CSRF})
    else:
        response = client.open(path, method=case.method, json=case.body, headers=headers)
    assert response.status_code == case.status, response.get_data(as_text=True)[:500]
    session.expire_all()
    rows = list(session.scalars(select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id)))
    assert [row.action for row in rows] == case.expected
    for row in rows:
        assert row.remote_addr == "127.0.0.1"
        if case.role is None:
            # no token given: the access layer names the refused caller a session (cookie) caller
            assert (row.actor, row.via) == ("anonymous", "session")
        else:
            assert row.role == case.role.value
            assert row.via == case.via
            if user is not None:
                assert row.actor == user.username
        for key, value in case.subject.items():
            assert row.subject[key] == value


def test_screenings_record_what_was_shown(
    client: FlaskClient,
    session: Session,
    person: ConvictedPerson,
    auth_headers: Callable[[Role], dict[str, str]],
) -> None:
    headers = auth_headers(Role.SCREENER)
    response = client.post("/api/v1/screen", json={"name": "Гнилицький Олег Петрович"}, headers=headers)
    assert response.status_code == 200
    session.expire_all()
    row = session.scalars(select(AuditEvent).where(AuditEvent.action == "screen")).one()
    assert row.subject["records"][0]["name"] == "Гнилицький Олег Петрович"
    assert row.outcome["persons_disclosed"] == [person.id]


def test_changes_to_users_and_tokens_are_audited(session: Session, make_user: Callable[..., User]) -> None:
    from watchlist.users import create_token, disable_user, revoke_token

    before = last_id(session)
    user = make_user(Role.OFFICER, username="olha")
    row, _token = create_token(session, user, name="import")
    revoke_token(session, row.id)
    disable_user(session, "olha")
    session.commit()
    rows = list(session.scalars(select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id)))
    assert [r.action for r in rows] == ["user.created", "token.created", "token.revoked", "user.disabled"]
    assert all(r.subject["user"] == "olha" for r in rows)
    # outside a request and the CLI: the scheduler's jobs
    assert {r.actor for r in rows} == {"job"}


# --- the audit row cannot be written --------------------------------------------------------------------


def break_audit_table(connection: Connection) -> None:
    """The audit table cannot be written (renamed away for this test's transaction, rolled back after)."""
    connection.exec_driver_sql("ALTER TABLE audit_events RENAME TO audit_events_away")


def test_a_screening_whose_audit_row_cannot_be_written_fails_and_shows_nothing(
    client: FlaskClient,
    person: ConvictedPerson,
    auth_headers: Callable[[Role], dict[str, str]],
    connection: Connection,
) -> None:
    headers = auth_headers(Role.SCREENER)
    break_audit_table(connection)
    response = client.post("/api/v1/screen", json={"name": "Гнилицький Олег Петрович"}, headers=headers)
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"]["code"] == "audit_unavailable"
    text = response.get_data(as_text=True)
    assert "UA-0002" not in text and "Гнилицький" not in text and "matches" not in text


def test_a_record_view_whose_audit_row_cannot_be_written_fails_and_shows_nothing(
    client: FlaskClient, person: ConvictedPerson, make_user: Callable[..., User], connection: Connection
) -> None:
    user = make_user(Role.OFFICER)
    log_in(client, user)  # a login is audited too: before the table breaks
    break_audit_table(connection)
    response = client.get(f"/persons/{person.id}")
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "UA-0002" not in text and "Гнилицький" not in text
