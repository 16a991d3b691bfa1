"""The audit log: who consulted or changed what, when, from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from watchlist.db import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """One consultation or change. Rows are only ever added (the one place that records who searched whom)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_actor_occurred_at", "actor", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # the username, or `anonymous`, or `cli:<os user>` / `job:<name>` for work outside a request
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str | None] = mapped_column(String(16))
    # token | session | cli | job
    via: Mapped[str] = mapped_column(String(16))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    # screen | screen_batch | person_view | …
    action: Mapped[str] = mapped_column(String(64), index=True)
    # what was searched or looked at: the query as given
    subject: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # what was shown: counts, the ids of persons disclosed
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
