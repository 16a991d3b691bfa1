"""The scheduler: jobs declared with stable ids, a missed night caught up once, one active scheduler
however many are started (a lease row on SQLite, an advisory lock on PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from jobs.scheduler import AdvisoryLease, RowLease, catch_up_jobs, job_specs, missed
from jobs.sources.config import load_sources
from watchlist import migrations
from watchlist.db import make_engine, session_scope
from watchlist.incoming import start_run
from watchlist.models import Delivery, Run, RunKind
from watchlist.models.runs import SchedulerLease
from watchlist.settings import Settings

NIGHTLY = "15 2 * * *"


def sources_file(tmp_path: Path, folder: Path) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[sources.border]\nkind = "border"\nformat = "csv"\nschedule = "{NIGHTLY}"\nfolder = "{folder}"\n',
        encoding="utf-8",
    )
    return path


def test_jobs_have_stable_ids_and_a_missed_night_is_caught_up_once(
    tmp_path: Path, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    config = load_sources(sources_file(tmp_path, tmp_path))
    specs = job_specs(session_factory, settings, config)
    assert [spec.id for spec in specs] == [
        "fetch:border",
        "match",
        "retro",
        "runs:sweep",
        "screening-alerts",
        "audit-seal",
        "audit-prune",
    ]
    trigger = specs[0].trigger
    morning = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert missed(trigger, morning - timedelta(hours=7), morning)  # 01:00, before the 02:15 run
    assert not missed(trigger, datetime(2026, 11, 24, 2, 15, 3, tzinfo=UTC), morning)
    # three nights down: one catch-up, not three
    assert missed(trigger, morning - timedelta(days=3), morning)
    assert [job.id for job in catch_up_jobs(session_factory, config, specs)] == ["fetch:border:catch-up"]
    with session_scope(session_factory) as session:
        start_run(session, RunKind.FETCH, "border")
    assert catch_up_jobs(session_factory, config, specs) == []


def test_the_lease_row_has_one_holder_until_it_expires(session_factory: sessionmaker[Session]) -> None:
    first, second = RowLease(session_factory, "host:1"), RowLease(session_factory, "host:2")
    assert first.acquire() and not second.acquire()
    assert first.acquire()  # renewed
    with session_scope(session_factory) as session:
        # the first holder died and stopped renewing
        session.execute(update(SchedulerLease).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert second.acquire() and not first.acquire()
    second.release()
    assert first.acquire()
    first.release()


def test_the_advisory_lock_has_one_holder_and_goes_with_its_connection(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    other = create_engine(engine.url)
    try:
        first, second = AdvisoryLease(engine, "host:1"), AdvisoryLease(other, "host:2")
        assert first.acquire() and not second.acquire()
        assert first.acquire()
        assert first.connection is not None
        backend = first.connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with other.connect() as killer:
            # the holder's connection dropped, as when its process is killed
            killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        time.sleep(0.2)
        assert second.acquire() and not first.acquire()
        second.release()
    finally:
        other.dispose()


ENV = {"WATCHLIST_SECRET_KEY": "scheduler-test-secret-key-0123456789"}


@pytest.mark.slow
def test_two_schedulers_started_at_once_run_the_missed_fetch_exactly_once(
    tmp_path: Path, process_database: str
) -> None:
    engine = make_engine(process_database)
    migrations.upgrade(engine)
    folder = tmp_path / "drop"
    folder.mkdir()
    delivered = folder / "border_2026-11-24.csv"
    delivered.write_text(
        "record_id,full_name,birth_date\nB1,Марія Коваленко,1990\nB2,Петро Сидоренко,1985\n", encoding="utf-8"
    )
    os.utime(delivered, (time.time() - 3600, time.time() - 3600))
    sources = sources_file(tmp_path, folder)
    command = [str(Path(sys.executable).parent / "watchlist"), "--database-url", process_database]
    command += ["scheduler", "--sources-file", str(sources), "--exit-after", "6", "--poll-seconds", "1"]
    logs = [tmp_path / f"scheduler-{n}.log" for n in (1, 2)]
    processes = []
    for log in logs:
        with log.open("wb") as handle:
            processes.append(
                subprocess.Popen(command, env={**os.environ, **ENV}, stdout=handle, stderr=subprocess.STDOUT)
            )
    statuses = [process.wait(timeout=120) for process in processes]
    output = "\n---\n".join(log.read_text(encoding="utf-8") for log in logs)
    assert statuses == [0, 0], output
    assert "active (holds the lease)" in output
    factory = sessionmaker(bind=engine)
    with factory() as session:
        fetches = session.scalars(select(Run).where(Run.kind == RunKind.FETCH)).all()
        assert len(fetches) == 1, output
        assert session.scalar(select(func.count()).select_from(Delivery)) == 1
        # both stopped cleanly: the lease (row) is free for the next one
        assert session.scalar(select(func.count()).select_from(SchedulerLease)) == 0
    assert output.count("catch up") <= 1, output
    engine.dispose()
