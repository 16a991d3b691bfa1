"""The watchlist: convicted persons, their names, convictions and the history of changes."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchlist.db import Base, UTCDateTime, str_enum, utcnow


class PersonStatus(enum.StrEnum):
    WANTED = "wanted"
    LOCATED = "located"
    DETAINED = "detained"
    SERVING = "serving"
    CLOSED = "closed"


class DatePrecision(enum.StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class NameKind(enum.StrEnum):
    # the name as written in the verdict
    PRIMARY = "primary"
    # another name the person is known by (another language, a former surname, a nickname)
    ALIAS = "alias"
    # a Latin spelling found in an identity document (passport, visa)
    DOCUMENT = "document"


class ConvictedPerson(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[PersonStatus] = mapped_column(
        str_enum(PersonStatus, "person_status"), default=PersonStatus.WANTED, index=True
    )
    # a partial date is stored on the first day of its month or year; the precision says which
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_date_precision: Mapped[DatePrecision | None] = mapped_column(
        str_enum(DatePrecision, "date_precision")
    )
    birth_place: Mapped[str | None] = mapped_column(String(255))
    citizenship: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    close_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    names: Mapped[list[PersonName]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonName.id"
    )
    convictions: Mapped[list[Conviction]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Conviction.id"
    )
    changes: Mapped[list[PersonChange]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonChange.id"
    )

    @property
    def primary_name(self) -> str:
        for name in self.names:
            if name.kind is NameKind.PRIMARY:
                return name.name
        return self.names[0].name if self.names else ""

    def birth_date_text(self) -> str | None:
        """The birth date at its precision: `1975-03-12`, `1975-03` or `1975`."""
        if self.birth_date is None:
            return None
        if self.birth_date_precision is DatePrecision.YEAR:
            return f"{self.birth_date.year:04d}"
        if self.birth_date_precision is DatePrecision.MONTH:
            return f"{self.birth_date.year:04d}-{self.birth_date.month:02d}"
        return self.birth_date.isoformat()


class PersonName(Base):
    __tablename__ = "person_names"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(512))
    # `persons.fold_name` of `name` (normalised, case folded): the name-substring filter compares this,
    # because SQLite's LIKE and lower() fold ASCII letters only and Cyrillic names must be found whatever
    # their case
    folded: Mapped[str] = mapped_column(String(512), index=True)
    kind: Mapped[NameKind] = mapped_column(str_enum(NameKind, "name_kind"), default=NameKind.ALIAS)
    # ISO 15924 code computed from the letters: Cyrl, Latn, Mixed, …
    script: Mapped[str] = mapped_column(String(8))

    person: Mapped[ConvictedPerson] = relationship(back_populates="names")


class Conviction(Base):
    __tablename__ = "convictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    case_number: Mapped[str | None] = mapped_column(String(128))
    court: Mapped[str | None] = mapped_column(String(255))
    article: Mapped[str | None] = mapped_column(String(255))
    sentence: Mapped[str | None] = mapped_column(String(255))
    verdict_date: Mapped[date | None] = mapped_column(Date)
    in_absentia: Mapped[bool] = mapped_column(Boolean, default=True)
    appeal_status: Mapped[str | None] = mapped_column(String(255))

    person: Mapped[ConvictedPerson] = relationship(back_populates="convictions")


class PersonChange(Base):
    """One change to a person: who made it, when, and the fields before and after."""

    __tablename__ = "person_changes"
    __table_args__ = (Index("ix_person_changes_person_id_changed_at", "person_id", "changed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the user name, `import:<file>` or `cli`
    changed_by: Mapped[str] = mapped_column(String(128))
    # created | updated | closed | reopened | imported
    action: Mapped[str] = mapped_column(String(32))
    # {field: [before, after]}
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    person: Mapped[ConvictedPerson] = relationship(back_populates="changes")


class WatchlistRevision(Base):
    """One row whose version goes up with every change to the watchlist; match indexes compare it."""

    __tablename__ = "watchlist_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
