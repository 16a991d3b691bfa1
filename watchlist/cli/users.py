"""`watchlist users …` and `watchlist tokens …`."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click
from sqlalchemy.orm import Session

from watchlist import second_factor
from watchlist.cli import CliState, main, pass_state
from watchlist.db import session_scope, utcnow
from watchlist.delivery.subscriptions import set_email
from watchlist.models import Role
from watchlist.users import (
    DEFAULT_TOKEN_DAYS,
    create_token,
    create_user,
    disable_user,
    end_user_sessions,
    ensure_demo_users,
    get_user_by_name,
    list_tokens,
    list_users,
    revoke_token,
    set_password,
    token_state,
)

ROLE_CHOICE = click.Choice([role.value for role in Role])
# the demo users' password when set; otherwise each demo user gets a random one, printed once
DEMO_PASSWORD_ENV = "WATCHLIST_DEMO_PASSWORD"


def _read_password(password_stdin: bool, no_password: bool) -> str | None:
    if no_password:
        return None
    if password_stdin:
        # one line; the newline a shell pipe adds is not part of the password
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise click.UsageError("not on a terminal: give --password-stdin or --no-password")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@main.group()
def users() -> None:
    """Users of the web pages and the API."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=ROLE_CHOICE, help="What the user may do.")
@click.option("--display-name", default="", help="The name shown on the pages [default: USERNAME].")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--no-password", is_flag=True, help="A user who only uses API tokens and cannot log in.")
@click.option("--email", default="", help="Where the alerts he subscribes to are e-mailed.")
@pass_state
def users_create(
    state: CliState,
    username: str,
    role: str,
    display_name: str,
    password_stdin: bool,
    no_password: bool,
    email: str,
) -> None:
    """Add a user; the password is asked for on a terminal (twice) or read with --password-stdin."""
    if password_stdin and no_password:
        raise click.UsageError("--password-stdin and --no-password exclude each other")
    password = _read_password(password_stdin, no_password)
    with session_scope(state.sessionmaker) as session:
        user = create_user(session, username, role, password, display_name=display_name)
        if email:
            set_email(session, user, email)
        click.echo(f"created user {user.username} ({user.role.value})")


@users.command("list")
@pass_state
def users_list(state: CliState) -> None:
    """List the users: name, role, whether active, live tokens."""
    with session_scope(state.sessionmaker) as session:
        now = utcnow()
        rows = [
            (
                user.username,
                user.role.value,
                "active" if user.is_active else "disabled",
                str(sum(1 for token in user.tokens if token_state(token, now) == "active")),
                "yes" if user.password_hash else "no",
            )
            for user in list_users(session)
        ]
    _table(("username", "role", "state", "live tokens", "can log in"), rows)


@users.command("disable")
@click.argument("username")
@pass_state
def users_disable(state: CliState, username: str) -> None:
    """Disable a user: his login sessions end now, his tokens stop working."""
    with session_scope(state.sessionmaker) as session:
        disable_user(session, username)
    click.echo(f"disabled user {username}")


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@pass_state
def users_set_password(state: CliState, username: str, password_stdin: bool) -> None:
    """Give a user a new password; every login session of his ends."""
    password = _read_password(password_stdin, False)
    assert password is not None
    with session_scope(state.sessionmaker) as session:
        set_password(session, get_user_by_name(session, username), password)
    click.echo(f"new password for {username}; his sessions have ended")


@users.command("logout")
@click.argument("username")
@pass_state
def users_logout(state: CliState, username: str) -> None:
    """End every login session of a user now (a lost laptop, a suspicion)."""
    with session_scope(state.sessionmaker) as session:
        ended = end_user_sessions(session, get_user_by_name(session, username).id, "admin")
    click.echo(f"ended {ended} session(s) of {username}")


@users.command("reset-totp")
@click.argument("username")
@pass_state
def users_reset_totp(state: CliState, username: str) -> None:
    """Take away a user's second factor (a lost phone); he sets it up again at his next login."""
    with session_scope(state.sessionmaker) as session:
        second_factor.reset(session, get_user_by_name(session, username))
    click.echo(f"second factor of {username} reset; his sessions have ended")


@users.command("require-totp")
@click.argument("role", type=ROLE_CHOICE)
@click.option("--off", is_flag=True, help="Stop requiring it.")
@pass_state
def users_require_totp(state: CliState, role: str, off: bool) -> None:
    """Require a second factor of every user of ROLE (he is sent to set it up at his next request)."""
    with session_scope(state.sessionmaker) as session:
        second_factor.require_for_role(session, role, not off)
        required = ", ".join(r.value for r in second_factor.required_roles(session)) or "none"
    click.echo(f"roles that must use a second factor: {required}")


@main.group()
def tokens() -> None:
    """API tokens (Authorization: Bearer …)."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="", help="What the token is for, to tell tokens apart.")
@click.option("--role", type=ROLE_CHOICE, help="Act with this role, at most the user's [default: his].")
@click.option("--days", default=DEFAULT_TOKEN_DAYS, show_default=True, type=int, help="Days it lasts.")
@pass_state
def tokens_create(state: CliState, username: str, name: str, role: str | None, days: int) -> None:
    """Create an API token for USERNAME and print it; it is shown this once and stored only as a hash."""
    with session_scope(state.sessionmaker) as session:
        user = get_user_by_name(session, username)
        row, token = create_token(session, user, name=name, role=role, days=days)
        expires_at = row.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        click.echo(f"token {row.id} for {username} ({row.role.value}), expires {expires_at}", err=True)
        click.echo("it is shown only now; keep it in a secret store", err=True)
    # the token alone on stdout, so `TOKEN=$(watchlist tokens create …)` works
    click.echo(token)


@tokens.command("list")
@click.argument("username", required=False)
@pass_state
def tokens_list(state: CliState, username: str | None) -> None:
    """List API tokens (of USERNAME, or of everyone); the tokens themselves are never stored."""
    with session_scope(state.sessionmaker) as session:
        now = utcnow()
        rows = [
            (
                str(row.id),
                row.user.username,
                row.name,
                row.prefix + "…",
                row.role.value,
                row.expires_at.strftime("%Y-%m-%d"),
                row.last_used_at.strftime("%Y-%m-%d %H:%M") if row.last_used_at else "never",
                token_state(row, now),
            )
            for row in list_tokens(session, username)
        ]
    _table(("id", "user", "name", "starts with", "role", "expires", "last used", "state"), rows)


@tokens.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
@pass_state
def tokens_revoke(state: CliState, token_id: int) -> None:
    """Revoke the token ID (see `watchlist tokens list`); it stops working at once."""
    with session_scope(state.sessionmaker) as session:
        row = revoke_token(session, token_id)
        click.echo(f"revoked token {row.id} of {row.user.username}")


def create_demo_users(session: Session) -> None:
    """Make sure the demo users exist and print how to log in as each (called by `watchlist demo`).

    Passwords come from WATCHLIST_DEMO_PASSWORD, or are generated when a user is created and printed
    this once; only their hashes are stored.
    """
    for username, role, password in ensure_demo_users(session, os.environ.get(DEMO_PASSWORD_ENV) or None):
        shown = password if password is not None else f"(as printed when created; or set {DEMO_PASSWORD_ENV})"
        click.echo(f"demo user {username:<16} role {role.value:<9} password {shown}")


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=False)]
    for line in (header, *rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
