"""Run history: every import, fetch and matching run, with its outcome."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from watchlist.db import Base, UTCDateTime, utcnow


class RunKind(enum.StrEnum):
    IMPORT = "import"
    FETCH = "fetch"
    MATCH = "match"


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
