"""raise_alert: one alert per (person, incoming record), whatever happens to either afterwards."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchlist.alerts import alerts_for_records, raise_alert
from watchlist.incoming import receive_delivery
from watchlist.models import Alert, ReceivedRecord
from watchlist.persons import add_person, require_person


def test_the_same_pair_is_alerted_once_and_a_dismissed_pair_stays_dismissed(session: Session) -> None:
    person = add_person(
        session, require_person({"external_id": "T-1", "full_name": "Гнилицький Олег"}), "test"
    )
    receive_delivery(
        session, "pow", "pow.csv", b"1", [(2, {"record_id": "P1", "full_name": "GNILITSKII OLEG"})]
    )
    record = session.scalars(select(ReceivedRecord)).one()
    alert, new = raise_alert(
        session, person_id=person.id, record_id=record.id, score=0.93, decision="alert", explanation={"x": 1}
    )
    assert new and alert.status == "new"
    alert.status = "dismissed"
    session.flush()
    again, new_again = raise_alert(
        session, person_id=person.id, record_id=record.id, score=0.97, decision="alert", explanation={}
    )
    assert not new_again
    assert again.id == alert.id and again.status == "dismissed" and again.score == 0.93
    assert session.scalar(select(func.count()).select_from(Alert)) == 1
    assert [a.id for a in alerts_for_records(session, [record.id])] == [alert.id]
