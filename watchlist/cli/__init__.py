"""The `watchlist` command line: each command calls the same operations as the API."""

from __future__ import annotations

import getpass
import logging
import secrets
import sys
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from watchlist import migrations
from watchlist.audit import Caller, acting_as
from watchlist.db import make_engine
from watchlist.exc import ConfigError, WatchlistError
from watchlist.settings import Settings, load_settings


@dataclass
class CliState:
    """What a command needs, built on first use so `--help` works without configuration."""

    overrides: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def settings(self) -> Settings:
        return load_settings(None, None, **self.overrides)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def sessionmaker(self) -> sessionmaker[Session]:
        return sessionmaker(bind=self.engine, expire_on_commit=False)


pass_state = click.make_pass_decorator(CliState, ensure=True)


def fail(message: str) -> None:
    """Stop the command with a message on stderr and exit status 1."""
    raise click.ClickException(message)


class WatchlistGroup(click.Group):
    """Turns configuration and domain errors into one clean line on stderr instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            raise click.ClickException(f"configuration: {error}") from error
        except WatchlistError as error:
            lines = [str(error), *(str(detail) for detail in error.details)]
            raise click.ClickException("\n".join(lines)) from error


@click.group(cls=WatchlistGroup)
@click.option("--database-url", envvar="WATCHLIST_DATABASE_URL", help="SQLAlchemy database URL.")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """Sentence-enforcement watchlist."""
    state = ctx.ensure_object(CliState)
    ctx.with_resource(acting_as(Caller(f"cli:{getpass.getuser()}", "cli")))
    if database_url:
        state.overrides["database_url"] = database_url


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@pass_state
def db_upgrade(state: CliState, revision: str) -> None:
    """Migrate the database to the newest schema."""
    migrations.upgrade(state.engine, revision)
    with state.engine.connect() as connection:
        click.echo(f"database at {', '.join(sorted(migrations.current_revisions(connection)))}")


@main.command("secret")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def secret(path: Path) -> None:
    """Write a new random secret key to PATH unless it exists (used by `make run`)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    path.chmod(0o600)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@pass_state
def serve(state: CliState, host: str, port: int) -> None:
    """Serve the web pages and the API (a threaded development server; use gunicorn in production)."""
    from watchlist.app import create_app

    app = create_app(state.settings)
    # werkzeug's own access log prints query strings, which can carry searched names; the app logs
    # each request without them (watchlist.requests)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    click.echo(f"serving on http://{host}:{port}", err=True)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


# packages above watchlist in the layers (jobs) plug their commands in through this entry-point group
COMMANDS_ENTRY_POINTS = "watchlist.commands"


def _register_commands() -> None:
    # command modules attach themselves to `main`; imported here so `watchlist --help` lists them
    from watchlist.cli import audit, lists, persons, screening, users  # noqa: F401
    from watchlist.delivery import cli as _delivery  # noqa: F401

    for plugin in entry_points(group=COMMANDS_ENTRY_POINTS):
        plugin.load()


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
