"""Operations on the audit log: every consultation and change is added here, never edited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from watchlist.db import utcnow
from watchlist.models import AuditEvent, Role


def record_event(
    session: Session,
    action: str,
    *,
    actor: str,
    via: str,
    role: Role | str | None = None,
    remote_addr: str | None = None,
    subject: Mapping[str, Any] | None = None,
    outcome: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit row in the caller's transaction: if it cannot be written, the caller's work fails too."""
    event = AuditEvent(**_values(action, actor, via, role, remote_addr, subject, outcome))
    session.add(event)
    session.flush()
    return event


def write_event(
    session: Session,
    action: str,
    *,
    actor: str,
    via: str,
    role: Role | str | None = None,
    remote_addr: str | None = None,
    subject: Mapping[str, Any] | None = None,
    outcome: Mapping[str, Any] | None = None,
) -> int:
    """Write one audit row in the caller's transaction now, as one INSERT, and return its id; as
    `record_event`, but for the hot path of screening, which needs no ORM object back. A failed write
    raises here, before any answer."""
    result = session.connection().execute(
        insert(cast(Table, AuditEvent.__table__)),
        _values(action, actor, via, role, remote_addr, subject, outcome),
    )
    key = result.inserted_primary_key
    assert key is not None  # a single-row INSERT always has one
    return int(key[0])


def _values(
    action: str,
    actor: str,
    via: str,
    role: Role | str | None,
    remote_addr: str | None,
    subject: Mapping[str, Any] | None,
    outcome: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return {
        "occurred_at": utcnow(),
        "action": action,
        "actor": actor[:128],
        "via": via,
        "role": str(role.value if isinstance(role, Role) else role) if role is not None else None,
        "remote_addr": remote_addr,
        "subject": dict(subject or {}),
        "outcome": dict(outcome or {}),
    }
