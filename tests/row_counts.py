"""Counting the rows of the tables a request may write, to show that a refused one wrote nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchlist.models import (
    AuditEvent,
    ConvictedPerson,
    Conviction,
    Delivery,
    ListScreening,
    ListScreeningRow,
    PersonChange,
    PersonName,
    QuarantinedRow,
    ReceivedRecord,
)

TABLES = {
    "persons": ConvictedPerson,
    "names": PersonName,
    "convictions": Conviction,
    "changes": PersonChange,
    "deliveries": Delivery,
    "records": ReceivedRecord,
    "quarantined": QuarantinedRow,
    "list_screenings": ListScreening,
    "list_rows": ListScreeningRow,
}


def row_counts(session: Session) -> dict[str, int]:
    """The number of rows of each table a request of the watchlist's doors can write."""
    session.expire_all()
    return {
        name: session.scalar(select(func.count()).select_from(model)) or 0 for name, model in TABLES.items()
    }


def audit_actions(session: Session, after: int = 0) -> list[str]:
    """The actions of the audit rows written after the row with id `after`, in order."""
    session.expire_all()
    return list(
        session.scalars(select(AuditEvent.action).where(AuditEvent.id > after).order_by(AuditEvent.id))
    )


def last_audit_id(session: Session) -> int:
    """The id of the newest audit row, 0 when there is none."""
    return session.scalar(select(func.max(AuditEvent.id))) or 0
