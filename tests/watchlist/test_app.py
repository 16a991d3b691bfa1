"""The web app's database engine: a pooled connection that died answers 503 once, then the pool heals."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker

from watchlist import migrations
from watchlist.app import create_app
from watchlist.db import make_engine, session_scope
from watchlist.models import AuditEvent, QueuedScreeningHit, Role
from watchlist.persons import add_person, require_person
from watchlist.settings import Settings
from watchlist.users import create_token, create_user


@pytest.fixture
def web_database(database_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own that the app commits to (the tests' database rolls back)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the web app pings no connection only on PostgreSQL")
    url = make_url(database_url)
    name = f"{url.database}_web"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclasses.dataclass
class WebApp:
    """The app on an engine of its own, as in production, and a screener's token."""

    # the test's own engine on the app's database
    engine: Engine
    client: FlaskClient
    headers: dict[str, str]


@pytest.fixture
def web_app(settings: Settings, web_database: str) -> Iterator[WebApp]:
    engine = make_engine(web_database)
    migrations.upgrade(engine)
    with session_scope(sessionmaker(bind=engine, expire_on_commit=False)) as session:
        _row, token = create_token(session, create_user(session, "checkpoint", Role.SCREENER))
    app = create_app(dataclasses.replace(settings, database_url=web_database))
    yield WebApp(engine, app.test_client(), {"Authorization": f"Bearer {token}"})
    app.extensions["watchlist.db"].engine.dispose()
    engine.dispose()


def test_a_connection_that_died_in_the_pool_fails_one_request_with_503_then_the_pool_heals(
    web_app: WebApp,
) -> None:
    client, headers, engine = web_app.client, web_app.headers, web_app.engine
    assert client.post("/api/v1/screen", json={"name": "Ivan Petrenko"}, headers=headers).status_code == 200

    # the database restarts: every connection the app's pool holds is cut
    with engine.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )

    response = client.post("/api/v1/screen", json={"name": "Ivan Petrenko"}, headers=headers)
    # the audit row could not be written (the request's first statement: its rate-limit count is served
    # from the worker's lease), so there is no answer, and the client is told to ask again
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.json is not None and response.json["error"]["code"] == "audit_unavailable"
    answered = client.post("/api/v1/screen", json={"name": "Ivan Petrenko"}, headers=headers)
    assert answered.status_code == 200
    assert answered.json is not None and answered.json["decision"] == "no_hit"
    with engine.connect() as connection:
        screenings = connection.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "screen")
        )
    assert screenings == 2


def test_a_screening_over_the_api_is_committed_with_its_queued_hit_before_the_answer(
    web_app: WebApp,
) -> None:
    # the request's session begins nothing, so the audit row goes in with its queued hit as one statement
    # of its own (audit.write_event with commit)
    client, headers, engine = web_app.client, web_app.headers, web_app.engine
    with session_scope(sessionmaker(bind=engine, expire_on_commit=False)) as session:
        person = add_person(
            session,
            require_person(
                {
                    "external_id": "UA-0002",
                    "full_name": "Гнилицький Олег Петрович",
                    "birth_date": "1975-03-12",
                }
            ),
            actor="test",
        )
        person_id = person.id

    response = client.post(
        "/api/v1/screen", json={"name": "HNYLYTSKYI Oleh", "birth_date": "12.03.1975"}, headers=headers
    )

    assert response.status_code == 200
    assert response.json is not None and response.json["decision"] == "hit"
    # read from another connection: stored, not waiting in an open transaction
    with engine.connect() as connection:
        audit_row = connection.execute(
            select(AuditEvent.id, AuditEvent.actor, AuditEvent.outcome).where(AuditEvent.action == "screen")
        ).one()
        queued = connection.execute(
            select(QueuedScreeningHit.person_id, QueuedScreeningHit.audit_event_id)
        ).all()
        open_transactions = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%'"
            )
        )
    assert audit_row.actor == "checkpoint"
    assert audit_row.outcome["hits"] == 1 and audit_row.outcome["persons_disclosed"] == [person_id]
    assert [tuple(row) for row in queued] == [(person_id, audit_row.id)]
    assert open_transactions == 0


def test_every_request_is_logged_with_its_duration_even_one_turned_away_before_the_views(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    # a page that needs a login is redirected by the access check, which ran before the timer started
    # and logged "-0.0ms"
    with caplog.at_level(logging.INFO, logger="watchlist.requests"):
        app.test_client().get("/")
    logged = [record.getMessage() for record in caplog.records if record.name == "watchlist.requests"]
    assert len(logged) == 1
    assert re.fullmatch(r"GET / 302 \d+\.\dms", logged[0]), logged
