"""The migrations build exactly the schema the models declare: a column, index or constraint added to a model
without its migration (or the other way round) would work in the tests of one and fail in production."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from watchlist.db import Base
from watchlist.migrations import head_revisions


def test_the_migrated_database_has_the_models_schema(connection: Connection) -> None:
    # the test database was migrated to the head at the start of the session (tests/conftest.py)
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    assert compare_metadata(context, Base.metadata) == []


def test_the_migrations_have_one_head() -> None:
    assert len(head_revisions()) == 1
