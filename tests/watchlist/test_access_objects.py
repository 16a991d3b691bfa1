"""Object-level access: a screener sees the hits of his own screenings, not the watchlist, and not the
lists another official uploaded. (Which alerts an officer sees: tests/watchlist/test_alerts.py and the
alerts API and page tests.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.bare_app import bare_app
from tests.login_sessions import log_in
from watchlist.access import PUBLIC, SESSION_CSRF_TOKEN, policy_of
from watchlist.list_screening import read_list
from watchlist.models import AuditEvent, Role, User
from watchlist.persons import add_person, require_person

DEMO_LIST = Path(__file__).parents[2] / "watchlist" / "demo" / "incoming" / "pow_registry.csv"
PERSON = {"external_id": "T-1", "full_name": "Гнилицький Олег Петрович", "birth_date": "1975-03-12"}
CSRF = "objects-csrf-token"


def _watchlist_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, rule) of every route that reads or changes the watchlist itself, pages and API: found in
    the url map, so a person route added later is checked too."""
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/persons", "/api/v1/persons"))
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "watchlist_route" in metafunc.fixturenames:
        routes = _watchlist_routes(bare_app())
        metafunc.parametrize("watchlist_route", routes, ids=[f"{method} {rule}" for method, rule in routes])


def test_the_watchlist_routes_are_all_found(app: Flask) -> None:
    assert {rule for _method, rule in _watchlist_routes(app)} >= {
        "/persons",
        "/persons/<int:person_id>",
        "/persons/new",
        "/persons/<int:person_id>/edit",
        "/persons/<int:person_id>/close",
        "/persons/import",
        "/api/v1/persons",
        "/api/v1/persons/<int:person_id>",
        "/api/v1/persons/<int:person_id>/close",
    }


def test_a_screener_reaches_no_watchlist_route_and_the_refusal_is_audited(
    app: Flask,
    session: Session,
    make_user: Callable[..., User],
    auth_headers: Callable[[Role], dict[str, str]],
    watchlist_route: tuple[str, str],
) -> None:
    method, rule = watchlist_route
    person = add_person(session, require_person(PERSON), actor="test")
    session.commit()
    url = rule.replace("<int:person_id>", str(person.id))
    client = app.test_client()
    if rule.startswith("/api/"):
        answer = client.open(url, method=method, json={}, headers=auth_headers(Role.SCREENER))
    else:
        log_in(client, make_user(Role.SCREENER, username="border-guard"))
        with client.session_transaction() as cookie:
            cookie[SESSION_CSRF_TOKEN] = CSRF
        answer = client.open(url, method=method, data={"csrf_token": CSRF})
    assert answer.status_code == 403
    assert "Гнилицький" not in answer.get_data(as_text=True)
    [refused] = session.scalars(select(AuditEvent).where(AuditEvent.action == "access.refused")).all()
    assert (refused.subject["path"], refused.outcome["status"], refused.outcome["reason"]) == (
        url,
        403,
        "role",
    )


def test_a_screener_reaches_only_screening_his_account_and_the_public_pages(app: Flask) -> None:
    reachable = set()
    for rule in app.url_map.iter_rules():
        policy = policy_of(app, rule.endpoint)
        if policy is not None and policy != PUBLIC and Role.SCREENER in policy:
            reachable.add(rule.endpoint)
    assert reachable == {
        "web.home",
        "web.second_factor_setup",
        "web.logout",
        "api.screen_one",
        "api.screen_batch",
        "screen.person",
        "screen.lists",
        "screen.upload",
        "screen.list_page",
        "screen.mapping",
        "screen.next_chunk",
        "screen.download",
        "screen.row_page",
    }


def test_a_screener_sees_the_hit_of_his_screening(
    app: Flask, session: Session, auth_headers: Callable[[Role], dict[str, str]]
) -> None:
    add_person(session, require_person(PERSON), actor="test")
    session.commit()
    answer = app.test_client().post(
        "/api/v1/screen",
        json={"name": "GNILITSKII OLEG", "birth_date": "12.03.1975"},
        headers=auth_headers(Role.SCREENER),
    )
    assert answer.status_code == 200 and answer.json is not None
    assert [match["external_id"] for match in answer.json["matches"]] == ["T-1"]


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
