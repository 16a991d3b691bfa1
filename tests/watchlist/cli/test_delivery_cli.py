"""`watchlist webhooks …`, `users create --email` and `users set-email` as an operator types them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from watchlist.cli import CliState, main
from watchlist.delivery.signing import secret_key
from watchlist.models import WebhookEndpoint
from watchlist.users import get_user_by_name

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(session_factory: sessionmaker[Session]) -> Invoke:
    def run(*args: str, input: str | None = None) -> Result:
        state = CliState()
        state.sessionmaker = session_factory
        return CliRunner().invoke(main, list(args), input=input, obj=state)

    return run


def test_add_list_and_disable_a_webhook(invoke: Invoke, session: Session, tmp_path: Path) -> None:
    secret_file = tmp_path / "soc.secret"
    added = invoke(
        "webhooks",
        "add",
        "https://soc.example/hook",
        "--secret-file",
        str(secret_file),
        "--kind",
        "border",
        "--min-severity",
        "high",
    )
    assert added.exit_code == 0, added.output
    # no secret file yet: a new secret is written there, for the receiver, readable by the owner only
    secret = secret_file.read_text().strip()
    assert secret.startswith("whsec_") and len(secret_key(secret)) == 32
    assert secret_file.stat().st_mode & 0o777 == 0o600
    endpoint = session.scalars(select(WebhookEndpoint)).one()
    assert (endpoint.url, endpoint.source_kind, endpoint.min_severity.value, endpoint.secret) == (
        "https://soc.example/hook",
        "border",
        "high",
        secret,
    )
    again = invoke("webhooks", "add", "https://duty.example/hook", "--secret-file", str(secret_file))
    assert again.exit_code == 0

    listed = invoke("webhooks", "list")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[1].split() == [str(endpoint.id), "https://soc.example/hook", "border", "high", "active"]
    assert secret not in listed.output

    disabled = invoke("webhooks", "disable", str(endpoint.id))
    assert disabled.exit_code == 0
    assert "disabled: disabled by an operator" in invoke("webhooks", "list").output


def test_bad_webhook_input_is_one_clean_line(invoke: Invoke, tmp_path: Path) -> None:
    secret_file = tmp_path / "bad.secret"
    secret_file.write_text("not-a-secret")
    result = invoke("webhooks", "add", "ftp://soc.example", "--secret-file", str(secret_file))
    assert result.exit_code == 1
    assert "url: must be an http(s) URL" in result.output and "secret:" in result.output
    assert "Traceback" not in result.output
    assert invoke("webhooks", "disable", "999").exit_code == 1
    assert invoke("deliveries", "retry").exit_code == 2


def test_an_officer_is_created_with_his_email_and_can_change_it(invoke: Invoke, session: Session) -> None:
    created = invoke(
        "users", "create", "ihor", "--role", "officer", "--no-password", "--email", "ihor@prosecutor.example"
    )
    assert created.exit_code == 0, created.output
    assert get_user_by_name(session, "ihor").email == "ihor@prosecutor.example"
    assert invoke("users", "set-email", "ihor", "i.k@prosecutor.example").exit_code == 0
    session.expire_all()
    assert get_user_by_name(session, "ihor").email == "i.k@prosecutor.example"
    refused = invoke("users", "create", "bad", "--role", "officer", "--no-password", "--email", "bad")
    assert refused.exit_code == 1 and "email: is not an e-mail address" in refused.output
