"""The audit log: who consulted or changed what, when, from where; rows chained by hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from watchlist.db import Base, UTCDateTime, utcnow

# the hash the first row of a new chain links to
GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    """One consultation or change. Rows are only ever added (a trigger refuses UPDATE and DELETE but for
    sealing and the retention job's pruning of the chain's start), and each links to the one before.

    `content_hash` (sha256 over the canonical JSON of the row's content) is written with the row; the
    sealer then gives it its place in the chain (`chain_seq`), `prev_hash` (the row before's `row_hash`)
    and `row_hash` (sha256 over id, place, `prev_hash`, `content_hash`), so an edited, deleted or
    inserted row breaks the chain.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_actor_occurred_at", "actor", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # the username, or `anonymous`, or `cli:<os user>` / `job:<name>` for work outside a request
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str | None] = mapped_column(String(16))
    # token | session | cli | job | web
    via: Mapped[str] = mapped_column(String(16))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    # screen | screen_batch | person_view | … (the catalogue is watchlist.audit.EVENT_CLASSES)
    action: Mapped[str] = mapped_column(String(64), index=True)
    # what was searched or looked at: the query as given
    subject: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # what was shown: counts, the ids of persons disclosed
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    # set once by the sealer, under the chain lock: the place in the chain (gapless) and the links
    chain_seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class AuditChain(Base):
    """The head of the chain (one row, id 1): the last row sealed and the anchor the chain starts from.

    Sealers lock this row (PostgreSQL `FOR UPDATE`; SQLite's BEGIN IMMEDIATE already serialises them), so
    two processes sealing at once cannot fork the chain. Pruning moves the anchor: rows up to place
    `anchor_seq` were deleted by retention, and the first remaining row links to `anchor_hash`.
    """

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    anchor_seq: Mapped[int] = mapped_column(Integer, default=0)
    anchor_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    anchored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
