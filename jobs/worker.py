"""`watchlist worker`: matching work split into batches that several worker processes share.

A matching run is planned as batches of record ids (`plan_run`); each worker claims the next batch with
`SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL: two workers never take the same batch and never wait for
each other), commits the claim, then matches the batch and marks it done in one transaction with the
alerts and the records' matched marks. A worker killed mid-batch has committed nothing of it: the batch
stays claimed, and once its claim is older than the timeout another worker claims it again. The worker
that finishes a run's last batch (the run's row locked, so exactly one sees it last) records its end.

SQLite has no row locks: there the claim is serialised by SQLite's one writer, which is correct but makes
every worker wait for the others' writes, so one worker at a time is what to run on SQLite.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from jobs.runs import process_name
from watchlist.alerts import raise_alerts_for
from watchlist.db import session_scope, utcnow
from watchlist.incoming import (
    abandon_dead_runs,
    finish_run,
    mark_matched,
    records_to_match,
    start_run,
    waiting_record_ids,
)
from watchlist.models import Run, RunKind, RunStatus
from watchlist.models.runs import BatchStatus, MatchBatch
from watchlist.screening import WatchlistIndex
from watchlist.settings import Settings

log = logging.getLogger(__name__)

# a batch large enough that the matcher shares it among forked processes, one per CPU (`screen_many`)
BATCH_SIZE = 10_000
# a claim older than this is taken to belong to a dead worker and the batch is claimed again
CLAIM_TIMEOUT = timedelta(minutes=10)


def worker_name() -> str:
    """This process as a batch's claimer: host and pid."""
    return process_name()


def plan_run(
    factory: sessionmaker[Session], source: str | None = None, batch_size: int = BATCH_SIZE
) -> Run | None:
    """Start a matching run for the records waiting to be matched, split into batches for the workers;
    None when nothing waits or a planned run is still being worked (its batches cover what waits)."""
    with session_scope(factory) as session:
        open_batches = session.scalar(
            select(MatchBatch.id).where(MatchBatch.status != BatchStatus.DONE).limit(1)
        )
        if open_batches is not None:
            return None
        pending = records_to_match(session, source, 0, 1)
        if not pending:
            return None
        run = start_run(session, RunKind.MATCH, source, process_name())
        batches = 0
        ids = waiting_record_ids(session, source)
        while chunk := list(itertools.islice(ids, batch_size)):
            session.add(MatchBatch(run_id=run.id, first_record_id=chunk[0], last_record_id=chunk[-1]))
            batches += 1
        run.counts = {"batches": batches}
        return run


def open_batches(factory: sessionmaker[Session]) -> int:
    """How many batches are not done (pending, or claimed by a worker)."""
    with factory() as session:
        return len(session.scalars(select(MatchBatch.id).where(MatchBatch.status != BatchStatus.DONE)).all())


@dataclass(frozen=True)
class Claim:
    batch_id: int
    run_id: int
    first_record_id: int
    last_record_id: int
    source: str | None


