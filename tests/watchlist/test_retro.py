"""Retro-matching: a person added to the watchlist, or renamed, is matched against the incoming records
already stored; each hit alerted once, a dismissed pair left dismissed unless what was matched changed,
every run in the run history."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jobs.retro import retro_pending, run_retro
from jobs.runs import run_matching
from watchlist.alerts import dismiss_alert
from watchlist.db import session_scope
from watchlist.incoming import receive_delivery, recent_runs
from watchlist.models import Alert, ConvictedPerson, ReceivedRecord, RunKind, RunStatus
from watchlist.persons import add_person, find_person, import_persons, require_person, update_person
from watchlist.settings import Settings

# crossed the border last month, before anyone put him on the watchlist
BORDER = [
    (2, {"record_id": "B1", "full_name": "GNILITSKII OLEG", "birth_date": "1993"}),
    (3, {"record_id": "B2", "full_name": "Марія Коваленко", "birth_date": "1990"}),
    (4, {"record_id": "B3", "full_name": "Кабашный Александр Иванович", "birth_date": "1978"}),
    (5, {"record_id": "B4", "full_name": "Hnylytskyi Oleh Petrovych", "birth_date": "02.04.1993"}),
]
OLEH = {"external_id": "T-1", "full_name": "Гнилицький Олег Петрович", "birth_date": "1993-04-02"}


@pytest.fixture
def border(session_factory: sessionmaker[Session], settings: Settings) -> sessionmaker[Session]:
    with session_scope(session_factory) as session:
        receive_delivery(session, "border", "border.csv", b"border", BORDER)
    # matched while the watchlist was empty: nothing found then
    run = run_matching(session_factory, settings, "border")
    assert run.counts["alerts_raised"] == 0
    return session_factory


def alerts(session: Session) -> dict[tuple[str, str], str]:
    rows = session.execute(
        select(ReceivedRecord.record_id, ConvictedPerson.external_id, Alert.status)
        .join(Alert, Alert.record_id == ReceivedRecord.id)
        .join(ConvictedPerson, ConvictedPerson.id == Alert.person_id)
    ).all()
    return {(record_id, external_id): status for record_id, external_id, status in rows}


def test_a_person_added_is_found_in_records_stored_before(
    border: sessionmaker[Session], settings: Settings
) -> None:
    with session_scope(border) as session:
        add_person(session, require_person(OLEH), "officer")
    assert retro_pending(border) == 1
    run = run_retro(border, settings, slice_size=2)
    assert run is not None and run.kind is RunKind.RETRO and run.status is RunStatus.SUCCEEDED
    assert run.counts["persons"] == 1 and run.counts["records_screened"] == len(BORDER)
    assert run.counts["alerts_raised"] == 2
    with border() as session:
        assert alerts(session) == {("B1", "T-1"): "new", ("B4", "T-1"): "new"}
        assert [r.kind for r in recent_runs(session, limit=1)] == [RunKind.RETRO]
    # the queue is empty: nothing more to do, and no empty run recorded
    assert retro_pending(border) == 0
    assert run_retro(border, settings) is None


def test_a_new_name_finds_new_records_and_a_dismissed_pair_comes_back_only_on_a_new_birth_date(
    border: sessionmaker[Session], settings: Settings
) -> None:
    with session_scope(border) as session:
        add_person(
            session,
            require_person({"external_id": "T-2", "full_name": "Петренко Іван", "birth_date": "1978"}),
            "o",
        )
        add_person(session, require_person(OLEH), "officer")
    run_retro(border, settings)
    with session_scope(border) as session:
        alert = session.scalars(
            select(Alert).join(ReceivedRecord).where(ReceivedRecord.record_id == "B1")
        ).one()
        dismiss_alert(session, alert, "different_person", "another man of that name", "officer")
        # a notes change does not alter matching: nothing queued
        person = find_person(session, "T-1")
        update_person(session, person, require_person({**OLEH, "notes": "seen in Kharkiv"}), "officer")
    assert retro_pending(border) == 0
    with session_scope(border) as session:
        person = find_person(session, "T-2")
        update_person(
            session,
            person,
            require_person(
                {"external_id": "T-2", "full_name": "Кабашний Олександр Іванович", "birth_date": "1978"}
            ),
            "officer",
        )
        # Oleh's birth date corrected: he is matched again, and B1, dismissed on the old date, is reopened
        person = find_person(session, "T-1")
        update_person(session, person, require_person({**OLEH, "birth_date": "1993-04-03"}), "officer")
    assert retro_pending(border) == 2
    run = run_retro(border, settings)
    assert run is not None and run.counts["persons"] == 2
    with border() as session:
        found = alerts(session)
        assert found[("B1", "T-1")] == "new"
        assert found[("B3", "T-2")] == "new"
        assert session.scalar(select(func.count()).select_from(Alert)) == 3


def test_an_import_queues_only_the_persons_it_adds_or_renames(
    border: sessionmaker[Session], settings: Settings
) -> None:
    rows = [require_person(OLEH)] + [
        require_person({"external_id": f"F-{n}", "full_name": f"Вигаданий Особа {n}"}) for n in range(30)
    ]
    with session_scope(border) as session:
        summary = import_persons(session, rows, "import")
    assert summary.created == 31 and retro_pending(border) == 31
    run = run_retro(border, settings)
    assert run is not None and run.counts["alerts_raised"] == 2
    with session_scope(border) as session:
        again = import_persons(session, rows, "import")
    assert again.unchanged == 31 and retro_pending(border) == 0


def test_a_retro_run_that_dies_is_done_again_whole_without_a_second_alert(
    border: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(border) as session:
        add_person(session, require_person(OLEH), "officer")
    calls = {"n": 0}
    original = Session.execute

    def die_on_delete(self: Session, statement: object, *args: object, **kwargs: object) -> object:
        if str(statement).startswith("DELETE FROM retro_queue"):
            calls["n"] += 1
            raise RuntimeError("killed before the queue was cleared")
        return original(self, statement, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Session, "execute", die_on_delete)
    with pytest.raises(RuntimeError, match="killed"):
        run_retro(border, settings, slice_size=1)
    monkeypatch.undo()
    with border() as session:
        assert recent_runs(session, limit=1)[0].status is RunStatus.FAILED
        assert len(alerts(session)) == 2
    assert retro_pending(border) == 1
    run = run_retro(border, settings)
    assert run is not None and run.counts["alerts_raised"] == 0 and run.counts["alerts_existing"] == 2
    assert retro_pending(border) == 0
