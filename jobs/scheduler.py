"""`watchlist scheduler`: one process that fetches each source on its schedule, matches what waits, and
works off the retro-matching queue — and only one such process active, however many are started.

The jobs are data (`JobSpec`: a stable id, a trigger, a function), so the schedule reads in one place and
the ids stay the same from one start to the next. Before it schedules anything a process takes the
lease: a PostgreSQL advisory lock held on a connection of its own (it goes with the connection, so a
killed scheduler frees it at once), or on SQLite a lock row with holder and expiry that the active one
renews and a standby takes over only once it has expired. A standby waits and tries again.

Downtime: APScheduler keeps its jobs in memory and knows nothing of a night it missed, so at start the
scheduler compares each source's last fetch in the run history with its cron schedule and, when a fire
time passed unfetched, fetches it once at once (`coalesce`: several missed nights are one catch-up).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any, Protocol

from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.date import DateTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy import delete, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from jobs.alerts import SCREENING_ALERTS_TRIGGER, screening_alerts_job
from jobs.audit import PRUNE_TRIGGER, SEAL_TRIGGER, prune_job, seal_job
from jobs.retro import run_retro
from jobs.runs import has_records_to_match, run_matching
from jobs.sources.config import Source, SourcesConfig
from jobs.sources.receive import fetch_source
from jobs.worker import plan_run
from watchlist.db import session_scope, utcnow
from watchlist.incoming import abandon_dead_runs
from watchlist.models import Run, RunKind
from watchlist.models.runs import SchedulerLease
from watchlist.settings import Settings

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
# a SQLite lease not renewed for this long is taken over by a standby
LEASE_TTL = timedelta(seconds=60)
# a job that could not start on time (the process was busy or paused) still runs this late, once
MISFIRE_GRACE_SECONDS = 12 * 3600


def holder_name() -> str:
    """This process as a lease holder: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Lease(Protocol):
    holder: str

    def acquire(self) -> bool:
        """Take the lease (or keep it); whether this process holds it now."""

    def release(self) -> None:
        """Give the lease up, if held."""


class AdvisoryLease:
    """PostgreSQL: a session-level advisory lock on a connection kept open while the lease is held."""

    def __init__(self, engine: Engine, holder: str, name: str = LEASE_NAME) -> None:
        self.engine = engine
        self.holder = holder
        # advisory locks take a bigint; a stable hash of the name keeps the key the same across processes
        self.key = zlib.crc32(f"watchlist:{name}".encode())
        self.connection: Connection | None = None

    def acquire(self) -> bool:
        if self.connection is not None:
            try:
                # the lock lives as long as the connection: alive means still held
                self.connection.execute(text("SELECT 1"))
                return True
            except Exception:  # noqa: BLE001 - a broken connection means the lock is gone
                broken, self.connection = self.connection, None
                broken.invalidate()
                broken.close()
                return False
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        taken = bool(
            connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
        )
        if taken:
            self.connection = connection
        else:
            connection.close()
        return taken

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            finally:
                self.connection.close()
                self.connection = None


class RowLease:
    """SQLite (no advisory locks): one row with holder and expiry, taken in a write transaction."""

    def __init__(
        self, factory: sessionmaker[Session], holder: str, name: str = LEASE_NAME, ttl: timedelta = LEASE_TTL
    ) -> None:
        self.factory = factory
        self.holder = holder
        self.name = name
        self.ttl = ttl

    def acquire(self) -> bool:
        now = utcnow()
        with session_scope(self.factory) as session:
            lease = session.get(SchedulerLease, self.name, with_for_update=True)
            if lease is None:
                session.add(SchedulerLease(name=self.name, holder=self.holder, expires_at=now + self.ttl))
                return True
            if lease.holder != self.holder and lease.expires_at > now:
                return False
            lease.holder, lease.expires_at = self.holder, now + self.ttl
            return True

    def release(self) -> None:
        with session_scope(self.factory) as session:
            session.execute(
                delete(SchedulerLease).where(
                    SchedulerLease.name == self.name, SchedulerLease.holder == self.holder
                )
            )