def claim_batch(
    factory: sessionmaker[Session], worker: str, timeout: timedelta = CLAIM_TIMEOUT
) -> Claim | None:
    """Claim the next batch no live worker holds (a pending one, or one whose claim timed out)."""
    now = utcnow()
    with session_scope(factory) as session:
        batch = session.scalars(
            select(MatchBatch)
            .where(
                or_(
                    MatchBatch.status == BatchStatus.PENDING,
                    (MatchBatch.status == BatchStatus.CLAIMED) & (MatchBatch.claimed_at < now - timeout),
                )
            )
            .order_by(MatchBatch.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if batch is None:
            return None
        batch.status, batch.claimed_by, batch.claimed_at = BatchStatus.CLAIMED, worker, now
        batch.attempts += 1
        source = session.scalar(select(Run.source).where(Run.id == batch.run_id))
        return Claim(batch.id, batch.run_id, batch.first_record_id, batch.last_record_id, source)


def release_claim(factory: sessionmaker[Session], claim: Claim, worker: str) -> None:
    """Give a claimed batch back (pending again) when its work failed in this worker."""
    with session_scope(factory) as session:
        session.execute(
            update(MatchBatch)
            .where(
                MatchBatch.id == claim.batch_id,
                MatchBatch.claimed_by == worker,
                MatchBatch.status == BatchStatus.CLAIMED,
            )
            .values(status=BatchStatus.PENDING, claimed_by=None, claimed_at=None)
        )


def work_batch(
    factory: sessionmaker[Session], index: WatchlistIndex, claim: Claim, worker: str
) -> tuple[int, int]:
    """Match a claimed batch, raise its alerts and mark it done; (records matched, alerts raised)."""
    with session_scope(factory) as session:
        span = claim.last_record_id - claim.first_record_id + 1
        records = [
            record
            for record in records_to_match(session, claim.source, claim.first_record_id - 1, span)
            if record.id <= claim.last_record_id
        ]
        raised = 0
        # a worker is single-threaded: the matcher may fork, one process per CPU, for a large batch
        results = index.screen_records([pending.record for pending in records], workers=None)
        for record, result in zip(records, results, strict=True):
            raised += raise_alerts_for(session, record.id, result["matches"], claim.run_id)["alerts_raised"]
        mark_matched(session, records)
        # the run's row locked: of two workers finishing its last batches, exactly one sees it done. FOR NO
        # KEY UPDATE, because each alert inserted above holds FOR KEY SHARE on it (its run_id foreign key):
        # FOR UPDATE would wait for the other worker's share while it waits for ours, a deadlock
        run = session.get(Run, claim.run_id, with_for_update={"key_share": True})
        session.execute(
            update(MatchBatch)
            .where(MatchBatch.id == claim.batch_id)
            .values(status=BatchStatus.DONE, records_matched=len(records), alerts_raised=raised)
        )
        left = session.scalar(
            select(MatchBatch.id)
            .where(MatchBatch.run_id == claim.run_id, MatchBatch.status != BatchStatus.DONE)
            .limit(1)
        )
        if run is not None:
            run.heartbeat_at = utcnow()
        if left is None and run is not None and run.status is RunStatus.RUNNING:
            batches = session.scalars(select(MatchBatch).where(MatchBatch.run_id == claim.run_id)).all()
            finish_run(
                session,
                run,
                RunStatus.SUCCEEDED,
                {
                    "batches": len(batches),
                    "records_matched": sum(b.records_matched for b in batches),
                    "alerts_raised": sum(b.alerts_raised for b in batches),
                    "workers": len({b.claimed_by for b in batches}),
                },
            )
        return len(records), raised


@dataclass
class Worker:
    """A worker process's loop: claim, match, repeat; idle when nothing is left."""

    factory: sessionmaker[Session]
    settings: Settings
    name: str
    timeout: timedelta = CLAIM_TIMEOUT
    poll_seconds: float = 5.0
    # tests and demonstrations: hold each claimed batch this long before matching it
    pause_after_claim: float = 0.0
    echo: Callable[[str], None] = print

    def run(self, exit_when_idle: bool = False, should_stop: Callable[[], bool] = lambda: False) -> int:
        """Work batches until stopped (or, with `exit_when_idle`, until none is left); batches done."""
        with session_scope(self.factory) as session:
            # runs whose process died before this worker started are marked failed, not left `running`
            stale_after = timedelta(seconds=self.settings.runs_stale_after_seconds)
            for run in abandon_dead_runs(session, stale_after):
                log.warning("run %d marked failed: %s", run.id, run.error)
        with self.factory() as session:
            index = WatchlistIndex.load(session, self.settings)
        done = 0
        while not should_stop():
            claim = claim_batch(self.factory, self.name, self.timeout)
            if claim is None:
                # a batch another worker holds may still come back (its worker may die): wait for it
                left = open_batches(self.factory)
                if exit_when_idle and not left:
                    break
                # batches held by others end soon (or come back when their worker died): look again soon
                time.sleep(min(self.poll_seconds, 0.2) if left else self.poll_seconds)
                continue
            if self.pause_after_claim:
                time.sleep(self.pause_after_claim)
            with self.factory() as session:
                index.refresh(session)
            try:
                records, raised = work_batch(self.factory, index, claim, self.name)
            except OperationalError as error:
                # a deadlock, a dropped connection: nothing of the batch was committed; give it back
                log.warning(
                    "batch %d failed (%s); released for another try", claim.batch_id, type(error).__name__
                )
                release_claim(self.factory, claim, self.name)
                time.sleep(self.poll_seconds)
                continue
            done += 1
            self.echo(f"worker {self.name}: batch {claim.batch_id} of run {claim.run_id}: {records} records")
            log.info("batch %d: %d alerts raised", claim.batch_id, raised)
        return done
