"""Logging in as a user sees it: the lockout after five failures (in the database, so every worker counts
the same), one message for every failure, the TOTP second factor with recovery codes, an administrator
requiring it per role, and the audit rows of it all. Time is frozen with time-machine."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from watchlist.cli import CliState, main
from watchlist.models import AuditEvent, Role, User

PASSWORD = "correct horse battery"
START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
REFUSED = "Неправильне ім'я користувача або пароль"


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def csrf_of(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1).decode()


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> TestResponse:
    form = {"username": username, "password": password, "csrf_token": csrf_of(client.get("/login").data)}
    return client.post("/login", data=form)


def actions(session: Session) -> list[tuple[str, str]]:
    return [
        (event.action, event.actor)
        for event in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("auth.%")).order_by(AuditEvent.id)
        )
    ]


def invoke(session_factory: sessionmaker[Session], *args: str) -> str:
    state = CliState()
    state.sessionmaker = session_factory
    result = CliRunner().invoke(main, list(args), obj=state)
    assert result.exit_code == 0, result.output
    return result.output


def test_five_failures_lock_the_account_for_ten_minutes_and_the_message_never_tells(
    client: FlaskClient, make_user: Callable[..., User], clock: time_machine.Coordinates, session: Session
) -> None:
    make_user(Role.SCREENER, username="target")
    unknown = text_of(login(client, "nobody-at-all", "whatever password"))
    for _ in range(5):
        response = login(client, "target", "wrong password!")
        assert response.status_code == 200 and REFUSED in text_of(response)
    locked = login(client, "target")
    assert locked.status_code == 200, "the right password opened a locked account"
    # the same page for a locked account, a wrong password and a user who does not exist
    assert text_of(locked).replace("target", "X") == unknown.replace("nobody-at-all", "X")

    clock.shift(timedelta(minutes=9, seconds=59))
    assert login(client, "target").status_code == 200
    clock.shift(timedelta(seconds=1))
    assert login(client, "target").status_code == 302
    assert actions(session) == [
        ("auth.login_failed", "anonymous"),
        *[("auth.login_failed", "target")] * 5,
        ("auth.locked", "target"),
        ("auth.login_failed", "target"),
        ("auth.login_failed", "target"),
        ("auth.login", "target"),
    ]


def test_the_count_is_per_account_in_the_database_and_a_success_resets_it(
    app: Flask, make_user: Callable[..., User], clock: time_machine.Coordinates, session: Session
) -> None:
    user = make_user(Role.EDITOR, username="shared")
    make_user(Role.EDITOR, username="neighbour")
    # two clients, as two workers would see them: the count is the account's, not the client's
    first, second = app.test_client(), app.test_client()
    for client in (first, second, first, second):
        login(client, "shared", "wrong password!")
    login(first, "neighbour", "wrong password!")
    session.refresh(user)
    assert user.failed_logins == 4
    assert login(second, "shared").status_code == 302
    session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_logout_is_audited(client: FlaskClient, make_user: Callable[..., User], session: Session) -> None:
    make_user(Role.AUDITOR, username="bye")
    login(client, "bye")
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").data)})
    assert actions(session) == [("auth.login", "bye"), ("auth.logout", "bye")]


def _enrol(client: FlaskClient, clock: time_machine.Coordinates) -> tuple[str, list[str]]:
    page = client.get("/account/second-factor")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    uri = re.search(r'href="(otpauth://[^"]+)"', body)
    assert uri, "no provisioning link on the set-up page"
    assert 'src="data:image/svg+xml' in body, "no QR code on the set-up page"
    totp = pyotp.parse_uri(uri.group(1).replace("&amp;", "&"))
    assert isinstance(totp, pyotp.TOTP)
    response = client.post(
        "/account/second-factor", data={"code": totp.now(), "csrf_token": csrf_of(page.data)}
    )
    codes = re.findall(r"<code>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</code>", text_of(response))
    assert len(codes) == 10
    return totp.secret, codes


def _second_step(client: FlaskClient, code: str) -> TestResponse:
    page = client.get("/login/second-factor")
    return client.post("/login/second-factor", data={"code": code, "csrf_token": csrf_of(page.data)})


def test_totp_enrolment_then_login_asks_for_the_code(
    client: FlaskClient, make_user: Callable[..., User], clock: time_machine.Coordinates, session: Session
) -> None:
    user = make_user(Role.ADMIN, username="careful")
    login(client, "careful")
    secret, codes = _enrol(client, clock)
    session.refresh(user)
    assert user.totp_enabled_at is not None
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").data)})

    response = login(client, "careful")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login/second-factor")
    assert client.get("/").status_code == 302, "the password alone opened the pages"
    clock.shift(timedelta(seconds=31))
    assert (
        _second_step(client, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111").status_code
        == 200
    )
    assert _second_step(client, pyotp.TOTP(secret).now()).status_code == 302
    assert client.get("/").status_code == 200


def test_a_totp_code_is_taken_once_and_a_recovery_code_once(
    client: FlaskClient, make_user: Callable[..., User], clock: time_machine.Coordinates, session: Session
) -> None:
    make_user(Role.EDITOR, username="phone-lost")
    login(client, "phone-lost")
    secret, codes = _enrol(client, clock)
    csrf = csrf_of(client.get("/").data)
    client.post("/logout", data={"csrf_token": csrf})
    clock.shift(timedelta(seconds=5))

    # the code used to confirm the enrolment cannot be replayed within its 30 seconds
    login(client, "phone-lost")
    assert _second_step(client, pyotp.TOTP(secret).now()).status_code == 200
    assert _second_step(client, codes[0].upper()).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").data)})
    login(client, "phone-lost")
    assert _second_step(client, codes[0]).status_code == 200, "a recovery code worked twice"
    assert _second_step(client, codes[1]).status_code == 302


def test_wrong_second_factor_codes_count_towards_the_lockout(
    client: FlaskClient, make_user: Callable[..., User], clock: time_machine.Coordinates, session: Session
) -> None:
    make_user(Role.EDITOR, username="guessed")
    login(client, "guessed")
    secret, _codes = _enrol(client, clock)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").data)})
    clock.shift(timedelta(seconds=40))
    login(client, "guessed")
    wrong = "123456" if pyotp.TOTP(secret).now() != "123456" else "654321"
    for _ in range(5):
        assert _second_step(client, wrong).status_code == 200
    assert _second_step(client, pyotp.TOTP(secret).now()).status_code == 200
    assert ("auth.locked", "guessed") in actions(session)


def test_an_administrator_requires_totp_for_a_role_and_resets_it(
    client: FlaskClient,
    make_user: Callable[..., User],
    clock: time_machine.Coordinates,
    session: Session,
    session_factory: sessionmaker[Session],
) -> None:
    make_user(Role.AUDITOR, username="reader")
    login(client, "reader")
    assert client.get("/").status_code == 200
    assert "auditor" in invoke(session_factory, "users", "require-totp", "auditor")
    # the next request of a logged-in auditor without a second factor goes to the set-up page
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/second-factor"
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "вимагає другий фактор" in page
    secret, _codes = _enrol(client, clock)
    assert client.get("/").status_code == 200

    invoke(session_factory, "users", "reset-totp", "reader")
    assert client.get("/").status_code == 302, "resetting the second factor left his session open"
    clock.shift(timedelta(seconds=31))
    response = login(client, "reader")
    assert response.status_code == 302
    # no second factor any more, but his role requires one: straight to the set-up page
    assert client.get("/").headers["Location"] == "/account/second-factor"
    assert "none" in invoke(session_factory, "users", "require-totp", "auditor", "--off")
    assert client.get("/").status_code == 200
