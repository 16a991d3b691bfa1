"""An official's screening that hits raises an alert of origin `screening`, linked to the screening's audit
row; a possible hit (review) raises none; the same person screened again is a sighting of the open alert.

The screening only queues its hits (one INSERT, in the transaction of its audit row); the scheduler's
`screening-alerts` job raises the alerts a moment later (`raise_queued_screening_alerts`)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from watchlist.alerts import raise_queued_screening_alerts
from watchlist.list_screening import Caller, read_list, screen_next_chunk
from watchlist.models import (
    Alert,
    AlertOrigin,
    AuditEvent,
    ConvictedPerson,
    QueuedScreeningHit,
    Role,
    Severity,
)
from watchlist.persons import add_person, require_person
from watchlist.screening import ScreeningService, incoming_record, screen_records
from watchlist.settings import Settings


def test_a_hit_raises_a_screening_alert_and_a_second_screening_of_him_is_a_sighting(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    person = add_person(
        session,
        require_person(
            {"external_id": "UA-1", "full_name": "Гнилицький Олег Петрович", "birth_date": "1975-03-12"}
        ),
        "test",
    )
    session.commit()
    service = ScreeningService(session_factory, settings)

    def screen(query: dict[str, str]) -> dict[str, object]:
        [result] = screen_records(
            session, service, [incoming_record(query)], action="screen", actor="border-7", via="token"
        )
        return result

    hit = screen({"name": "GNILITSKII OLEG", "birth_date": "12.03.1975", "document_number": "RU123"})
    assert hit["decision"] == "hit"
    # queued with the screening, raised by the job
    assert session.scalar(select(func.count()).select_from(Alert)) == 0
    assert session.scalar(select(func.count()).select_from(QueuedScreeningHit)) == 1
    assert raise_queued_screening_alerts(session) == 1
    assert session.scalar(select(func.count()).select_from(QueuedScreeningHit)) == 0
    alert = session.scalars(select(Alert)).one()
    audit = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert audit is not None and alert.audit_event_id == audit.id
    assert (alert.origin, alert.source, alert.source_kind) == (
        AlertOrigin.SCREENING,
        "screening",
        "screening",
    )
    assert alert.person_id == person.id and alert.record_id is None
    assert alert.screened["name"] == "GNILITSKII OLEG" and alert.screened["document_number"] == "RU123"
    assert alert.severity is Severity.CRITICAL
    # the same query again is the same pair; another spelling is a sighting of the open alert
    screen({"name": "GNILITSKII OLEG", "birth_date": "12.03.1975", "document_number": "RU123"})
    screen({"name": "Hnylytskyi Oleh", "birth_date": "1975"})
    assert raise_queued_screening_alerts(session) == 2
    assert session.scalar(select(func.count()).select_from(Alert)) == 1
    assert [s.screened["name"] for s in alert.sightings] == ["Hnylytskyi Oleh"]
    # a possible hit only (a namesake born twenty years later) raises nothing
    review = screen({"name": "Гнилицький Олег", "birth_date": "1995"})
    assert review["decision"] != "hit"
    assert raise_queued_screening_alerts(session) == 0
    assert session.scalar(select(func.count()).select_from(Alert)) == 1
    assert isinstance(person, ConvictedPerson)


def test_a_hit_in_an_uploaded_list_is_linked_to_the_list_screening(
    session: Session, session_factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    add_person(
        session,
        require_person(
            {"external_id": "UA-2", "full_name": "Кабашний Олександр Іванович", "birth_date": "1978"}
        ),
        "test",
    )
    session.commit()
    path = tmp_path / "checkpoint.csv"
    path.write_text(
        "record_id,full_name,birth_date\nC1,KABASHNYY ALEKSANDR,1978\nC2,Марія Коваленко,1990\n",
        encoding="utf-8",
    )
    screening = read_list(session, path, "checkpoint.csv", "border-7")
    screen_next_chunk(
        session,
        ScreeningService(session_factory, settings),
        screening,
        Caller("border-7", Role.SCREENER, "session"),
    )
    assert raise_queued_screening_alerts(session) == 1
    alert = session.scalars(select(Alert)).one()
    assert alert.list_screening_id == screening.id and alert.origin is AlertOrigin.SCREENING
    assert alert.screened["record_id"] == "C1" and alert.audit_event_id is not None


def test_a_batch_of_hits_is_queued_in_one_statement_and_raised_in_slices(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """A batch screening of many hits writes one queue row per hit; the job raises them in slices of
    `limit`, each slice leaving the rest queued (what a job stopped half way leaves for the next)."""
    for number, name in enumerate(["Гнилицький Олег Петрович", "Кабашний Олександр Іванович"]):
        add_person(
            session,
            require_person({"external_id": f"UA-{number}", "full_name": name, "birth_date": "1975"}),
            "test",
        )
    session.commit()
    queries = [
        {"record_id": f"r{n}", "name": name}
        for n, name in enumerate(
            ["Hnylytskyi Oleh Petrovych", "KABASHNYY ALEKSANDR IVANOVICH", "Oleh Hnylytskyi"]
        )
    ]
    results = screen_records(
        session,
        ScreeningService(session_factory, settings),
        [incoming_record(q) for q in queries],
        action="screen.batch",
        actor="border-7",
        via="token",
    )
    assert [r["decision"] for r in results] == ["hit", "hit", "hit"]
    assert session.scalar(select(func.count()).select_from(QueuedScreeningHit)) == 3
    assert raise_queued_screening_alerts(session, limit=2) == 2
    assert session.scalar(select(func.count()).select_from(QueuedScreeningHit)) == 1
    assert raise_queued_screening_alerts(session, limit=2) == 1
    # the third is a sighting of the first one's open alert: two persons, two alerts
    alerts = session.scalars(select(Alert).order_by(Alert.id)).all()
    assert [a.screened["record_id"] for a in alerts] == ["r0", "r1"]
    assert [s.screened["record_id"] for s in alerts[0].sightings] == ["r2"]
