"""Matching runs: screen the incoming records that are new or changed against the watchlist, raise alerts.

Work goes in batches, each committed with the records it marked as matched, so a run that dies loses at
most one batch of work and the next run picks up where it stopped; `raise_alert` keeps a pair from being
alerted twice whatever happens in between.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from watchlist.alerts import raise_alerts_for
from watchlist.db import session_scope
from watchlist.incoming import beat_run, finish_run, mark_matched, records_to_match, start_run
from watchlist.models import Run, RunKind, RunStatus
from watchlist.screening import WatchlistIndex
from watchlist.settings import Settings

MATCH_BATCH = 1000
# how often a run's process notes it is alive, unless the settings say otherwise
HEARTBEAT_SECONDS = 30.0

log = logging.getLogger(__name__)


@dataclass
class RunRecorder:
    """A run's row: written when it starts (committed at once) and when it ends, each in its own
    transaction, so a failed run is recorded even though its work was rolled back."""

    factory: sessionmaker[Session]
    kind: RunKind
    source: str | None
    run: Run | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    status: RunStatus = RunStatus.SUCCEEDED
    delivery_id: int | None = None

    @property
    def run_id(self) -> int:
        assert self.run is not None
        return self.run.id


def process_name() -> str:
    """This process as the holder of a run or a batch: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Heartbeat:
    """A thread noting every `every` seconds, in its own transaction, that a run's process is alive."""

    def __init__(self, factory: sessionmaker[Session], run_id: int, every: float) -> None:
        self.factory, self.run_id, self.every = factory, run_id, every
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"run-{run_id}-heartbeat", daemon=True)

    def _beat(self) -> None:
        while not self.stopping.wait(self.every):
            try:
                with session_scope(self.factory) as session:
                    beat_run(session, self.run_id)
            except SQLAlchemyError as error:
                # SQLite lets one transaction write at a time: a long import's holds off its heartbeat,
                # which a stale_after longer than the longest transaction absorbs; the next beat tries again
                log.warning("run %d: heartbeat not written (%s)", self.run_id, type(error).__name__)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        self.thread.join()


@contextmanager
def recorded_run(
    factory: sessionmaker[Session],
    kind: RunKind,
    source: str | None,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> Iterator[RunRecorder]:
    """Record a run around the block, its process beating a heartbeat meanwhile: failed with the error
    if it raises (the error goes on up)."""
    recorder = RunRecorder(factory, kind, source)
    with session_scope(factory) as session:
        recorder.run = start_run(session, kind, source, process_name())
    try:
        with Heartbeat(factory, recorder.run.id, heartbeat_seconds):
            yield recorder
    except Exception as error:
        # recorded, then raised on: the caller decides what a failure means
        with session_scope(factory) as session:
            recorder.run = finish_run(
                session,
                recorder.run,
                RunStatus.FAILED,
                recorder.counts,
                error=str(error) or type(error).__name__,
                delivery_id=recorder.delivery_id,
            )
        raise
    with session_scope(factory) as session:
        recorder.run = finish_run(
            session, recorder.run, recorder.status, recorder.counts, delivery_id=recorder.delivery_id
        )


def has_records_to_match(factory: sessionmaker[Session], source: str | None = None) -> bool:
    """Whether any record (of the source) waits to be matched."""
    with factory() as session:
        return bool(records_to_match(session, source, limit=1))


def run_matching(
    factory: sessionmaker[Session],
    settings: Settings,
    source: str | None = None,
    *,
    index: WatchlistIndex | None = None,
    batch_size: int = MATCH_BATCH,
    progress: Callable[[int], None] | None = None,
) -> Run:
    """Match every new or changed record (of one source, or all) against the watchlist and raise an alert
    for each candidate the matcher decides is an alert; returns the run's row."""
    with recorded_run(factory, RunKind.MATCH, source, settings.runs_heartbeat_seconds) as recorder:
        if index is None:
            with factory() as session:
                index = WatchlistIndex.load(session, settings)
        counts = recorder.counts
        counts.update(records_matched=0, alerts_raised=0, alerts_existing=0, review_candidates=0)
        after = 0
        while True:
            with session_scope(factory) as session:
                records = records_to_match(session, source, after, batch_size)
                if not records:
                    break
                results = index.screen_records([pending.record for pending in records])
                for record, result in zip(records, results, strict=True):
                    tally = raise_alerts_for(session, record.id, result["matches"], recorder.run_id)
                    for key, value in tally.items():
                        counts[key] += value
                mark_matched(session, records)
                after = records[-1].id
                counts["records_matched"] += len(records)
            if progress is not None:
                progress(counts["records_matched"])
    assert recorder.run is not None
    return recorder.run
