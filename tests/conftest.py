"""Shared fixtures: a migrated database (SQLite, or PostgreSQL from WATCHLIST_TEST_DATABASE_URL), a session
and an app bound to one connection whose transaction is rolled back after each test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from watchlist import migrations
from watchlist.app import create_app
from watchlist.db import Database, make_engine
from watchlist.models import Role, User
from watchlist.settings import Settings, load_settings
from watchlist.users import create_token, create_user

TEST_SECRET = "test-secret-key-not-for-production"

# Property tests are bounded so the suite stays fast, and have no deadline: a machine shared by several test
# runs is slow at times, and a slow example is not a failure. A test may ask for more or fewer examples.
hypothesis_settings.register_profile(
    "watchlist",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.load_profile("watchlist")


def pytest_report_header() -> str:
    return f"database: {os.environ.get('WATCHLIST_TEST_DATABASE_URL', 'sqlite (temporary file)')}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("WATCHLIST_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The test database, emptied and migrated once per test session."""
    engine = make_engine(database_url, sqlite_begin="DEFERRED")
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrations.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One connection whose outer transaction is rolled back at the end of the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    # each commit of the code under test releases a SAVEPOINT inside the test's transaction
    return sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(
        config_file=Path(__file__).parents[1] / "config" / "default.toml",
        environ={},
        secret_key=TEST_SECRET,
        env="test",
        database_url=database_url,
    )


@pytest.fixture
def app(settings: Settings, engine: Engine, session_factory: sessionmaker[Session]) -> Flask:
    db = Database(engine)
    db.sessionmaker = session_factory
    app = create_app(settings, db=db)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    """Factory: a committed user with the given role (password `correct horse battery`)."""
    counter = iter(range(1, 1_000_000))

    def make(role: Role = Role.SCREENER, username: str | None = None, **kwargs: Any) -> User:
        user = create_user(
            session,
            username or f"{role.value}{next(counter)}",
            role,
            password=kwargs.pop("password", "correct horse battery"),
            **kwargs,
        )
        session.commit()
        return user

    return make


@pytest.fixture
def auth_headers(session: Session, make_user: Callable[..., User]) -> Callable[[Role], dict[str, str]]:
    """Factory: `Authorization` headers carrying a fresh token of a new user with the given role."""

    def headers(role: Role) -> dict[str, str]:
        _row, token = create_token(session, make_user(role))
        session.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers
