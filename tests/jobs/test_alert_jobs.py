"""The scheduler's screening-alerts job: the hits officials' screenings queued become alerts, a slice per
transaction, and a queue left half done by a stopped job is finished by the next one."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jobs.alerts import screening_alerts_job
from watchlist.models import Alert, AlertOrigin, QueuedScreeningHit
from watchlist.persons import add_person, require_person
from watchlist.screening import ScreeningService, incoming_record, screen_records
from watchlist.settings import Settings

NAMES = ["Гнилицький Олег Петрович", "Кабашний Олександр Іванович", "Коваленко Марія Степанівна"]
QUERIES = ["Hnylytskyi Oleh Petrovych", "KABASHNYY ALEKSANDR IVANOVICH", "Kovalenko Mariia Stepanivna"]


def test_the_job_raises_every_queued_hit_in_slices_and_empties_the_queue(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    for number, name in enumerate(NAMES):
        add_person(
            session,
            require_person({"external_id": f"UA-{number}", "full_name": name, "birth_date": "1975"}),
            "test",
        )
    session.commit()
    screen_records(
        session,
        ScreeningService(session_factory, settings),
        [incoming_record({"record_id": f"r{n}", "name": name}) for n, name in enumerate(QUERIES)],
        action="screen.batch",
        actor="border-7",
        via="token",
    )
    session.commit()
    assert session.scalar(select(func.count()).select_from(QueuedScreeningHit)) == 3

    # slices of 2: two transactions, one run of the job
    screening_alerts_job(session_factory, slice_size=2)()
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(QueuedScreeningHit)) == 0
    alerts = session.scalars(select(Alert).order_by(Alert.id)).all()
    assert [(a.origin, a.screened["record_id"]) for a in alerts] == [
        (AlertOrigin.SCREENING, "r0"),
        (AlertOrigin.SCREENING, "r1"),
        (AlertOrigin.SCREENING, "r2"),
    ]
    # nothing queued: the next run raises nothing more
    screening_alerts_job(session_factory, slice_size=2)()
    assert session.scalar(select(func.count()).select_from(Alert)) == 3
