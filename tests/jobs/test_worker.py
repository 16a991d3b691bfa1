"""`watchlist worker`: several worker processes share a matching run's batches (claimed with SKIP LOCKED
on PostgreSQL), and a worker killed mid-batch loses nothing: its batch is claimed again after the
timeout, and the run ends with every record matched and every hit alerted once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jobs.worker import plan_run
from watchlist import migrations
from watchlist.db import make_engine, session_scope
from watchlist.incoming import receive_delivery
from watchlist.models import Alert, ConvictedPerson, ReceivedRecord, Run, RunStatus
from watchlist.models.runs import BatchStatus, MatchBatch
from watchlist.persons import add_person, require_person

pytestmark = pytest.mark.slow

WATCHLIST = [
    {"external_id": "T-1", "full_name": "Гнилицький Олег Петрович", "birth_date": "1993-04-02"},
    {"external_id": "T-2", "full_name": "Кабашний Олександр Іванович", "birth_date": "1978"},
]
HITS = [
    {"record_id": "H1", "full_name": "GNILITSKII OLEG", "birth_date": "1993"},
    {"record_id": "H2", "full_name": "Кабашный Александр Иванович", "birth_date": "1978"},
    {"record_id": "H3", "full_name": "Hnylytskyi Oleh Petrovych", "birth_date": "02.04.1993"},
]
EXPECTED = {("H1", "T-1"), ("H2", "T-2"), ("H3", "T-1")}
RECORDS = 600
ENV = {"WATCHLIST_SECRET_KEY": "worker-test-secret-key-0123456789"}


@pytest.fixture
def planned(process_database: str) -> Iterator[sessionmaker[Session]]:
    """A database with the watchlist, 600 border crossings among which three hits, and a run planned."""
    if not process_database.startswith("postgresql"):
        pytest.skip("workers share a run on PostgreSQL (on SQLite one worker at a time)")
    engine = make_engine(process_database)
    migrations.upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    rows = [
        (n + 2, {"record_id": f"C{n}", "full_name": "Іваненко Марко Петрович", "birth_date": "1970"})
        for n in range(RECORDS)
    ]
    rows[100], rows[300], rows[500] = ((102, HITS[0]), (302, HITS[1]), (502, HITS[2]))
    with session_scope(factory) as session:
        for data in WATCHLIST:
            add_person(session, require_person(data), "test")
        receive_delivery(session, "border", "border.csv", b"border", rows)
    run = plan_run(factory, batch_size=25)
    assert run is not None and run.counts["batches"] == RECORDS // 25
    yield factory
    engine.dispose()


def _worker(database: str, log: Path, *options: str) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).parent / "watchlist"), "--database-url", database, "worker", *options]
    with log.open("wb") as handle:
        return subprocess.Popen(command, env={**os.environ, **ENV}, stdout=handle, stderr=subprocess.STDOUT)


def _alerted(session: Session) -> set[tuple[str | None, str]]:
    rows = session.execute(
        select(ReceivedRecord.record_id, ConvictedPerson.external_id)
        .join(Alert, Alert.record_id == ReceivedRecord.id)
        .join(ConvictedPerson, ConvictedPerson.id == Alert.person_id)
    ).all()
    return {(record_id, external_id) for record_id, external_id in rows}


def _run_finished(factory: sessionmaker[Session]) -> Run:
    with factory() as session:
        run = session.scalars(select(Run)).one()
        assert run.status is RunStatus.SUCCEEDED
        assert run.counts["records_matched"] == RECORDS
        assert run.counts["alerts_raised"] == len(EXPECTED)
        assert _alerted(session) == EXPECTED
        assert session.scalar(select(func.count()).select_from(Alert)) == len(EXPECTED)
        pending = session.scalar(
            select(func.count())
            .select_from(ReceivedRecord)
            .where(ReceivedRecord.matched_hash.is_distinct_from(ReceivedRecord.screened_hash))
        )
        assert pending == 0
        return run


def test_two_workers_share_a_run(
    planned: sessionmaker[Session], process_database: str, tmp_path: Path
) -> None:
    logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
    # each batch held a moment, so the run lasts long enough for both to take part
    workers = [
        _worker(process_database, log, "--exit-when-idle", "--pause-after-claim", "0.1") for log in logs
    ]
    statuses = [worker.wait(timeout=300) for worker in workers]
    output = "\n---\n".join(log.read_text(encoding="utf-8") for log in logs)
    assert statuses == [0, 0], output
    run = _run_finished(planned)
    assert run.counts["workers"] == 2, output
    with planned() as session:
        claimers = session.execute(
            select(MatchBatch.claimed_by, func.count()).group_by(MatchBatch.claimed_by)
        ).all()
        assert sum(count for _by, count in claimers) == RECORDS // 25
        assert all(b.attempts == 1 for b in session.scalars(select(MatchBatch)))


def test_a_worker_killed_mid_batch_loses_nothing(
    planned: sessionmaker[Session], process_database: str, tmp_path: Path
) -> None:
    doomed = _worker(
        process_database, tmp_path / "doomed.log", "--pause-after-claim", "60", "--poll-seconds", "0.2"
    )
    deadline = time.monotonic() + 60
    with planned() as session:
        while time.monotonic() < deadline:
            session.expire_all()
            held = session.scalars(select(MatchBatch).where(MatchBatch.status == BatchStatus.CLAIMED)).first()
            if held is not None:
                break
            time.sleep(0.1)
            session.rollback()
        assert held is not None, (tmp_path / "doomed.log").read_text(encoding="utf-8")
        killed_batch = held.id
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=30)
    survivor_log = tmp_path / "survivor.log"
    survivor = _worker(
        process_database, survivor_log, "--exit-when-idle", "--claim-timeout", "2", "--poll-seconds", "0.5"
    )
    assert survivor.wait(timeout=300) == 0, survivor_log.read_text(encoding="utf-8")
    _run_finished(planned)
    with planned() as session:
        batch = session.get(MatchBatch, killed_batch)
        assert batch is not None and batch.status is BatchStatus.DONE and batch.attempts == 2
        assert batch.claimed_by != held.claimed_by


def test_two_workers_raising_alerts_in_every_batch_do_not_deadlock(
    process_database: str, tmp_path: Path
) -> None:
    if not process_database.startswith("postgresql"):
        pytest.skip("workers share a run on PostgreSQL")
    engine = make_engine(process_database)
    migrations.upgrade(engine)
    try:
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        # a hit in every batch: each batch's alerts take a key-share lock on the run's row before the batch
        # locks that row to see whether the run is done
        rows = [
            (
                n + 2,
                HITS[n % 3] if n % 5 == 0 else {"record_id": f"C{n}", "full_name": "Іваненко Марко Петрович"},
            )
            for n in range(400)
        ]
        rows = [(number, {**data, "record_id": f"C{number}"}) for number, data in rows]
        with session_scope(factory) as session:
            for data in WATCHLIST:
                add_person(session, require_person(data), "test")
            receive_delivery(session, "border", "border.csv", b"border", rows)
        run = plan_run(factory, batch_size=10)
        assert run is not None
        logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
        workers = [_worker(process_database, log, "--exit-when-idle") for log in logs]
        statuses = [worker.wait(timeout=300) for worker in workers]
        output = "\n---\n".join(log.read_text(encoding="utf-8") for log in logs)
        assert statuses == [0, 0], output
        assert "released for another try" not in output and "deadlock" not in output.lower()
        with factory() as session:
            done = session.get(Run, run.id)
            assert done is not None and done.status is RunStatus.SUCCEEDED
            assert done.counts["records_matched"] == 400 and done.counts["alerts_raised"] == 80
    finally:
        engine.dispose()
