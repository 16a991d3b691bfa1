"""Alerts to deliver, made as the alerts feature makes them: raised and enqueued in one transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchlist.alerts import raise_alert
from watchlist.delivery import enqueue_alert
from watchlist.incoming import receive_delivery
from watchlist.models import ReceivedRecord
from watchlist.persons import add_person, require_person


def alert_with_outbox(
    session: Session, severity: str = "high", source_kind: str | None = "pow", region: str | None = None
) -> int:
    """Raise an alert on a new person and record, enqueue it in the same transaction, commit; its id."""
    tag = uuid.uuid4().hex[:8]
    person = add_person(
        session, require_person({"external_id": f"D-{tag}", "full_name": "Гнилицький Олег Петрович"}), "test"
    )
    receive_delivery(
        session, "pow", f"pow-{tag}.csv", tag.encode(), [(2, {"record_id": f"R-{tag}", "full_name": "X"})]
    )
    record_id = session.scalars(select(ReceivedRecord.id).order_by(ReceivedRecord.id.desc())).first()
    assert record_id is not None
    alert, _new = raise_alert(
        session, person_id=person.id, record_id=record_id, score=0.95, decision="alert", explanation={}
    )
    session.flush()
    enqueue_alert(session, alert.id, severity=severity, source_kind=source_kind, region=region)
    session.commit()
    return alert.id
