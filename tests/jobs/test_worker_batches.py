"""A planned run's batches worked in this process (SQLite or PostgreSQL): every record matched once,
every hit alerted once, the run recorded when its last batch is done, no second plan while one is open."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jobs.worker import Worker, claim_batch, open_batches, plan_run
from watchlist.db import session_scope
from watchlist.incoming import receive_delivery, recent_runs
from watchlist.models import RunKind, RunStatus
from watchlist.models.runs import MatchBatch
from watchlist.persons import add_person, require_person
from watchlist.settings import Settings

INCOMING = [
    (2, {"record_id": "R1", "full_name": "GNILITSKII OLEG", "birth_date": "1993"}),
    (3, {"record_id": "R2", "full_name": "Марія Коваленко", "birth_date": "1990"}),
    (4, {"record_id": "R3", "full_name": "Кабашный Александр Иванович", "birth_date": "1978"}),
    (5, {"record_id": "R4", "full_name": "Петро Сидоренко", "birth_date": "1985"}),
    (6, {"record_id": "R5", "full_name": "Hnylytskyi Oleh Petrovych", "birth_date": "02.04.1993"}),
]


def test_a_planned_run_is_worked_batch_by_batch_and_recorded_once(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with session_scope(session_factory) as session:
        add_person(
            session,
            require_person(
                {"external_id": "T-1", "full_name": "Гнилицький Олег Петрович", "birth_date": "1993-04-02"}
            ),
            "t",
        )
        add_person(
            session,
            require_person(
                {"external_id": "T-2", "full_name": "Кабашний Олександр Іванович", "birth_date": "1978"}
            ),
            "t",
        )
        receive_delivery(session, "pow", "pow.csv", b"pow", INCOMING)
    run = plan_run(session_factory, batch_size=2)
    assert run is not None and run.counts == {"batches": 3}
    # a run still open is not planned twice
    assert plan_run(session_factory, batch_size=2) is None
    lines: list[str] = []
    worker = Worker(session_factory, settings, "here:1", poll_seconds=0.01, echo=lines.append)
    assert worker.run(exit_when_idle=True) == 3
    assert open_batches(session_factory) == 0 and claim_batch(session_factory, "here:1") is None
    with session_factory() as session:
        done = recent_runs(session, limit=1)[0]
        assert done.id == run.id and done.kind is RunKind.MATCH and done.status is RunStatus.SUCCEEDED
        assert done.counts == {"batches": 3, "records_matched": 5, "alerts_raised": 3, "workers": 1}
        assert [b.records_matched for b in session.scalars(select(MatchBatch).order_by(MatchBatch.id))] == [
            2,
            2,
            1,
        ]
    # everything matched: nothing to plan
    assert plan_run(session_factory) is None
