"""Matching runs: new and changed records screened in batches, one alert per pair, a run row per run, and
a run that dies part-way resumed by the next without losing or repeating anything."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jobs.runs import has_records_to_match, run_matching
from watchlist.db import session_scope
from watchlist.incoming import receive_delivery, recent_runs
from watchlist.models import Alert, ConvictedPerson, ReceivedRecord, RunKind, RunStatus
from watchlist.persons import add_person, require_person
from watchlist.settings import Settings

WATCHLIST = [
    {"external_id": "T-1", "full_name": "Гнилицький Олег Петрович", "birth_date": "1993-04-02"},
    {"external_id": "T-2", "full_name": "Кабашний Олександр Іванович", "birth_date": "1978"},
]
# two hits, two people on no list, a hit again (another record of the same man)
INCOMING = [
    (2, {"record_id": "R1", "full_name": "GNILITSKII OLEG", "birth_date": "1993"}),
    (3, {"record_id": "R2", "full_name": "Марія Коваленко", "birth_date": "1990"}),
    (4, {"record_id": "R3", "full_name": "Кабашный Александр Иванович", "birth_date": "1978"}),
    (5, {"record_id": "R4", "full_name": "Петро Сидоренко", "birth_date": "1985"}),
    (6, {"record_id": "R5", "full_name": "Hnylytskyi Oleh Petrovych", "birth_date": "02.04.1993"}),
]


@pytest.fixture
def stored(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_scope(session_factory) as session:
        for data in WATCHLIST:
            add_person(session, require_person(data), "test")
        receive_delivery(session, "pow", "pow.csv", b"first", INCOMING)
    return session_factory


def alerted(session: Session) -> set[tuple[str, str]]:
    rows = session.execute(
        select(ReceivedRecord.record_id, ConvictedPerson.external_id)
        .join(Alert, Alert.record_id == ReceivedRecord.id)
        .join(ConvictedPerson, ConvictedPerson.id == Alert.person_id)
    ).all()
    return {(record_id, external_id) for record_id, external_id in rows}


EXPECTED = {("R1", "T-1"), ("R3", "T-2"), ("R5", "T-1")}


def test_a_run_alerts_each_hit_once_and_records_what_it_did(
    stored: sessionmaker[Session], settings: Settings
) -> None:
    run = run_matching(stored, settings, "pow", batch_size=2)
    assert run.kind is RunKind.MATCH and run.status is RunStatus.SUCCEEDED
    assert run.counts["records_matched"] == 5
    assert run.counts["alerts_raised"] == 3
    with stored() as session:
        assert alerted(session) == EXPECTED
        alert = session.scalars(
            select(Alert).join(ReceivedRecord).where(ReceivedRecord.record_id == "R1")
        ).one()
        assert alert.decision == "alert" and alert.score >= settings.matching_alert_threshold
        assert alert.run_id == run.id and alert.explanation
    assert not has_records_to_match(stored, "pow")
    again = run_matching(stored, settings, "pow")
    assert again.counts["records_matched"] == 0


def test_a_run_that_dies_part_way_is_resumed_by_the_next_with_no_pair_alerted_twice(
    stored: sessionmaker[Session], settings: Settings
) -> None:
    def die_after_first_batch(done: int) -> Any:
        raise RuntimeError(f"killed after {done} records")

    with pytest.raises(RuntimeError, match="killed after 2 records"):
        run_matching(stored, settings, "pow", batch_size=2, progress=die_after_first_batch)
    with stored() as session:
        failed = recent_runs(session, "pow", limit=1)[0]
        assert failed.status is RunStatus.FAILED and failed.error == "killed after 2 records"
        # the batch done before the failure is kept
        assert alerted(session) == {("R1", "T-1")}
    resumed = run_matching(stored, settings, "pow", batch_size=2)
    assert resumed.counts["records_matched"] == 3
    with stored() as session:
        assert alerted(session) == EXPECTED
        assert session.scalar(select(func.count()).select_from(Alert)) == 3


def test_only_changed_records_are_matched_again(stored: sessionmaker[Session], settings: Settings) -> None:
    run_matching(stored, settings, "pow")
    changed = list(INCOMING)
    changed[1] = (3, {"record_id": "R2", "full_name": "Марія Коваленко", "birth_date": "1991"})
    with session_scope(stored) as session:
        receive_delivery(session, "pow", "pow.csv", b"second", changed)
    run = run_matching(stored, settings, "pow")
    assert run.counts["records_matched"] == 1
    assert run.counts["alerts_raised"] == 0


def _deliver(factory: sessionmaker[Session], content: bytes, changes: dict[str, dict[str, str]]) -> None:
    rows = [(number, changes.get(cells["record_id"], cells)) for number, cells in INCOMING]
    with session_scope(factory) as session:
        receive_delivery(session, "pow", "pow.csv", content, rows)


def test_a_record_changed_and_changed_back_is_matched_on_each_change_and_alerted_once_per_pair(
    stored: sessionmaker[Session], settings: Settings
) -> None:
    run_matching(stored, settings, "pow")
    maria = dict(INCOMING[1][1])
    # R2 (no hit) becomes the man on the watchlist, then goes back, then becomes him again
    him = {"record_id": "R2", "full_name": "Гнилицкий Олег Петрович", "birth_date": "02.04.1993"}
    _deliver(stored, b"B", {"R2": him})
    became = run_matching(stored, settings, "pow")
    assert (became.counts["records_matched"], became.counts["alerts_raised"]) == (1, 1)
    with session_scope(stored) as session:
        alert = session.scalars(
            select(Alert).join(ReceivedRecord).where(ReceivedRecord.record_id == "R2")
        ).one()
        alert.status = "dismissed"
    _deliver(stored, b"A", {"R2": maria})
    back = run_matching(stored, settings, "pow")
    assert (back.counts["records_matched"], back.counts["alerts_raised"]) == (1, 0)
    _deliver(stored, b"B again", {"R2": him})
    again = run_matching(stored, settings, "pow")
    # matched again, as it changed; the pair has its alert already, dismissed it stays
    assert again.counts["records_matched"] == 1
    assert (again.counts["alerts_raised"], again.counts["alerts_existing"]) == (0, 1)
    with stored() as session:
        assert alerted(session) == EXPECTED | {("R2", "T-1")}
        statuses = session.scalars(
            select(Alert.status).join(ReceivedRecord).where(ReceivedRecord.record_id == "R2")
        ).all()
        assert statuses == ["dismissed"]


def test_a_record_changed_and_changed_back_before_any_run_is_not_matched_again(
    stored: sessionmaker[Session], settings: Settings
) -> None:
    run_matching(stored, settings, "pow")
    renamed = {"record_id": "R1", "full_name": "GNILITSKII OLEG", "birth_date": "1993-04-02"}
    _deliver(stored, b"B", {"R1": renamed})
    _deliver(stored, b"A", {})
    # as it reads now is what the last run matched: nothing to do, nothing alerted again
    assert not has_records_to_match(stored, "pow")
    with stored() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 3
