"""Alembic migrations, and the functions that run them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

HERE = Path(__file__).parent


def alembic_config(engine: Engine | None = None, connection: Connection | None = None) -> Config:
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database to `revision` (the newest of every branch by default)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), revision)


def head_revisions() -> frozenset[str]:
    """The newest revision of each branch (features may add parallel branches until they are merged)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    """The revisions the database is at, one per branch."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())
