"""Storing deliveries of incoming lists: records keyed per source, quarantine of bad rows and of whole
deliveries that look wrong, and re-deliveries that change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from watchlist import incoming
from watchlist.db import utcnow
from watchlist.incoming import (
    abandon_dead_runs,
    content_problem,
    finish_run,
    mark_matched,
    quarantined_rows,
    receive_delivery,
    recent_runs,
    records_to_match,
    start_run,
)
from watchlist.models import Delivery, DeliveryStatus, QuarantinedRow, ReceivedRecord, RunKind, RunStatus
from watchlist.models.runs import MatchBatch

Rows = list[tuple[int, dict[str, Any]]]


def pow_rows(count: int = 4, start: int = 1) -> Rows:
    return [
        (
            number + 1,
            {"record_id": f"POW-{number:03}", "full_name": f"Особа Номер{number}", "birth_date": "1990"},
        )
        for number in range(start, start + count)
    ]


def receive(session: Session, rows: Rows | None, content: bytes | None = None, **kwargs: Any) -> Any:
    content = content if content is not None else repr(rows).encode()
    return receive_delivery(session, "pow", "pow.csv", content, rows, **kwargs)


def table_counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Delivery)) or 0,
        session.scalar(select(func.count()).select_from(ReceivedRecord)) or 0,
        session.scalar(select(func.count()).select_from(QuarantinedRow)) or 0,
    )


def test_a_delivery_stores_its_records_keyed_by_source_and_record_id(session: Session) -> None:
    report = receive(session, pow_rows(4))
    delivery = report.delivery
    assert delivery.status is DeliveryStatus.ACCEPTED
    assert (
        delivery.rows_total,
        delivery.rows_stored,
        delivery.rows_unchanged,
        delivery.rows_quarantined,
    ) == (
        4,
        4,
        0,
        0,
    )
    assert len(delivery.checksum) == 64
    keys = session.scalars(select(ReceivedRecord.record_key).order_by(ReceivedRecord.record_key)).all()
    assert keys == ["POW-001", "POW-002", "POW-003", "POW-004"]
    # the same record id from another source is another record
    receive_delivery(
        session, "border", "border.csv", b"other", [(2, {"record_id": "POW-001", "full_name": "X Y"})]
    )
    assert session.scalar(select(func.count()).select_from(ReceivedRecord)) == 5


def test_records_are_stored_exactly_as_delivered_whatever_characters_they_hold(session: Session) -> None:
    # on PostgreSQL new records go in by COPY, whose text format gives tabs, newlines and backslashes a
    # meaning of their own: what is read back must be what came
    awkward = "Tab\there, new\nline, back\\slash \\N, \"quoted\" 'O'Brien'; Ганна-Марія Ґудзь ʼ 😀"
    rows: Rows = [
        (
            2,
            {
                "record_id": "R\t1",
                "full_name": "О'Брайєн Ганна\\N",
                "birth_date": "\\N",
                "note": awkward,
                "empty": "",
                "crossing_point": "Чонгар\r\nЧаплинка",
            },
        ),
        (3, {"record_id": "R2", "full_name": "Без Дати"}),
    ]
    receive(session, rows)
    stored = {
        record.record_id: record
        for record in session.scalars(select(ReceivedRecord).execution_options(populate_existing=True))
    }
    first, second = stored["R\t1"], stored["R2"]
    assert (first.record_key, first.name, first.birth_date) == ("R\t1", "О'Брайєн Ганна\\N", "\\N")
    assert first.attributes == {"note": awkward, "crossing_point": "Чонгар\r\nЧаплинка"}
    assert (second.birth_date, second.attributes, second.matched_hash) == (None, {}, None)
    assert first.first_seen_at.tzinfo is not None and first.first_seen_at == first.updated_at


def test_a_large_delivery_brings_the_planners_statistics_up_to_date_as_it_goes(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with the counts of before, each slice's look-up of its keys on PostgreSQL read every record of the
    # source, and a million-row delivery took 40 minutes
    monkeypatch.setattr(incoming, "WRITE_BATCH", 50)
    monkeypatch.setattr(incoming, "ANALYSE_FIRST_AT", 100)
    analysed: list[int] = []
    original = incoming.refresh_statistics

    def counting(connection: Any, table: Any) -> None:
        analysed.append(session.scalar(select(func.count()).select_from(ReceivedRecord)) or 0)
        original(connection, table)

    monkeypatch.setattr(incoming, "refresh_statistics", counting)
    receive(session, pow_rows(500))
    # at 100 new records, then each time they doubled, and once the delivery is stored
    assert analysed == [100, 200, 400, 500]
    if session.get_bind().dialect.name == "postgresql":
        planned = session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'incoming_records'"))
        assert planned == 500


def test_the_same_delivery_received_again_changes_nothing(session: Session) -> None:
    rows = pow_rows(3)
    first = receive(session, rows)
    before = table_counts(session)
    again = receive(session, rows)
    assert again.duplicate
    assert again.delivery.id == first.delivery.id
    assert table_counts(session) == before
    assert again.counts()["rows_stored"] == 0


def test_only_new_and_changed_records_wait_for_matching(session: Session) -> None:
    receive(session, pow_rows(3))
    mark_matched(session, records_to_match(session, "pow"))
    assert records_to_match(session, "pow") == []
    rows = pow_rows(3)
    rows[1][1]["full_name"] = "Особа Змінена"
    rows.append((5, {"record_id": "POW-009", "full_name": "Особа Нова"}))
    report = receive(session, rows)
    assert (report.new, report.changed, report.delivery.rows_unchanged) == (1, 1, 2)
    waiting = {pending.record_key: pending.record.name for pending in records_to_match(session, "pow")}
    assert waiting == {"POW-002": "Особа Змінена", "POW-009": "Особа Нова"}


def test_records_without_ids_are_keyed_by_their_content(session: Session) -> None:
    rows: Rows = [
        (2, {"full_name": "Іван Петренко", "birth_date": "1980"}),
        (3, {"full_name": "Петро Іваненко"}),
    ]
    receive(session, rows)
    keys = session.scalars(select(ReceivedRecord.record_key)).all()
    assert len(keys) == 2 and all(key.startswith("sha256:") for key in keys)
    # the same people in another file (other row numbers, other spacing) are the same records
    report = receive(
        session,
        [(7, {"full_name": "Петро Іваненко "}), (9, {"full_name": "Іван Петренко", "birth_date": "1980"})],
        content=b"second file",
    )
    assert (report.new, report.delivery.rows_unchanged) == (0, 2)


def test_rows_that_fail_validation_are_kept_in_quarantine_with_their_reasons(session: Session) -> None:
    rows: Rows = [
        *pow_rows(2),
        (4, {"record_id": "POW-100", "full_name": ""}),
        (5, {"record_id": "POW-101", "full_name": "Я" * 301}),
        (6, {"record_id": "POW-001", "full_name": "Інша Особа"}),
    ]
    report = receive(session, rows)
    assert (report.delivery.rows_stored, report.delivery.rows_quarantined) == (2, 3)
    kept = quarantined_rows(session, report.delivery.id)
    assert [row.row_number for row in kept] == [4, 5, 6]
    assert kept[0].cells == {"record_id": "POW-100", "full_name": ""}
    assert kept[0].errors[0]["field"] == "full_name"
    assert "longer than 300" in kept[1].errors[0]["message"]
    assert "record_id POW-001 appears again (row 2)" in kept[2].errors[0]["message"]


@pytest.mark.parametrize(
    ("content", "rows", "reason"),
    [
        (b"<!DOCTYPE html><html><body>Maintenance</body></html>", pow_rows(2), "is an HTML page"),
        (b"\xef\xbb\xbf  <html><head></head></html>", pow_rows(2), "is an HTML page"),
        (b"", [], "is empty"),
        (b"record_id,full_name\n", [], "holds no records"),
    ],
)
def test_a_delivery_that_looks_wrong_is_quarantined_whole_and_the_previous_data_stays(
    session: Session, content: bytes, rows: Rows, reason: str
) -> None:
    receive(session, pow_rows(4))
    records_before = session.scalars(select(ReceivedRecord.name).order_by(ReceivedRecord.id)).all()
    report = receive(session, rows, content=content)
    assert report.quarantined
    assert report.delivery.reason is not None and reason in report.delivery.reason
    assert session.scalars(select(ReceivedRecord.name).order_by(ReceivedRecord.id)).all() == records_before


def test_a_delivery_far_smaller_than_the_last_good_one_is_quarantined(session: Session) -> None:
    receive(session, pow_rows(10))
    shrunk = receive(session, pow_rows(4), max_shrink=0.5)
    assert shrunk.quarantined
    assert "has 4 rows, more than 50% fewer than the 10" in (shrunk.delivery.reason or "")
    # compared with the last accepted delivery, not the quarantined one
    fine = receive(session, pow_rows(6), max_shrink=0.5)
    assert not fine.quarantined


def test_a_problem_found_by_the_parser_quarantines_the_delivery_with_a_sample(session: Session) -> None:
    report = receive(session, None, content=b'{"records": [ {"id": 1', problem="is not valid JSON")
    assert report.quarantined
    assert report.delivery.reason == "pow.csv is not valid JSON"
    assert report.delivery.sample == '{"records": [ {"id": 1'


def test_content_problem_tells_html_from_data() -> None:
    assert content_problem(b"record_id,full_name\n1,X Y\n") is None
    assert (
        content_problem(b"[]", "text/html; charset=utf-8")
        == "is an HTML page (Content-Type text/html), not a list"
    )
    assert content_problem("<html>".encode("utf-16")) == "is an HTML page, not a list"
    assert content_problem(b" \n\t") == "is empty"


def test_a_run_is_recorded_when_it_starts_and_when_it_ends(session: Session) -> None:
    run = start_run(session, RunKind.IMPORT, "pow")
    assert run.status is RunStatus.RUNNING and run.finished_at is None
    finish_run(session, run, RunStatus.FAILED, {"rows_total": 0}, error="pow.csv: cannot be read")
    latest = recent_runs(session, "pow", limit=1)[0]
    assert latest.id == run.id
    assert latest.status is RunStatus.FAILED
    assert latest.finished_at is not None and latest.finished_at >= latest.started_at
    assert latest.error == "pow.csv: cannot be read"


def test_records_a_full_delivery_no_longer_carries_are_marked_absent_and_kept(session: Session) -> None:
    receive(session, pow_rows(4))
    later = receive(session, pow_rows(3))
    assert later.delivery.rows_absent == 1 and later.counts()["rows_absent"] == 1
    gone = session.scalars(select(ReceivedRecord).where(ReceivedRecord.record_id == "POW-004")).one()
    assert gone.absent_since == later.delivery.received_at
    # still there for the alerts and the audit log that point at it
    assert session.scalar(select(func.count()).select_from(ReceivedRecord)) == 4
    # delivered again, unchanged: present again, and not waiting to be matched once more
    mark_matched(session, records_to_match(session, "pow"))
    back = receive(session, pow_rows(4), content=b"back")
    assert back.delivery.rows_absent == 0 and back.counts()["rows_unchanged"] == 4
    session.refresh(gone)
    assert gone.absent_since is None and gone.last_seen_delivery_id == back.delivery.id
    assert records_to_match(session, "pow") == []


def test_a_delivery_of_changes_only_marks_nothing_absent(session: Session) -> None:
    receive(session, pow_rows(4))
    report = receive(session, pow_rows(3), full=False)
    assert report.delivery.rows_absent == 0
    assert session.scalars(select(ReceivedRecord.absent_since)).all() == [None] * 4


def test_a_streamed_delivery_is_written_slice_by_slice_with_repeats_across_slices_quarantined(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(incoming, "WRITE_BATCH", 3)
    rows = pow_rows(7)
    # the same record id again, in a later slice, and once more in the same slice as its first row
    rows.insert(5, (50, {"record_id": "POW-001", "full_name": "Особа Інша", "birth_date": "1990"}))
    rows.insert(1, (51, {"record_id": "POW-001", "full_name": "Особа Третя", "birth_date": "1990"}))
    taken: list[int] = []

    def stream() -> Iterator[tuple[int, dict[str, Any]]]:
        for row in rows:
            taken.append(row[0])
            yield row

    report = receive_delivery(session, "pow", "pow.csv", b"streamed", stream(), total=len(rows))
    assert taken == [row[0] for row in rows]
    assert report.new == 7 and report.delivery.rows_quarantined == 2
    reasons = {
        row.row_number: row.errors[0]["message"] for row in quarantined_rows(session, report.delivery.id)
    }
    assert reasons == {
        51: "record_id POW-001 appears again (row 2)",
        50: "record_id POW-001 appears again (in an earlier row of this delivery)",
    }
    kept = session.scalars(select(QuarantinedRow).where(QuarantinedRow.row_number == 50)).one()
    assert kept.cells["full_name"] == "Особа Інша"
    assert (
        session.scalars(select(ReceivedRecord.name).where(ReceivedRecord.record_id == "POW-001")).one()
        == "Особа Номер1"
    )


def test_a_streamed_delivery_needs_its_total_to_be_judged_before_it_is_written(session: Session) -> None:
    with pytest.raises(TypeError, match="total"):
        receive_delivery(session, "pow", "pow.csv", b"x", iter(pow_rows(2)))


def test_runs_whose_process_went_silent_are_marked_failed_with_the_reason(session: Session) -> None:
    now = utcnow()
    dead = start_run(session, RunKind.IMPORT, "pow", "host-a:101")
    dead.heartbeat_at = now - timedelta(minutes=20)
    alive = start_run(session, RunKind.MATCH, "pow", "host-a:102")
    alive.heartbeat_at = now - timedelta(minutes=5)
    done = start_run(session, RunKind.FETCH, "pow", "host-a:103")
    finish_run(session, done, RunStatus.SUCCEEDED)
    done.heartbeat_at = now - timedelta(hours=1)
    # a run planned as batches is the workers' to finish (a dead worker's batch is claimed again)
    planned = start_run(session, RunKind.MATCH, None, "host-b:7")
    planned.heartbeat_at = now - timedelta(hours=1)
    session.add(MatchBatch(run_id=planned.id, first_record_id=1, last_record_id=2))
    session.flush()

    abandoned = abandon_dead_runs(session, timedelta(minutes=15), now=now)

    assert [run.id for run in abandoned] == [dead.id]
    assert dead.status is RunStatus.FAILED and dead.finished_at == now
    assert dead.error is not None and dead.error.startswith(
        "abandoned: its process (host-a:101) gave no sign of life since"
    )
    assert (alive.status, done.status, planned.status) == (
        RunStatus.RUNNING,
        RunStatus.SUCCEEDED,
        RunStatus.RUNNING,
    )
    assert abandon_dead_runs(session, timedelta(minutes=15), now=now) == []


def test_a_record_changed_while_it_was_being_matched_keeps_waiting(session: Session) -> None:
    receive(session, pow_rows(3))
    taken = records_to_match(session, "pow")
    renamed = pow_rows(3)
    renamed[2][1]["full_name"] = "Особа Перейменована"
    receive(session, renamed)
    mark_matched(session, taken)
    waiting = records_to_match(session, "pow")
    assert [(pending.record_key, pending.record.name) for pending in waiting] == [
        ("POW-003", "Особа Перейменована")
    ]
    matched = session.scalars(select(ReceivedRecord.matched_hash).order_by(ReceivedRecord.record_key)).all()
    assert matched == [pending.screened_hash for pending in taken]


def test_a_change_the_matcher_does_not_read_is_stored_but_not_matched_again(session: Session) -> None:
    receive(session, pow_rows(2))
    mark_matched(session, records_to_match(session, "pow"))
    moved = pow_rows(2)
    moved[0][1]["camp"] = "Camp 7"
    report = receive(session, moved)
    assert report.changed == 1
    stored = session.scalars(select(ReceivedRecord).where(ReceivedRecord.record_id == "POW-001")).one()
    assert stored.attributes["camp"] == "Camp 7"
    assert records_to_match(session, "pow") == []
    renamed = pow_rows(2)
    renamed[0][1]["full_name"] = "Особа Перейменована"
    receive(session, renamed)
    assert [pending.record_key for pending in records_to_match(session, "pow")] == ["POW-001"]
