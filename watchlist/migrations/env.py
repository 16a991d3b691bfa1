"""Alembic environment: runs on the connection (or URL) the caller gives in the config attributes."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import watchlist.models  # noqa: F401  (every table on Base.metadata)
from watchlist.db import Base, make_engine


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
