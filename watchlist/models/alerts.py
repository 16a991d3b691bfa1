"""Alerts: a watchlist person found in an incoming record. Minimal until the alerts feature lands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from watchlist.db import Base, UTCDateTime, utcnow


class Alert(Base):
    """One (person, incoming record) pair the matcher scored at or above the alert threshold.

    The pair is unique: a record matched again, or re-delivered, never alerts twice, and a dismissed
    pair stays dismissed.
    """

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("person_id", "record_id", name="uq_alerts_person_id_record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("incoming_records.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    # alert (the matcher's decision; review candidates are not alerted)
    decision: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # new until an officer confirms or dismisses it (the alerts feature)
    status: Mapped[str] = mapped_column(String(16), default="new")
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # the matching run that raised it
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
