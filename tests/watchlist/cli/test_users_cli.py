"""`watchlist users …` and `watchlist tokens …` as an administrator types them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session, sessionmaker

from watchlist.cli import CliState, main
from watchlist.cli.users import create_demo_users
from watchlist.models import Role, User
from watchlist.users import authenticate_token, authenticate_user, get_user_by_name

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(session_factory: sessionmaker[Session]) -> Invoke:
    """Run a `watchlist` command against the test's transaction."""

    def run(*args: str, input: str | None = None) -> Result:
        state = CliState()
        state.sessionmaker = session_factory
        return CliRunner().invoke(main, list(args), input=input, obj=state)

    return run


def test_create_a_user_with_the_password_on_stdin(invoke: Invoke, session: Session) -> None:
    result = invoke(
        "users", "create", "nadiia", "--role", "editor", "--password-stdin", input="long enough pass\n"
    )
    assert result.exit_code == 0, result.output
    assert "created user nadiia (editor)" in result.output
    assert authenticate_user(session, "nadiia", "long enough pass") is not None


def test_off_a_terminal_the_password_must_come_from_stdin_or_be_refused(
    invoke: Invoke, session: Session
) -> None:
    result = invoke("users", "create", "maksym", "--role", "screener")
    assert result.exit_code == 2
    assert "--password-stdin or --no-password" in result.output
    result = invoke("users", "create", "maksym", "--role", "screener", "--no-password")
    assert result.exit_code == 0
    assert get_user_by_name(session, "maksym").password_hash is None


def test_bad_input_is_one_clean_line_not_a_traceback(invoke: Invoke, make_user: Callable[..., User]) -> None:
    make_user(Role.SCREENER, username="taken")
    result = invoke("users", "create", "taken", "--role", "screener", "--no-password")
    assert result.exit_code == 1 and "exists already" in result.output
    result = invoke("users", "create", "new", "--role", "screener", "--password-stdin", input="short\n")
    assert result.exit_code == 1 and "password: must be at least 12 characters" in result.output
    result = invoke("users", "create", "new", "--role", "sheriff", "--no-password")
    assert result.exit_code == 2 and "sheriff" in result.output
    assert "Traceback" not in result.output


def test_list_and_disable_users(invoke: Invoke, make_user: Callable[..., User], session: Session) -> None:
    make_user(Role.AUDITOR, username="kateryna")
    result = invoke("users", "list")
    assert result.exit_code == 0
    line = next(line for line in result.output.splitlines() if line.startswith("kateryna"))
    assert line.split()[:3] == ["kateryna", "auditor", "active"]

    assert invoke("users", "disable", "kateryna").exit_code == 0
    session.expire_all()
    assert get_user_by_name(session, "kateryna").is_active is False
    assert "disabled" in invoke("users", "list").output
    assert invoke("users", "disable", "nobody").exit_code == 1


def test_a_token_is_printed_once_and_works(
    invoke: Invoke, make_user: Callable[..., User], session: Session
) -> None:
    make_user(Role.EDITOR, username="pavlo")
    result = invoke(
        "tokens", "create", "pavlo", "--name", "nightly import", "--role", "screener", "--days", "7"
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("wl_") and "\n" not in token
    row = authenticate_token(session, token)
    assert row is not None and row.role is Role.SCREENER and row.name == "nightly import"

    listing = invoke("tokens", "list", "pavlo").output
    assert "nightly import" in listing and "screener" in listing and "active" in listing
    assert token not in listing  # only its first characters are known after creation

    assert invoke("tokens", "revoke", str(row.id)).exit_code == 0
    session.expire_all()
    assert authenticate_token(session, token) is None
    assert "revoked" in invoke("tokens", "list").output


def test_a_token_cannot_exceed_its_user(invoke: Invoke, make_user: Callable[..., User]) -> None:
    make_user(Role.SCREENER, username="stepan")
    result = invoke("tokens", "create", "stepan", "--role", "admin")
    assert result.exit_code == 1
    assert "exceed the role of stepan" in result.output
    assert invoke("tokens", "create", "nobody").exit_code == 1
    assert invoke("tokens", "revoke", "999999").exit_code == 1


def test_demo_users_are_printed_with_their_passwords_once(
    session: Session, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WATCHLIST_DEMO_PASSWORD", raising=False)
    create_demo_users(session)
    first = capsys.readouterr().out.splitlines()
    assert len(first) == len(Role)
    username, password = first[0].split()[2], first[0].split()[-1]
    assert authenticate_user(session, username, password) is not None

    create_demo_users(session)
    again = capsys.readouterr().out
    assert password not in again and "as printed when created" in again
