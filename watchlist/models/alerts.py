"""Alerts: a watchlist person found in an incoming record or by an official's screening, its triage by
enforcement officers, every later sighting of him, and the full history of who did what."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchlist.db import Base, UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from watchlist.models.incoming import ReceivedRecord
    from watchlist.models.persons import ConvictedPerson
    from watchlist.models.users import User


class AlertStatus(enum.StrEnum):
    # raised, nobody has looked at it yet
    NEW = "new"
    # an officer has taken it up
    ACKNOWLEDGED = "acknowledged"
    # it is him: the person was moved to located or detained
    CONFIRMED = "confirmed"
    # it is not him (or a duplicate, or bad data), with a reason
    DISMISSED = "dismissed"


# the statuses in which an alert still waits for an officer (and takes new sightings)
OPEN_STATUSES = (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED)


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Higher for the more severe: a subscription's minimum severity compares by it."""
        return len(Severity) - 1 - list(Severity).index(self)


class AlertOrigin(enum.StrEnum):
    # a record of an incoming list (POW registry, border log, extradition list)
    RECORD = "record"
    # an official's screening (one person or a list) that hit
    SCREENING = "screening"


class DismissReason(enum.StrEnum):
    DIFFERENT_PERSON = "different_person"
    DUPLICATE = "duplicate"
    DATA_ERROR = "data_error"


class Alert(Base):
    """A watchlist person found in one incoming record (or by one screening), with its triage.

    The (person, record) pair is unique: a record matched again, or re-delivered, never alerts twice, and a
    dismissed pair stays dismissed unless what was matched changed (`fingerprint`).
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("person_id", "record_id", name="uq_alerts_person_id_record_id"),
        Index("ix_alerts_status_raised_at", "status", "raised_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    origin: Mapped[AlertOrigin] = mapped_column(str_enum(AlertOrigin, "alert_origin"))
    # the incoming record (origin record)
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("incoming_records.id", ondelete="CASCADE"), index=True
    )
    # the screening's audit row and, for a list, the list screening (origin screening)
    audit_event_id: Mapped[int | None] = mapped_column(ForeignKey("audit_events.id", ondelete="SET NULL"))
    list_screening_id: Mapped[int | None] = mapped_column(
        ForeignKey("list_screenings.id", ondelete="SET NULL")
    )
    # the incoming record's source name, or `screening`
    source: Mapped[str] = mapped_column(String(64), index=True)
    # pow | border | extradition | screening, when the caller knows it
    source_kind: Mapped[str | None] = mapped_column(String(32), index=True)
    # what an official screened (name, birth date, attributes) when there is no incoming record to show
    screened: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[float] = mapped_column(Float)
    # alert or review (the matcher's decision)
    decision: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    severity: Mapped[Severity] = mapped_column(str_enum(Severity, "alert_severity"), index=True)
    status: Mapped[AlertStatus] = mapped_column(
        str_enum(AlertStatus, "alert_status"), default=AlertStatus.NEW
    )
    dismiss_reason: Mapped[DismissReason | None] = mapped_column(str_enum(DismissReason, "dismiss_reason"))
    # sha256 of what was matched: the person's names and birth date, the record's name and birth date
    fingerprint: Mapped[str] = mapped_column(String(64))
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the last time the person turned up for this alert (its record, or a sighting)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the matching run that raised it
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))

    person: Mapped[ConvictedPerson] = relationship()
    record: Mapped[ReceivedRecord | None] = relationship()
    assigned_to: Mapped[User | None] = relationship()
    events: Mapped[list[AlertEvent]] = relationship(
        back_populates="alert", cascade="all, delete-orphan", order_by="AlertEvent.id"
    )
    sightings: Mapped[list[AlertSighting]] = relationship(
        back_populates="alert", cascade="all, delete-orphan", order_by="AlertSighting.id"
    )


class AlertEvent(Base):
    """One step in an alert's history: who, when, what (raised, acknowledged, assigned, commented, …),
    the fields before and after, and the comment."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the username, or `job:<name>` / `system` for what the matching did
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    # {field: [before, after]}
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comment: Mapped[str | None] = mapped_column(Text)

    alert: Mapped[Alert] = relationship(back_populates="events")


class AlertSighting(Base):
    """The person of an open alert turning up again in the same source (another record, or another
    screening): attached to the alert rather than raised anew."""

    __tablename__ = "alert_sightings"
    # a record is a sighting of one person once, as it is the record of one alert of his once
    __table_args__ = (
        UniqueConstraint("person_id", "record_id", name="uq_alert_sightings_person_id_record_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_records.id", ondelete="CASCADE"))
    audit_event_id: Mapped[int | None] = mapped_column(ForeignKey("audit_events.id", ondelete="SET NULL"))
    screened: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[float] = mapped_column(Float)
    fingerprint: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    alert: Mapped[Alert] = relationship(back_populates="sightings")
    record: Mapped[ReceivedRecord | None] = relationship()


class AlertRead(Base):
    """That a user has opened an alert: what the inbox's unread count leaves out."""

    __tablename__ = "alert_reads"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueuedScreeningHit(Base):
    """A hit of an official's screening, waiting for the `screening-alerts` job to raise its alert.

    The screening writes these in one statement beside its audit row, so the answer to the official
    does not wait for the alert's look-ups (an open alert of the person? a dismissed pair?), which for a
    batch of thousands of hits took minutes; the job raises them through the same operation as every
    other alert a few seconds later.
    """

    __tablename__ = "queued_screening_hits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    audit_event_id: Mapped[int | None] = mapped_column(ForeignKey("audit_events.id", ondelete="SET NULL"))
    list_screening_id: Mapped[int | None] = mapped_column(
        ForeignKey("list_screenings.id", ondelete="SET NULL")
    )
    # the record as screened, the matcher's score, decision and explanation
    screened: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