def lease_for(engine: Engine, factory: sessionmaker[Session], holder: str) -> Lease:
    """The lease that fits the database."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLease(engine, holder)
    return RowLease(factory, holder)


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: a stable id, when it runs, and what it does."""

    id: str
    trigger: BaseTrigger
    func: Callable[[], Any]
    description: str


def _fetch_job(
    factory: sessionmaker[Session], settings: Settings, config: SourcesConfig, source: Source
) -> Callable[[], Any]:
    def fetch() -> None:
        outcome = fetch_source(factory, settings, config, source)
        log.info("fetch %s: %d deliveries", source.name, len(outcome.received))

    return fetch


def job_specs(
    factory: sessionmaker[Session],
    settings: Settings,
    config: SourcesConfig,
    *,
    match_every: float = 300,
    retro_every: float = 60,
    with_workers: bool = False,
) -> list[JobSpec]:
    """Every job the scheduler runs: each scheduled source's fetch, matching what waits, retro-matching,
    the alerts of screenings' hits, the audit log's sealing and pruning.

    With `with_workers` the match job only plans a run's batches, and `watchlist worker` processes match
    them; otherwise the scheduler matches in its own process.
    """

    def match() -> None:
        # a fetch matches what it brought itself; this takes what a failed or killed run left waiting
        if with_workers:
            plan_run(factory)
        elif has_records_to_match(factory):
            run_matching(factory, settings)

    def retro() -> None:
        run_retro(factory, settings)

    specs = [
        JobSpec(
            f"fetch:{source.name}",
            trigger,
            _fetch_job(factory, settings, config, source),
            f"fetch {source.name} ({source.schedule})",
        )
        for source in config.sources.values()
        if (trigger := source.trigger()) is not None
    ]

    def sweep() -> None:
        with session_scope(factory) as session:
            for run in abandon_dead_runs(session, timedelta(seconds=settings.runs_stale_after_seconds)):
                log.warning("run %d marked failed: %s", run.id, run.error)

    specs.append(JobSpec("match", IntervalTrigger(seconds=match_every), match, "match waiting records"))
    specs.append(JobSpec("retro", IntervalTrigger(seconds=retro_every), retro, "retro-match queued persons"))
    # at the scheduler's start (runs a killed scheduler left `running`), then now and then
    sweep_every = max(60.0, settings.runs_stale_after_seconds / 3)
    specs.append(
        JobSpec(
            "runs:sweep",
            IntervalTrigger(seconds=sweep_every, start_date=utcnow() - timedelta(seconds=sweep_every - 1)),
            sweep,
            "mark runs of dead processes failed",
        )
    )
    specs.append(
        JobSpec(
            "screening-alerts",
            SCREENING_ALERTS_TRIGGER,
            screening_alerts_job(factory),
            "raise the alerts of screenings' hits",
        )
    )
    specs.append(JobSpec("audit-seal", SEAL_TRIGGER, seal_job(factory), "seal new audit rows into the chain"))
    specs.append(JobSpec("audit-prune", PRUNE_TRIGGER, prune_job(factory, settings), "prune the audit log"))
    return specs


def last_fetch_at(session: Session, source: str) -> datetime | None:
    """When the source was last fetched or imported (any outcome)."""
    return session.scalar(
        select(Run.started_at)
        .where(Run.source == source, Run.kind.in_([RunKind.FETCH, RunKind.IMPORT]))
        .order_by(Run.started_at.desc())
        .limit(1)
    )


def missed(trigger: BaseTrigger, last_at: datetime | None, now: datetime) -> bool:
    """Whether a fire time of the trigger passed since `last_at` (never fetched counts as missed)."""
    if last_at is None:
        return True
    due = trigger.get_next_fire_time(None, last_at + timedelta(seconds=1))
    return due is not None and due <= now


