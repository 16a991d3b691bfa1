"""Operations on the audit log: every consultation and change is added here, never edited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

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
    event = AuditEvent(
        action=action,
        actor=actor[:128],
        via=via,
        role=str(role.value if isinstance(role, Role) else role) if role is not None else None,
        remote_addr=remote_addr,
        subject=dict(subject or {}),
        outcome=dict(outcome or {}),
    )
    session.add(event)
    session.flush()
    return event
