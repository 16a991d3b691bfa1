"""Object-level access: a screener sees the hits of his own screenings, not the watchlist, and not the
lists another official uploaded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.login_sessions import log_in
from watchlist.list_screening import read_list
from watchlist.models import AuditEvent, Role, User
from watchlist.persons import add_person, require_person

DEMO_LIST = Path(__file__).parents[2] / "watchlist" / "demo" / "incoming" / "pow_registry.csv"
PERSON = {"external_id": "T-1", "full_name": "Гнилицький Олег Петрович", "birth_date": "1975-03-12"}


def test_a_screener_reaches_neither_the_watchlist_nor_a_persons_page(
    app: Flask, session: Session, make_user: Callable[..., User]
) -> None:
    person = add_person(session, require_person(PERSON), actor="test")
    session.commit()
    client = app.test_client()
    log_in(client, make_user(Role.SCREENER))
    for url in ("/persons", f"/persons/{person.id}", f"/persons/{person.id}/edit"):
        assert client.get(url).status_code == 403, url


def test_a_list_is_seen_by_its_uploader_and_an_admin_only(
    app: Flask, session: Session, make_user: Callable[..., User]
) -> None:
    owner, other, admin = make_user(Role.SCREENER), make_user(Role.SCREENER), make_user(Role.ADMIN)
    screening = read_list(session, DEMO_LIST, DEMO_LIST.name, owner.username)
    session.commit()
    urls = [f"/screen/lists/{screening.id}", f"/screen/lists/{screening.id}/results.csv"]
    for user, allowed in ((owner, True), (other, False), (admin, True)):
        client = app.test_client()
        log_in(client, user)
        for url in urls:
            status = client.get(url).status_code
            # another official's list answers as if it did not exist
            assert (status == 200) if allowed else (status == 404), (user.username, url, status)


def test_a_refused_request_is_audited_with_who_what_and_why(
    app: Flask,
    session: Session,
    make_user: Callable[..., User],
    auth_headers: Callable[[Role], dict[str, str]],
) -> None:
    client = app.test_client()
    log_in(client, make_user(Role.SCREENER, username="curious"))
    assert client.get("/persons").status_code == 403
    assert (
        client.get("/api/v1/persons", headers={"Authorization": "Bearer wl_not-a-token"}).status_code == 401
    )
    assert client.get("/api/v1/persons", headers=auth_headers(Role.SCREENER)).status_code == 403
    refused = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "access.refused").order_by(AuditEvent.id)
    ).all()
    assert [
        (event.actor, event.subject["path"], event.outcome["status"], event.outcome["reason"])
        for event in refused
    ] == [
        ("curious", "/persons", 403, "role"),
        ("anonymous", "/api/v1/persons", 401, "bad token"),
        ("screener1", "/api/v1/persons", 403, "role"),
    ]
