"""The audit log's hash chain: verify catches a row edited, deleted or inserted directly in the database,
the database refuses UPDATE and DELETE, two processes writing at once keep one chain, and retention
prunes the start of the chain with an anchor that keeps verify passing."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import cast

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from watchlist import migrations
from watchlist.audit import (
    Attached,
    AuditUnavailable,
    Retention,
    content_hash,
    prune_audit,
    record_event,
    row_hash,
    seal_chain,
    verify_chain,
    write_event,
)
from watchlist.cli import CliState, main
from watchlist.db import make_engine, utcnow
from watchlist.models import AuditChain, AuditEvent, ListScreening, QueuedScreeningHit
from watchlist.persons import add_person, require_person

RETENTION = Retention(consultation_days=1096, change_days=3653, access_days=1096, operation_days=3653)


def write(session: Session, n: int, action: str = "person_view", seal: bool = True) -> list[int]:
    ids = [
        record_event(
            session,
            action,
            actor="officer-olha",
            via="session",
            role="officer",
            remote_addr="192.0.2.7",
            subject={"person_id": i, "q": "Гнилицький"},
            outcome={"persons_disclosed": [i]},
        ).id
        for i in range(n)
    ]
    session.commit()
    if seal:
        seal_chain(session)
        session.commit()
    return ids


def tamper(connection: Connection, sql: str, **params: object) -> None:
    """Change the table behind the application's back, as someone with database access would: with the
    append-only triggers out of the way for this test's transaction (rolled back afterwards)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        connection.exec_driver_sql("ALTER TABLE audit_chain DISABLE TRIGGER USER")
    else:
        for name in ("audit_events_no_update", "audit_events_no_delete", "audit_chain_forward_only"):
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
    connection.execute(text(sql), params)


def test_rows_are_written_with_their_content_hash_and_sealed_into_the_chain(session: Session) -> None:
    first, second = write(session, 2, seal=False)
    a, b = session.get(AuditEvent, first), session.get(AuditEvent, second)
    assert a is not None and b is not None
    assert a.content_hash and a.chain_seq is None and a.row_hash is None
    assert verify_chain(session).unsealed == 2
    assert seal_chain(session) == 2
    session.commit()
    assert a.row_hash is not None and a.chain_seq is not None
    assert b.chain_seq == a.chain_seq + 1
    assert b.prev_hash == a.row_hash
    assert b.row_hash == row_hash(b.id, b.chain_seq, a.row_hash, b.content_hash)
    head = session.get(AuditChain, 1)
    assert head is not None and (head.last_seq, head.last_hash) == (b.chain_seq, b.row_hash)
    result = verify_chain(session)
    assert result.intact and result.checked == 2 and result.unsealed == 0
    assert seal_chain(session) == 0


def test_verify_catches_a_row_edited_before_it_was_sealed(session: Session, connection: Connection) -> None:
    [row_id] = write(session, 1, seal=False)
    tamper(connection, "UPDATE audit_events SET actor = 'somebody-else' WHERE id = :id", id=row_id)
    session.expire_all()
    result = verify_chain(session)
    assert result.problem is not None
    assert (result.problem.row_id, result.problem.kind) == (row_id, "edited")


def test_the_hash_covers_the_utc_timestamp_and_canonical_content() -> None:
    values = {
        "occurred_at": utcnow(),
        "action": "screen",
        "actor": "a",
        "role": None,
        "via": "token",
        "remote_addr": None,
        "subject": {"b": 1, "a": "Олег"},
        "outcome": {},
    }
    same = {**values, "subject": {"a": "Олег", "b": 1}}
    later = {**values, "occurred_at": values["occurred_at"] + timedelta(microseconds=1)}
    assert content_hash(values) == content_hash(same)
    assert content_hash(values) != content_hash(later)


def test_verify_catches_a_row_edited_in_the_database(session: Session, connection: Connection) -> None:
    ids = write(session, 5)
    tamper(connection, "UPDATE audit_events SET actor = 'somebody-else' WHERE id = :id", id=ids[2])
    session.expire_all()
    result = verify_chain(session)
    assert result.problem is not None
    assert (result.problem.row_id, result.problem.kind) == (ids[2], "edited")


def test_verify_catches_a_row_deleted_in_the_database(session: Session, connection: Connection) -> None:
    ids = write(session, 5)
    tamper(connection, "DELETE FROM audit_events WHERE id = :id", id=ids[1])
    session.expire_all()
    result = verify_chain(session)
    assert result.problem is not None
    assert (result.problem.row_id, result.problem.kind) == (ids[1], "deleted")


def test_verify_catches_the_last_row_deleted(session: Session, connection: Connection) -> None:
    ids = write(session, 3)
    tamper(connection, "DELETE FROM audit_events WHERE id = :id", id=ids[-1])
    session.expire_all()
    result = verify_chain(session)
    assert result.problem is not None
    assert (result.problem.row_id, result.problem.kind) == (ids[-1], "deleted")


