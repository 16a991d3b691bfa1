"""Incoming lists: each delivery a source sent, the records it carried, the rows kept in quarantine,
and what a source's server told us last time (for conditional requests)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from watchlist.db import Base, UTCDateTime, utcnow


class DeliveryStatus(enum.StrEnum):
    # its records are stored (rows that failed validation are in quarantine)
    ACCEPTED = "accepted"
    # the whole delivery looked wrong (HTML, empty, unreadable, far smaller than the last); nothing of it used
    QUARANTINED = "quarantined"


class Delivery(Base):
    """One file a source delivered, fetched or dropped, with what became of its rows."""

    __tablename__ = "incoming_deliveries"
    # the same bytes from the same source are one delivery, however often they arrive
    __table_args__ = (UniqueConstraint("source", "checksum", name="uq_incoming_deliveries_source_checksum"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    # the source's kind (pow / border / extradition) as declared when it was received; alerts take it
    source_kind: Mapped[str | None] = mapped_column(String(32))
    # sha256 of the delivered bytes, hex
    checksum: Mapped[str] = mapped_column(String(64))
    # the file name or URL it came from
    origin: Mapped[str] = mapped_column(String(1000))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    # why the whole delivery was quarantined
    reason: Mapped[str | None] = mapped_column(Text)
    # the first bytes of a quarantined delivery, as text, so an operator sees what came instead of data
    sample: Mapped[str | None] = mapped_column(Text)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    # new or changed records written
    rows_stored: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    # records of the source this (full) delivery no longer carried: marked absent, never deleted
    rows_absent: Mapped[int] = mapped_column(Integer, default=0)


class ReceivedRecord(Base):
    """One person record of an incoming list, as its source last delivered it.

    Keyed by (source, record key): the source's own record id, or `sha256:<content hash>` for sources
    without ids. `content_hash` covers all it says (a change of any of it is stored); `screened_hash` only
    what the matcher reads (name, birth date). `matched_hash` is the screened hash the matching run last
    screened; a record whose screened hash differs (new, or changed in a way that matters) waits to be
    matched, and one changed back to what was matched does not.
    """

    __tablename__ = "incoming_records"
    __table_args__ = (
        UniqueConstraint("source", "record_key", name="uq_incoming_records_source_record_key"),
        Index("ix_incoming_records_source_pending", "source", "matched_hash"),
        Index("ix_incoming_records_source_last_seen", "source", "last_seen_delivery_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(200))
    # the source's record id, when it gives one
    record_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    # as delivered, in whatever format the source writes dates
    birth_date: Mapped[str | None] = mapped_column(String(200))
    # nationality, document number and every other column the source sent
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    screened_hash: Mapped[str] = mapped_column(String(64))
    matched_hash: Mapped[str | None] = mapped_column(String(64))
    first_delivery_id: Mapped[int] = mapped_column(ForeignKey("incoming_deliveries.id"), index=True)
    last_delivery_id: Mapped[int] = mapped_column(ForeignKey("incoming_deliveries.id"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the newest accepted delivery that carried the record, changed or not
    last_seen_delivery_id: Mapped[int | None] = mapped_column(Integer)
    # when a full delivery of its source first came without it; None while the source still delivers it.
    # Kept, not deleted: alerts and the audit log point at it
    absent_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuarantinedRow(Base):
    """A row of an accepted delivery that failed validation: its cells as delivered and every reason."""

    __tablename__ = "incoming_quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("incoming_deliveries.id", ondelete="CASCADE"), index=True
    )
    row_number: Mapped[int | None] = mapped_column(Integer)
    cells: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{field, message}] as FieldError.to_dict gives them
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class SourceState(Base):
    """What a source's server said last time, sent back so an unchanged list costs one 304."""

    __tablename__ = "incoming_source_states"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
