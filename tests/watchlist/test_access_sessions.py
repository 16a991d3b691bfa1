"""Login sessions live in the database: idle and absolute timeouts, a new id at every login, and logout,
a password change, disabling a user or an administrator ending them for every worker. Time is frozen
with time-machine, so the timeouts are tested to the second."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from watchlist.access import SESSION_ID
from watchlist.app import create_app
from watchlist.cli import CliState, main
from watchlist.db import Database
from watchlist.models import LoginSession, Role, User
from watchlist.settings import Settings
from watchlist.users import disable_user, set_password

PASSWORD = "correct horse battery"
START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def csrf_of(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1).decode()


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> TestResponse:
    form = {"username": username, "password": password, "csrf_token": csrf_of(client.get("/login").data)}
    return client.post("/login", data=form)


def cookie_session_id(client: FlaskClient) -> str | None:
    with client.session_transaction() as cookie:
        value = cookie.get(SESSION_ID)
    return None if value is None else str(value)


def is_in(client: FlaskClient) -> bool:
    """Whether the client's cookie still opens the home page (not sent to the login form)."""
    response = client.get("/")
    return response.status_code == 200


def test_a_session_ends_after_30_idle_minutes_and_the_user_is_told(
    client: FlaskClient, make_user: Callable[..., User], clock: time_machine.Coordinates
) -> None:
    make_user(Role.SCREENER, username="idle")
    assert login(client, "idle").status_code == 302
    clock.shift(timedelta(minutes=29))
    assert is_in(client)  # a request resets the idle time
    clock.shift(timedelta(minutes=29, seconds=59))
    assert is_in(client)
    clock.shift(timedelta(minutes=30))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Сеанс завершився" in page
    assert cookie_session_id(client) is None


def test_a_session_ends_12_hours_after_login_however_busy(
    client: FlaskClient, make_user: Callable[..., User], clock: time_machine.Coordinates, session: Session
) -> None:
    make_user(Role.EDITOR, username="busy")
    login(client, "busy")
    for _ in range(12 * 3 - 1):
        clock.shift(timedelta(minutes=20))
        assert is_in(client)
    clock.shift(timedelta(minutes=19, seconds=59))
    assert is_in(client)
    clock.shift(timedelta(seconds=1))
    assert not is_in(client)
    row = session.scalars(select(LoginSession).order_by(LoginSession.id.desc())).first()
    assert row is not None and row.end_reason == "absolute"


def test_the_timeouts_come_from_the_configuration(
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_user: Callable[..., User],
    clock: time_machine.Coordinates,
) -> None:
    db = Database(engine)
    db.sessionmaker = session_factory
    app = create_app(dataclasses.replace(settings, sessions_idle_minutes=5, sessions_absolute_hours=1), db=db)
    client = app.test_client()
    make_user(Role.EDITOR, username="short")
    login(client, "short")
    clock.shift(timedelta(minutes=4))
    assert is_in(client)
    clock.shift(timedelta(minutes=5))
    assert not is_in(client)


def test_login_gives_a_new_session_id_and_the_old_one_is_worth_nothing(
    client: FlaskClient, make_user: Callable[..., User], app: Flask
) -> None:
    make_user(Role.SCREENER, username="twice")
    login(client, "twice")
    first = cookie_session_id(client)
    # logging in again while logged in (the form still open in another tab)
    client.post(
        "/login",
        data={"username": "twice", "password": PASSWORD, "csrf_token": csrf_of(client.get("/").data)},
    )
    second = cookie_session_id(client)
    assert first and second and first != second
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").data)})
    assert not is_in(client)

    replay = app.test_client()
    with replay.session_transaction() as cookie:
        cookie[SESSION_ID] = second
    assert not is_in(replay), "the cookie of a session ended by logout still works"


def test_the_cookie_holds_a_random_id_and_the_database_only_its_hash(
    client: FlaskClient, make_user: Callable[..., User], session: Session
) -> None:
    user = make_user(Role.SCREENER, username="hashed")
    login(client, "hashed")
    session_id = cookie_session_id(client)
    assert session_id is not None and len(session_id) >= 43  # 256 bits, urlsafe base64
    stored = session.scalars(select(LoginSession.id_hash).where(LoginSession.user_id == user.id)).all()
    assert stored and session_id not in stored


@pytest.mark.parametrize("how", ["password change", "disabled", "admin logout"])
def test_ending_all_sessions_of_a_user_reaches_every_cookie(
    app: Flask,
    make_user: Callable[..., User],
    session: Session,
    session_factory: sessionmaker[Session],
    how: str,
) -> None:
    user = make_user(Role.OFFICER, username="many")
    other = make_user(Role.OFFICER, username="bystander")
    laptop, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    login(laptop, "many")
    login(phone, "many")
    login(colleague, "bystander")
    assert is_in(laptop) and is_in(phone)

    if how == "password change":
        set_password(session, user, "a brand new password")
        session.commit()
    elif how == "disabled":
        disable_user(session, "many")
        session.commit()
    else:
        state = CliState()
        state.sessionmaker = session_factory
        result = CliRunner().invoke(main, ["users", "logout", "many"], obj=state)
        assert result.exit_code == 0, result.output
        assert "ended 2 session(s)" in result.output

    assert not is_in(laptop) and not is_in(phone)
    assert is_in(colleague), f"{other.username}'s session ended with the other user's"
    reasons = set(session.scalars(select(LoginSession.end_reason).where(LoginSession.user_id == user.id)))
    assert reasons == {{"password change": "password", "disabled": "disabled", "admin logout": "admin"}[how]}


def test_logout_ends_the_session_in_the_database(
    client: FlaskClient, make_user: Callable[..., User], session: Session
) -> None:
    user = make_user(Role.AUDITOR, username="leaving")
    login(client, "leaving")
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").data)})
    row = session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).one()
    session.refresh(row)
    assert row.ended_at is not None and row.end_reason == "logout"
