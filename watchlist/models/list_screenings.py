"""A list of incoming records uploaded by an official, screened in chunks, and each row's result."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchlist.db import Base, UTCDateTime, str_enum, utcnow


class ListState(enum.StrEnum):
    # the file's columns do not say which is the name: the uploader must map them first
    MAPPING = "mapping"
    # rows are being screened, a chunk per request
    SCREENING = "screening"
    DONE = "done"


class RowState(enum.StrEnum):
    PENDING = "pending"
    SCREENED = "screened"
    # the row cannot be screened (no name, a field too long, more cells than columns); `errors` say why
    INVALID = "invalid"


class ListScreening(Base):
    """One uploaded list: who uploaded it, its columns and their mapping, and how far screening has got.

    The state lives here rather than in a worker's memory so that any web worker can screen the next chunk
    or report progress.
    """

    __tablename__ = "list_screenings"
    __table_args__ = (Index("ix_list_screenings_owner_created_at", "owner", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the username of the official who uploaded the list; only they (and admins) see it
    owner: Mapped[str] = mapped_column(String(128))
    file_name: Mapped[str] = mapped_column(String(255))
    state: Mapped[ListState] = mapped_column(str_enum(ListState, "list_state"), default=ListState.MAPPING)
    # the file's header, in order
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    # incoming-list field -> the file's column it is read from
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    screened_rows: Mapped[int] = mapped_column(Integer, default=0)
    invalid_rows: Mapped[int] = mapped_column(Integer, default=0)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    possible_hits: Mapped[int] = mapped_column(Integer, default=0)

    rows: Mapped[list[ListScreeningRow]] = relationship(
        back_populates="screening", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )


class ListScreeningRow(Base):
    """One row of an uploaded list: its cells as read, and once screened its result."""

    __tablename__ = "list_screening_rows"
    __table_args__ = (
        Index("ix_list_screening_rows_screening_id_position", "screening_id", "position", unique=True),
        Index("ix_list_screening_rows_screening_id_state", "screening_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("list_screenings.id", ondelete="CASCADE"))
    # the order of the rows in the file, from 0
    position: Mapped[int] = mapped_column(Integer)
    # the row number a person looking at the file sees (the header is row 1)
    row_number: Mapped[int] = mapped_column(Integer)
    cells: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[RowState] = mapped_column(str_enum(RowState, "list_row_state"), default=RowState.PENDING)
    record_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    birth_date: Mapped[str | None] = mapped_column(String(200))
    # hit | possible_hit | no_hit once screened
    decision: Mapped[str | None] = mapped_column(String(16))
    best_score: Mapped[float | None] = mapped_column(Float)
    # the screening result of the row: candidates with explanation and person details
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # why the row cannot be screened: [{field, message}], one per bad field
    errors: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)

    screening: Mapped[ListScreening] = relationship(back_populates="rows")