def test_verify_catches_a_row_inserted_with_recomputed_hashes(
    session: Session, connection: Connection
) -> None:
    ids = write(session, 4)
    victim = session.get(AuditEvent, ids[1])
    before = session.get(AuditEvent, ids[0])
    assert victim is not None and before is not None
    # replace row 2 by a forged row that links correctly to row 1: row 3 no longer links to it
    assert victim.chain_seq is not None and before.row_hash is not None
    forged = {
        "occurred_at": victim.occurred_at,
        "action": "person_view",
        "actor": "nobody",
        "role": "officer",
        "via": "session",
        "remote_addr": None,
        "subject": {},
        "outcome": {},
    }
    digest = content_hash(forged)
    tamper(connection, "DELETE FROM audit_events WHERE id = :id", id=ids[1])
    connection.execute(
        text(
            "INSERT INTO audit_events (id, occurred_at, action, actor, role, via, remote_addr, subject,"
            " outcome, chain_seq, prev_hash, content_hash, row_hash) VALUES (:id, :at, 'person_view',"
            " 'nobody', 'officer', 'session', NULL, '{}', '{}', :seq, :prev, :digest, :hash)"
        ),
        {
            "id": ids[1],
            "at": victim.occurred_at,
            "seq": victim.chain_seq,
            "prev": before.row_hash,
            "digest": digest,
            "hash": row_hash(ids[1], victim.chain_seq, before.row_hash, digest),
        },
    )
    session.expire_all()
    result = verify_chain(session)
    assert result.problem is not None
    assert result.problem.row_id in (ids[1], ids[2])
    assert result.problem.kind in ("inserted", "deleted")


