"""Database plumbing: the declarative Base, the engine, a session per request, `session_scope()`.

Operations take a Session and flush; they never commit. The request (or the CLI command, or the job)
that called them commits, so a failure leaves the database as it was.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import (
    JSON,
    DateTime,
    Enum,
    MetaData,
    String,
    Table,
    TypeDecorator,
    create_engine,
    event,
    insert,
)
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def str_enum(kind: type[enum.StrEnum], name: str) -> Enum:
    """A column type for a StrEnum stored as its values in a VARCHAR with a CHECK constraint: portable
    between SQLite and PostgreSQL, and a new member needs no ALTER TYPE."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


# the SQLite function `casefold` compiles to; registered on every SQLite connection (`_sqlite_pragmas`)
_SQLITE_CASEFOLD = "watchlist_casefold"


class casefold(GenericFunction[str]):  # noqa: N801 - named like the SQL functions of sqlalchemy.func
    """Text folded for a comparison that ignores case, in any script (`Київ` = `КИЇВ`).

    PostgreSQL's lower() folds every script in a UTF-8 database; SQLite's folds ASCII only, so on SQLite
    it is Python's str.casefold, registered on each connection.
    """

    type = String()
    inherit_cache = True


@compiles(casefold)
def _casefold_default(element: casefold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(casefold, "sqlite")
def _casefold_sqlite(element: casefold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{_SQLITE_CASEFOLD}({compiler.process(element.clauses, **kw)})"


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so SAVEPOINTs
    # (a transaction per test) and transactional DDL (migrations) work as on PostgreSQL
    dbapi_connection.isolation_level = None
    dbapi_connection.create_function(_SQLITE_CASEFOLD, 1, _fold, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, sqlite_begin: str = "IMMEDIATE", **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL mode, foreign keys and explicit transactions.

    SQLite transactions begin IMMEDIATE by default: a transaction that reads and then writes (a screening
    reads the watchlist, then writes its audit row) cannot take the write lock later if another
    connection committed in between, and SQLite then fails at once instead of waiting. Taking the lock at
    BEGIN makes concurrent requests wait their turn (busy_timeout) instead. The tests' one long
    transaction begins DEFERRED so other connections of the test (readiness checks) can still read, and a
    read-only session can ask for DEFERRED with `read_only_session`.
    """
    if sqlite_begin not in {"DEFERRED", "IMMEDIATE"}:
        raise ValueError(f"sqlite_begin must be DEFERRED or IMMEDIATE, not {sqlite_begin!r}")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", sqlite_begin)
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    # a connection that died while in the pool (a database restart) is found before it is used; the web
    # app turns this off (see create_app), the commands and the scheduler keep it
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def bulk_insert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows, each with the same keys, in the connection's transaction: by COPY on PostgreSQL
    (a million incoming records go in several times faster than by INSERT), by one executemany INSERT
    elsewhere. COPY applies no Python-side defaults or type processing: give every column the rows need,
    JSON columns as Python values, timestamps as aware UTC datetimes."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    as_json = [isinstance(table.c[column].type, JSON) for column in columns]
    quote = connection.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(column) for column in columns)}) FROM STDIN"
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[column]) if encode else row[column]
                    for column, encode in zip(columns, as_json, strict=True)
                ]
            )


def refresh_statistics(connection: Connection, table: Table) -> None:
    """Have PostgreSQL's planner count a table's rows again, the rows this transaction wrote included
    (ANALYZE runs inside a transaction and samples its own uncommitted rows). Nothing on SQLite, whose
    planner goes by the indexes without counts."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {connection.dialect.identifier_preparer.quote(table.name)}")


class Database:
    """The engine and session factory bound to one Flask app."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessionmaker: sessionmaker[Session] = sessionmaker(bind=engine, expire_on_commit=False)

    def init_app(self, app: Flask) -> None:
        app.extensions["watchlist.db"] = self
        app.teardown_appcontext(_close_session)


def database(app: Flask | None = None) -> Database:
    """The Database of the given (or current) app."""
    target = app or current_app
    db: Database = target.extensions["watchlist.db"]
    return db


def get_session() -> Session:
    """The session of the current request or app context, created on first use."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def read_only_session(factory: Callable[[], Session]) -> Session:
    """A session for reading only: on SQLite its transaction takes no write lock, so it neither waits for
    nor blocks a writer (a request that loads the match index while its own session holds the lock)."""
    session = factory()
    session.connection(execution_options={"sqlite_begin": "DEFERRED"})
    return session


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must be timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
