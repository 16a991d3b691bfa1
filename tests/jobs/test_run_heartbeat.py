"""A run's process notes it is alive while it works, so a run left `running` by a dead one can be told
from a long one still going."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jobs.runs import process_name, recorded_run
from watchlist import migrations
from watchlist.db import make_engine
from watchlist.models import Run, RunKind, RunStatus


@pytest.fixture
def own_connections(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on connections of their own, in a database of the test's own: the heartbeat beats from a
    thread of its own, which must not share the test's one connection (two threads on one connection
    interleave their savepoints), and what the run commits (its audit rows, which cannot be deleted) must
    not reach the other tests' database."""
    engine = make_engine(f"sqlite:///{tmp_path / 'heartbeat.db'}")
    migrations.upgrade(engine)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


def test_a_run_beats_a_heartbeat_while_it_works_and_names_its_process(
    own_connections: sessionmaker[Session],
) -> None:
    session_factory = own_connections
    with recorded_run(session_factory, RunKind.IMPORT, "pow", heartbeat_seconds=0.05) as recorder:
        with session_factory() as session:
            started = session.get(Run, recorder.run_id)
            assert started is not None and started.heartbeat_at == started.started_at
        time.sleep(0.4)
        with session_factory() as session:
            working = session.get(Run, recorder.run_id)
            assert working is not None and working.heartbeat_at is not None
            assert working.heartbeat_at > working.started_at
    with session_factory() as session:
        finished = session.get(Run, recorder.run_id)
        assert finished is not None and finished.status is RunStatus.SUCCEEDED
        assert finished.holder == process_name()