def test_the_database_refuses_update_and_delete_of_audit_rows(session: Session) -> None:
    [row_id] = write(session, 1)
    for statement in (
        "UPDATE audit_events SET actor = 'x' WHERE id = :id",
        "DELETE FROM audit_events WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(statement), {"id": row_id})
    with pytest.raises(DBAPIError, match="forward"), session.begin_nested():
        session.execute(text("UPDATE audit_chain SET last_seq = 0"))
    assert session.get(AuditEvent, row_id) is not None


# --- retention ------------------------------------------------------------------------------------------


def backdate(connection: Connection, ids: list[int], days: int) -> None:
    """Rows written long ago: rewritten with the chain's hashes recomputed from them on, so it stays valid."""
    tamper(connection, "SELECT 1")
    events = AuditEvent.__table__
    first = connection.execute(select(events.c.chain_seq).where(events.c.id == ids[0])).scalar_one()
    prev = (
        connection.execute(
            text("SELECT row_hash FROM audit_events WHERE chain_seq = :seq"), {"seq": first - 1}
        ).scalar()
        or "0" * 64
    )
    for row in list(
        connection.execute(
            select(events).where(events.c.chain_seq >= first).order_by(events.c.chain_seq)
        ).mappings()
    ):
        values = dict(row)
        if row["id"] in ids:
            values["occurred_at"] = row["occurred_at"] - timedelta(days=days)
        digest = content_hash(values)
        linked = row_hash(row["id"], row["chain_seq"], prev, digest)
        connection.execute(
            events.update()
            .where(events.c.id == row["id"])
            .values(occurred_at=values["occurred_at"], prev_hash=prev, content_hash=digest, row_hash=linked)
        )
        prev = linked
    connection.execute(text("UPDATE audit_chain SET last_hash = :h WHERE id = 1"), {"h": prev})


def test_prune_deletes_the_expired_start_of_the_chain_and_verify_still_passes(
    session: Session, connection: Connection
) -> None:
    old_views = write(session, 3)
    old_change = write(session, 1, action="person.updated")
    later_views = write(session, 2)
    backdate(connection, [*old_views, *old_change, *later_views], days=1200)
    session.expire_all()
    pruned = prune_audit(session, RETENTION, actor="cli:test", via="cli")
    session.commit()
    # the views are past 3 years, the change is not past 10: the chain is cut just before the change
    assert pruned.events == len(old_views)
    assert session.get(AuditEvent, old_views[-1]) is None
    assert session.get(AuditEvent, old_change[0]) is not None
    assert session.get(AuditEvent, later_views[0]) is not None
    head = session.get(AuditChain, 1)
    last_pruned = session.scalar(select(func.max(AuditEvent.chain_seq)).where(AuditEvent.id < old_change[0]))
    assert last_pruned is None
    assert head is not None and head.anchor_seq == pruned.anchor_seq > 0
    result = verify_chain(session)
    assert result.intact, result.problem
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.pruned")).all()
    assert event.outcome["anchor_seq"] == head.anchor_seq


def test_prune_deletes_old_list_screenings(session: Session) -> None:
    old = ListScreening(owner="screener1", file_name="old.csv", created_at=utcnow() - timedelta(days=1100))
    new = ListScreening(owner="screener1", file_name="new.csv")
    session.add_all([old, new])
    session.commit()
    pruned = prune_audit(session, RETENTION, actor="cli:test", via="cli")
    session.commit()
    assert pruned.list_screenings == 1
    assert session.scalars(select(ListScreening.file_name)).all() == ["new.csv"]


def test_moving_the_anchor_by_hand_is_caught(session: Session, connection: Connection) -> None:
    ids = write(session, 3)
    seq = session.get(AuditEvent, ids[0]).chain_seq  # type: ignore[union-attr]
    tamper(connection, "UPDATE audit_chain SET anchor_seq = :seq", seq=seq)
    connection.execute(text("DELETE FROM audit_events WHERE chain_seq <= :seq"), {"seq": seq})
    session.expire_all()
    result = verify_chain(session)
    assert result.problem is not None and result.problem.kind == "anchor"


# --- concurrency (real commits, so a database of its own) ----------------------------------------------


@pytest.fixture
def own_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database for tests that commit."""
    if not database_url.startswith("postgresql"):
        url = f"sqlite:///{tmp_path / 'chain.db'}"
        engine = make_engine(url)
        migrations.upgrade(engine)
        engine.dispose()
        yield url
        return
    base = make_url(database_url)
    name = f"{base.database}_chain"
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _write_many(url: str, worker: int, count: int) -> None:
    engine: Engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    for i in range(count):
        with factory() as session:
            record_event(session, "screen", actor=f"worker{worker}", via="token", subject={"i": i})
            session.commit()
        if i % 5 == 4:
            # both processes seal as they go, at the same time as the other writes
            with factory() as session:
                seal_chain(session)
                session.commit()
    engine.dispose()


def test_two_processes_writing_at_once_keep_one_chain(own_database: str) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_write_many, args=(own_database, n, 40)) for n in (1, 2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    engine = make_engine(own_database)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 80
        seal_chain(session)
        session.commit()
        result = verify_chain(session)
        assert result.intact, result.problem
        assert result.checked == 80
    engine.dispose()


def test_the_commands_verify_prune_and_exit_1_naming_the_edited_row(own_database: str) -> None:
    _write_many(own_database, 1, 3)
    runner = CliRunner(env={"WATCHLIST_SECRET_KEY": "cli-test-secret-key-0123456789"})

    def invoke(*args: str) -> Result:
        state = CliState()
        result = runner.invoke(main, ["--database-url", own_database, "audit", *args], obj=state)
        state.engine.dispose()
        return result

    pruned = invoke("prune")
    assert pruned.exit_code == 0, pruned.output
    assert "deleted 0 audit rows" in pruned.output
    verified = invoke("verify")
    assert verified.exit_code == 0, verified.output
    assert "audit chain intact: 3 rows checked" in verified.output
    engine = make_engine(own_database)
    with engine.begin() as connection:
        tamper(connection, "UPDATE audit_events SET outcome = '{\"hits\": 0}' WHERE id = 2")
    engine.dispose()
    broken = invoke("verify")
    assert broken.exit_code == 1
    assert "row 2 was edited" in broken.output


def test_an_audit_row_and_its_attached_rows_read_back_as_written(session: Session) -> None:
    """On PostgreSQL both go in as one statement of driver SQL (JSON by orjson); on SQLite as two
    statements through SQLAlchemy: either way what is read back is what was given, in the order given,
    and the chain holds."""
    person = add_person(
        session, require_person({"external_id": "UA-9", "full_name": "Гнилицький Олег Петрович"}), "test"
    )
    tricky = 'O\'Brien "Олег" \\ Ґ 🙂 Grüße'
    subject = {"records": [{"record_id": "r1", "name": tricky, "birth_date": None}], "nested": {"n": 1.5}}
    rows = [
        {
            "person_id": person.id,
            "list_screening_id": None,
            "screened": {"name": tricky, "document_number": "RU123"},
            "score": 0.9123456789012345,
            "decision": "alert",
            "explanation": {"parts": [{"role": "surname", "similarity": 1.0}], "text": tricky},
            "queued_at": utcnow(),
        }
        for _ in range(3)
    ]
    hits = Attached(cast(Table, QueuedScreeningHit.__table__), "audit_event_id", rows)
    event_id = write_event(
        session, "screen", actor="border-7", via="token", subject=subject, outcome={"hits": 3}, attached=hits
    )
    session.commit()
    session.expire_all()
    event = session.get(AuditEvent, event_id)
    assert event is not None and event.subject == subject and event.outcome == {"hits": 3}
    queued = session.scalars(
        select(QueuedScreeningHit)
        .where(QueuedScreeningHit.audit_event_id == event_id)
        .order_by(QueuedScreeningHit.id)
    )
    read_back = [{column: getattr(hit, column) for column in rows[0]} for hit in queued.all()]
    assert read_back == rows
    seal_chain(session)
    assert verify_chain(session).intact


def test_an_attached_row_that_cannot_be_written_fails_the_audit_row_too(session: Session) -> None:
    """A screening whose hits cannot be queued (here: a person who does not exist) stores nothing and
    answers nothing: the audit row and its hits go in together or not at all."""
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    row = {"person_id": 987654321, "screened": {}, "score": 0.9, "decision": "alert", "explanation": {}}
    hits = Attached(cast(Table, QueuedScreeningHit.__table__), "audit_event_id", [row])
    with pytest.raises(AuditUnavailable):
        write_event(session, "screen", actor="border-7", via="token", attached=hits)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
    assert session.scalar(select(func.count()).select_from(QueuedScreeningHit)) == 0
