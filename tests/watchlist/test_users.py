"""User and token operations: the business rules the CLI, the pages and the API share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from watchlist.db import utcnow
from watchlist.exc import Conflict, Forbidden, NotFound, ValidationFailed
from watchlist.models import ApiToken, Role, User
from watchlist.users import (
    authenticate_token,
    authenticate_user,
    create_token,
    create_user,
    disable_user,
    ensure_demo_users,
    list_tokens,
    revoke_token,
    token_role_allowed,
    token_state,
)


def test_a_password_is_stored_only_as_an_argon2id_hash(session: Session) -> None:
    user = create_user(session, "olena", Role.SCREENER, "correct horse battery")
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse battery" not in user.password_hash


def test_login_needs_the_right_password_of_an_active_user(
    session: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.OFFICER, username="petro")
    assert authenticate_user(session, "petro", "correct horse battery") is user
    assert authenticate_user(session, "petro", "wrong horse battery") is None
    assert authenticate_user(session, "nobody", "correct horse battery") is None
    disable_user(session, "petro")
    assert authenticate_user(session, "petro", "correct horse battery") is None


def test_a_token_only_user_cannot_log_in(session: Session) -> None:
    create_user(session, "nightly-job", Role.SCREENER)
    assert authenticate_user(session, "nightly-job", "") is None


def test_create_user_reports_every_bad_field(session: Session) -> None:
    with pytest.raises(ValidationFailed) as caught:
        create_user(session, " ", "sheriff", "short")
    assert sorted(detail.field for detail in caught.value.details) == ["password", "role", "username"]


def test_user_names_are_unique(session: Session, make_user: Callable[..., User]) -> None:
    make_user(Role.EDITOR, username="iryna")
    with pytest.raises(Conflict):
        create_user(session, "iryna", Role.AUDITOR, "correct horse battery")


def test_disable_an_unknown_user_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        disable_user(session, "nobody")


def test_a_token_is_random_shown_once_and_stored_hashed(
    session: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.EDITOR)
    row, token = create_token(session, user, name="import job")
    _other, second = create_token(session, user)
    assert token != second
    assert token.startswith("wl_") and len(token) >= 3 + 43  # 256 random bits, base64
    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and row.token_hash in stored
    assert row.prefix == token[:10]
    assert authenticate_token(session, token) is row


@pytest.mark.parametrize(
    ("user_role", "token_role", "allowed"),
    [
        (Role.ADMIN, Role.EDITOR, True),
        (Role.ADMIN, Role.ADMIN, True),
        (Role.EDITOR, Role.SCREENER, True),
        (Role.EDITOR, Role.EDITOR, True),
        (Role.EDITOR, Role.OFFICER, False),
        (Role.EDITOR, Role.ADMIN, False),
        (Role.SCREENER, Role.OFFICER, False),
        (Role.AUDITOR, Role.EDITOR, False),
    ],
)
def test_a_token_never_has_more_than_its_user(
    session: Session, make_user: Callable[..., User], user_role: Role, token_role: Role, allowed: bool
) -> None:
    assert token_role_allowed(user_role, token_role) is allowed
    user = make_user(user_role)
    if allowed:
        row, _token = create_token(session, user, role=token_role)
        assert row.role is token_role
    else:
        with pytest.raises(Forbidden):
            create_token(session, user, role=token_role)


def test_a_token_stops_working_when_expired_revoked_or_its_user_disabled(
    session: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.SCREENER, username="taras")
    row, token = create_token(session, user, days=1)
    now = utcnow()
    assert authenticate_token(session, token, now=now + timedelta(hours=23)) is row
    assert authenticate_token(session, token, now=now + timedelta(days=1, seconds=1)) is None
    assert token_state(row, now + timedelta(days=2)) == "expired"

    disable_user(session, "taras")
    assert authenticate_token(session, token, now=now) is None
    assert token_state(row, now) == "user disabled"
    user.is_active = True

    revoke_token(session, row.id)
    assert authenticate_token(session, token, now=now) is None
    assert token_state(row, now) == "revoked"


def test_a_demoted_users_stronger_token_stops_working(
    session: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.ADMIN)
    row, token = create_token(session, user, role=Role.EDITOR)
    user.role = Role.SCREENER
    session.flush()
    assert authenticate_token(session, token) is None
    assert token_state(row) == "exceeds role"


def test_no_token_for_a_disabled_user_and_no_absurd_lifetimes(
    session: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.SCREENER, username="bohdan")
    with pytest.raises(ValidationFailed):
        create_token(session, user, days=0)
    with pytest.raises(ValidationFailed):
        create_token(session, user, role="sheriff")
    disable_user(session, "bohdan")
    with pytest.raises(Forbidden):
        create_token(session, user)


def test_list_tokens_of_one_user(session: Session, make_user: Callable[..., User]) -> None:
    first, second = make_user(Role.EDITOR), make_user(Role.EDITOR)
    mine, _ = create_token(session, first, name="mine")
    create_token(session, second, name="theirs")
    assert list_tokens(session, first.username) == [mine]
    assert len(list_tokens(session)) == 2
    with pytest.raises(NotFound):
        list_tokens(session, "nobody")


def test_demo_users_get_one_time_random_passwords(session: Session) -> None:
    first = ensure_demo_users(session)
    assert [role for _name, role, _password in first] == list(Role)
    passwords = [password for _name, _role, password in first]
    assert all(password and len(password) >= 12 for password in passwords)
    assert len(set(passwords)) == len(passwords)
    for username, _role, password in first:
        assert password is not None
        assert authenticate_user(session, username, password) is not None

    # a second run creates nothing and can show no password: none is stored readable
    again = ensure_demo_users(session)
    assert [(name, role) for name, role, _ in again] == [(name, role) for name, role, _ in first]
    assert all(password is None for _name, _role, password in again)


def test_demo_users_take_a_given_password(session: Session) -> None:
    ensure_demo_users(session)
    shown = ensure_demo_users(session, "demo password for tests")
    assert {password for _name, _role, password in shown} == {"demo password for tests"}
    for username, _role, _password in shown:
        assert authenticate_user(session, username, "demo password for tests") is not None
