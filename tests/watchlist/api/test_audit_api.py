"""Auditors search the audit log through the API and the page and export it as CSV; nobody else may."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.login_sessions import log_in
from watchlist.audit import record_event
from watchlist.db import utcnow
from watchlist.models import AuditEvent, Role, User

Headers = Callable[[Role], dict[str, str]]


def seed(session: Session) -> None:
    for actor, action, name in (
        ("olha", "screen", "Гнилицький Олег"),
        ("olha", "person_view", "UA-0002"),
        ("petro", "screen", "Кабашний"),
        ('=HYPERLINK("http://x")', "screen", "@SUM(A1)"),
    ):
        record_event(
            session,
            action,
            actor=actor,
            via="token",
            role="screener",
            remote_addr="192.0.2.1",
            subject={"q": name},
            outcome={"hits": 0},
        )
    session.commit()


def test_an_auditor_filters_by_who_kind_and_subject(
    client: FlaskClient, session: Session, auth_headers: Headers
) -> None:
    seed(session)
    headers = auth_headers(Role.AUDITOR)
    by_who = client.get("/api/v1/audit", query_string={"who": "olha"}, headers=headers).get_json()
    assert [item["action"] for item in by_who["items"]] == ["person_view", "screen"]
    assert by_who["total"] == 2
    by_kind = client.get("/api/v1/audit", query_string={"who": "olha", "action": "screen"}, headers=headers)
    [item] = by_kind.get_json()["items"]
    assert item["subject"] == {"q": "Гнилицький Олег"}
    assert item["remote_addr"] == "192.0.2.1" and item["event_class"] == "consultation"
    by_subject = client.get("/api/v1/audit", query_string={"subject": "кабашний"}, headers=headers).get_json()
    assert [item["actor"] for item in by_subject["items"]] == ["petro"]


def test_dates_and_pages(client: FlaskClient, session: Session, auth_headers: Headers) -> None:
    seed(session)
    headers = auth_headers(Role.AUDITOR)
    today = utcnow().date()
    tomorrow = today + timedelta(days=1)
    found = client.get(
        "/api/v1/audit",
        query_string={"from": today.isoformat(), "to": today.isoformat(), "action": "screen"},
        headers=headers,
    ).get_json()
    assert found["total"] == 3
    none = client.get(
        "/api/v1/audit", query_string={"from": tomorrow.isoformat()}, headers=headers
    ).get_json()
    assert none["total"] == 0
    first = client.get(
        "/api/v1/audit", query_string={"action": "screen", "per_page": 2, "page": 1}, headers=headers
    ).get_json()
    second = client.get(
        "/api/v1/audit", query_string={"action": "screen", "per_page": 2, "page": 2}, headers=headers
    ).get_json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert first["items"][0]["id"] > first["items"][1]["id"] > second["items"][0]["id"]


def test_bad_filters_are_named(client: FlaskClient, auth_headers: Headers) -> None:
    response = client.get(
        "/api/v1/audit",
        query_string={"from": "yesterday", "per_page": "1000"},
        headers=auth_headers(Role.AUDITOR),
    )
    assert response.status_code == 422
    fields = {detail["field"] for detail in response.get_json()["error"]["details"]}
    assert fields == {"from", "per_page"}


def test_the_export_is_csv_with_formula_cells_escaped(
    client: FlaskClient, session: Session, auth_headers: Headers
) -> None:
    seed(session)
    response = client.get(
        "/api/v1/audit/export", query_string={"action": "screen"}, headers=auth_headers(Role.AUDITOR)
    )
    assert response.status_code == 200
    assert response.content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["id", "occurred_at", "action", "event_class", "actor"]
    actors = [row[4] for row in rows[1:]]
    assert actors == ["olha", "petro", '\'=HYPERLINK("http://x")']
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_searching_and_exporting_the_log_are_themselves_audited(
    client: FlaskClient, session: Session, auth_headers: Headers
) -> None:
    headers = auth_headers(Role.AUDITOR)
    client.get("/api/v1/audit", query_string={"who": "olha"}, headers=headers)
    client.get("/api/v1/audit/export", query_string={"subject": "Олег"}, headers=headers)
    session.expire_all()
    search = session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.search")).one()
    export = session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")).one()
    assert search.subject["who"] == "olha" and search.role == "auditor"
    assert export.subject["subject"] == "Олег"


def test_only_auditors_read_the_log(client: FlaskClient, auth_headers: Headers) -> None:
    for role in (Role.SCREENER, Role.OFFICER, Role.EDITOR, Role.ADMIN):
        assert client.get("/api/v1/audit", headers=auth_headers(role)).status_code == 403
        assert client.get("/api/v1/audit/export", headers=auth_headers(role)).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401


def test_the_page_shows_filtered_rows_and_links_the_export(
    client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    seed(session)
    auditor = make_user(Role.AUDITOR, username="halyna")
    log_in(client, auditor)
    page = client.get("/audit", query_string={"who": "petro"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Кабашний" in text and "Гнилицький" not in text
    assert "/audit/export.csv?who=petro" in text
    bad = client.get("/audit", query_string={"to": "31.12.2026"})
    assert bad.status_code == 422
    assert 'data-field="to"' in bad.get_data(as_text=True)
