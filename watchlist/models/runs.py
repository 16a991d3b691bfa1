"""Run history: every import, fetch and matching run, with its outcome."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from watchlist.db import Base, UTCDateTime, utcnow


class RunKind(enum.StrEnum):
    IMPORT = "import"
    FETCH = "fetch"
    MATCH = "match"
    # watchlist persons added or renamed, matched against every stored incoming record
    RETRO = "retro"


class RunStatus(enum.StrEnum):
    # started and not finished: still going, or its process died (the start time tells which)
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    # the server had nothing new (304), or the delivery was one already received
    UNCHANGED = "unchanged"
    # the delivery looked wrong and was quarantined whole; the previous data stays in use
    QUARANTINED = "quarantined"
    FAILED = "failed"


def _values(kind: type[enum.Enum]) -> list[str]:
    return [member.value for member in kind]


class Run(Base):
    """One run: written when it starts (in its own transaction) and again when it ends."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_source_started_at", "source", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[RunKind] = mapped_column(
        Enum(RunKind, native_enum=False, length=16, values_callable=_values)
    )
    # the source name; None for a run over every source
    source: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[RunStatus] = mapped_column(
        Enum(RunStatus, native_enum=False, length=16, values_callable=_values), default=RunStatus.RUNNING
    )
    # rows / records / alerts counted by the run, by name
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the delivery an import or fetch run received, when it received one
    delivery_id: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    # the process doing the run (host:pid) and when it last said it was alive; a run whose heartbeat is
    # older than `runs_stale_after_seconds` belongs to a dead process and is marked failed
    holder: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RetroRequest(Base):
    """A watchlist person to match against every stored incoming record, queued in the transaction that
    added him or changed his names, so the request commits or vanishes with the change itself."""

    __tablename__ = "retro_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SchedulerLease(Base):
    """Who runs the scheduler (SQLite; PostgreSQL uses an advisory lock): the holder renews `expires_at`
    while alive, and another scheduler takes the row over only once it has expired."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BatchStatus(enum.StrEnum):
    PENDING = "pending"
    # a worker took it at `claimed_at`; taken again by another once the claim times out
    CLAIMED = "claimed"
    DONE = "done"


class MatchBatch(Base):
    """A slice of a matching run's records (ids first..last) that one worker claims and matches."""

    __tablename__ = "match_batches"
    __table_args__ = (Index("ix_match_batches_run_id_status", "run_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    first_record_id: Mapped[int] = mapped_column(Integer)
    last_record_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[BatchStatus] = mapped_column(
        Enum(BatchStatus, native_enum=False, length=16, values_callable=_values), default=BatchStatus.PENDING
    )
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    records_matched: Mapped[int] = mapped_column(Integer, default=0)
    alerts_raised: Mapped[int] = mapped_column(Integer, default=0)