def catch_up_jobs(
    factory: sessionmaker[Session], config: SourcesConfig, specs: list[JobSpec]
) -> list[JobSpec]:
    """One run now for each fetch whose scheduled time passed while no scheduler ran."""
    now = utcnow()
    sources = {f"fetch:{name}": name for name in config.sources}
    caught: list[JobSpec] = []
    with factory() as session:
        for spec in specs:
            name = sources.get(spec.id)
            if name is not None and missed(spec.trigger, last_fetch_at(session, name), now):
                caught.append(
                    JobSpec(f"{spec.id}:catch-up", DateTrigger(now, timezone=UTC), spec.func, "catch up")
                )
    return caught


@dataclass
class SchedulerProcess:
    """The scheduler's life: wait for the lease, schedule the jobs, renew the lease, stop cleanly."""

    factory: sessionmaker[Session]
    lease: Lease
    specs: Callable[[], list[JobSpec]]
    config: SourcesConfig
    poll_seconds: float = 5.0
    exit_after: float | None = None
    echo: Callable[[str], None] = print

    def __post_init__(self) -> None:
        self.stopping = threading.Event()
        self.scheduler: BlockingScheduler | None = None

    def stop(self, *_args: object) -> None:
        """Ask the scheduler to stop (safe from a signal handler, a timer or a job)."""
        self.stopping.set()

    def _stopper(self, scheduler: BlockingScheduler) -> None:
        # shutting down from inside a job breaks APScheduler's bookkeeping of that job: do it from here
        self.stopping.wait()
        # asked to stop just as it starts: wait for it to be running, then stop it
        for _ in range(100):
            if scheduler.running:
                scheduler.shutdown(wait=False)
                return
            time.sleep(0.05)

    def _wait_for_lease(self, deadline: float | None) -> bool:
        while not self.stopping.is_set():
            if self.lease.acquire():
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            self.stopping.wait(self.poll_seconds)
        return False

    def run(self) -> int:
        """Run until stopped (or `exit_after` seconds); 0 on a clean stop, 1 when the lease was lost."""
        deadline = time.monotonic() + self.exit_after if self.exit_after is not None else None
        self.echo(f"scheduler {self.lease.holder}: waiting for the lease")
        if not self._wait_for_lease(deadline):
            self.echo(f"scheduler {self.lease.holder}: standby, stopped without the lease")
            return 0
        self.echo(f"scheduler {self.lease.holder}: active (holds the lease)")
        lost = threading.Event()
        scheduler = BlockingScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        )
        self.scheduler = scheduler
        try:
            specs = self.specs()
            for spec in [*specs, *catch_up_jobs(self.factory, self.config, specs)]:
                scheduler.add_job(
                    spec.func, spec.trigger, id=spec.id, name=spec.description, replace_existing=True
                )
                self.echo(f"  job {spec.id}: {spec.description}")

            def renew() -> None:
                if not self.lease.acquire():
                    lost.set()
                    self.echo(f"scheduler {self.lease.holder}: LEASE LOST, stopping")
                    self.stop()

            renew_every = max(1.0, min(self.poll_seconds, LEASE_TTL.total_seconds() / 3))
            scheduler.add_job(renew, IntervalTrigger(seconds=renew_every), id="lease:renew", name="renew")
            if deadline is not None:
                timer = threading.Timer(max(0.0, deadline - time.monotonic()), self.stop)
                timer.daemon = True
                timer.start()
            threading.Thread(target=self._stopper, args=(scheduler,), daemon=True).start()
            if not self.stopping.is_set():
                scheduler.start()
        finally:
            self.lease.release()
            self.echo(f"scheduler {self.lease.holder}: stopped")
        return 1 if lost.is_set() else 0


def install_signal_handlers(process: SchedulerProcess) -> None:
    """SIGTERM and SIGINT stop the scheduler cleanly (the lease is released for a standby)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        process.stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
