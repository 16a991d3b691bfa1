"""Alerts to deliver, made as the alerts feature makes them: raised and enqueued in one transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchlist.alerts import raise_alert
from watchlist.incoming import receive_delivery
from watchlist.models import ReceivedRecord
from watchlist.persons import add_person, require_person

# the decision and person status that make each severity (watchlist.alerts.severity_of)
_MAKES_SEVERITY = {
    "critical": ("alert", "wanted"),
    "high": ("alert", "located"),
    "medium": ("review", "wanted"),
    "low": ("review", "detained"),
}


def alert_with_outbox(
    session: Session, severity: str = "high", source_kind: str | None = "pow", region: str | None = None
) -> int:
    """Raise an alert of the severity, kind and region on a new person and record, commit; its id. The
    alerts operations queue its e-mails and webhooks in the same transaction."""
    decision, status = _MAKES_SEVERITY[severity]
    tag = uuid.uuid4().hex[:8]
    person = add_person(
        session,
        require_person(
            {"external_id": f"D-{tag}", "full_name": "Гнилицький Олег Петрович", "status": status}
        ),
        "test",
    )
    row = {"record_id": f"R-{tag}", "full_name": "X", **({"region": region} if region else {})}
    receive_delivery(session, "pow", f"pow-{tag}.csv", tag.encode(), [(2, row)])
    record_id = session.scalars(select(ReceivedRecord.id).order_by(ReceivedRecord.id.desc())).first()
    assert record_id is not None
    alert, _new = raise_alert(
        session,
        person_id=person.id,
        record_id=record_id,
        score=0.95,
        decision=decision,
        explanation={},
        source_kind=source_kind,
    )
    assert alert.severity.value == severity
    session.commit()
    return alert.id
