"""Incoming lists: store a delivery and its records, quarantine what cannot be used, record runs.

Fetching and parsing live in `jobs/sources`; they hand a delivery's bytes and rows to `receive_delivery`,
which holds the rules: the same bytes twice are one delivery; a delivery that looks wrong is quarantined
whole and the previous data stays in use; a row that fails validation is kept in quarantine with its
reasons; a record is keyed by (source, record id), or by its content when the source gives no ids, and
only new or changed records wait for the matching run. Operations flush and never commit.
"""

from __future__ import annotations

import codecs
import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Table, bindparam, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from watchlist.audit import audit
from watchlist.db import bulk_insert, refresh_statistics, utcnow
from watchlist.exc import FieldError, ValidationFailed
from watchlist.models import (
    Alert,
    Delivery,
    DeliveryStatus,
    QuarantinedRow,
    ReceivedRecord,
    Run,
    RunKind,
    RunStatus,
    SourceState,
)
from watchlist.models.runs import MatchBatch
from watchlist.screening import IncomingRecord, incoming_record

# a delivery with more than this share fewer rows than the source's last accepted one is quarantined
DEFAULT_MAX_SHRINK = 0.5
# how much of a quarantined delivery is kept for an operator to see what came instead of data
SAMPLE_CHARS = 2000
# rows written per INSERT / UPDATE statement
WRITE_BATCH = 5000
# a delivery refreshes the planner's statistics of the stored records once it has added this many, and
# again each time it has doubled them
ANALYSE_FIRST_AT = 20_000
HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")


@dataclass(frozen=True)
class DeliveryReport:
    """What became of one delivery."""

    delivery: Delivery
    # the same bytes had been received before: nothing was written
    duplicate: bool = False
    new: int = 0
    changed: int = 0

    @property
    def quarantined(self) -> bool:
        return self.delivery.status is DeliveryStatus.QUARANTINED

    def counts(self) -> dict[str, int]:
        delivery = self.delivery
        return {
            "rows_total": delivery.rows_total,
            "rows_stored": 0 if self.duplicate else delivery.rows_stored,
            "rows_new": self.new,
            "rows_changed": self.changed,
            "rows_unchanged": delivery.rows_total if self.duplicate else delivery.rows_unchanged,
            "rows_quarantined": 0 if self.duplicate else delivery.rows_quarantined,
            "rows_absent": 0 if self.duplicate else delivery.rows_absent,
        }


@dataclass(frozen=True)
class UnreadableRow:
    """A row the parser could not read as a row (a JSONL line that is not JSON, too many cells)."""

    row_number: int | None
    cells: Mapping[str, Any]
    errors: Sequence[FieldError]


@dataclass(frozen=True)
class DeliveredBytes:
    """What receiving needs of a delivery's bytes without holding them: their checksum, size and first
    bytes (a file is hashed as it is read, see `describe_file`)."""

    checksum: str
    size_bytes: int
    head: bytes

    @classmethod
    def of(cls, content: bytes) -> DeliveredBytes:
        return cls(checksum(content), len(content), content[: SAMPLE_CHARS * 2])

    @classmethod
    def of_file(cls, path: Path) -> DeliveredBytes:
        """A file's checksum, size and first bytes, read a megabyte at a time."""
        digest, size = hashlib.sha256(), 0
        with path.open("rb") as handle:
            head = handle.read(SAMPLE_CHARS * 2)
            digest.update(head)
            size += len(head)
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
                size += len(chunk)
        return cls(digest.hexdigest(), size, head)


# a row as parsers hand it over: (row number, {record field: cell}), or one unreadable as a row
DeliveredRow = tuple[int, Mapping[str, Any]] | UnreadableRow


@dataclass
class _Checked:
    # record key -> (record, content hash, record id, row number, cells as delivered)
    records: dict[str, tuple[IncomingRecord, str, str | None, int, Mapping[str, Any]]] = field(
        default_factory=dict
    )
    quarantined: list[dict[str, Any]] = field(default_factory=list)


def checksum(content: bytes) -> str:
    """The sha256 of a delivery's bytes, hex: what makes two deliveries the same."""
    return hashlib.sha256(content).hexdigest()


def content_problem(content: bytes, content_type: str | None = None) -> str | None:
    """Why delivered bytes are not a list at all (empty, an HTML page), or None; the first kilobyte of a
    delivery is enough to tell."""
    if not content.strip():
        return "is empty"
    if content_type and content_type.split(";", 1)[0].strip().lower() == "text/html":
        return "is an HTML page (Content-Type text/html), not a list"
    head = content[:1024]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    head = head.removeprefix(codecs.BOM_UTF8).lstrip().lower()
    if head.startswith(HTML_STARTS):
        return "is an HTML page, not a list"
    return None


def _sample(content: bytes) -> str:
    # PostgreSQL text cannot hold NUL, which UTF-16 and zipped (XLSX) deliveries are full of: without this,
    # storing such a quarantined delivery failed and it was lost instead of kept for the operator
    text = content[: SAMPLE_CHARS * 2].decode("utf-8", errors="replace")[:SAMPLE_CHARS]
    return text.replace("\x00", "\ufffd")


def _json_safe(cells: Mapping[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = {}
    for key, value in cells.items():
        if value is None or isinstance(value, bool | int | float | str):
            safe[str(key)] = value
        else:
            safe[str(key)] = str(value)
    return safe


def content_hash(record: IncomingRecord) -> str:
    """The sha256 of what a record says (name, birth date, attributes), not of how the file wrote it."""
    canonical = json.dumps(
        [record.name, record.birth_date, dict(record.attributes)], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def screened_hash(record: IncomingRecord) -> str:
    """The sha256 of what the matcher reads of a record (name, birth date): a change of anything else
    is stored but does not make the record wait to be matched again."""
    # joined by a unit separator, a control character no list puts in a name or a date
    canonical = f"{record.name}\x1f{record.birth_date or ''}"
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def waiting_to_be_matched() -> ColumnElement[bool]:
    """The condition of a stored record waiting for the matching run: new, or changed in a way that
    matters since it was matched."""
    table = ReceivedRecord.__table__.c
    return or_(table.matched_hash.is_(None), table.matched_hash != table.screened_hash)


def _given_id(cells: Mapping[str, Any]) -> bool:
    value = cells.get("record_id")
    return value is not None and str(value).strip() != ""


def _quarantine(
    row_number: int | None, cells: Mapping[str, Any], errors: Iterable[FieldError]
) -> dict[str, Any]:
    return {
        "row_number": row_number,
        "cells": _json_safe(cells),
        "errors": [error.to_dict() for error in errors],
    }


def _duplicate(record_id: str | None, number: int, origin: str, first: str) -> FieldError:
    what = f"record_id {record_id}" if record_id is not None else "the same record"
    return FieldError("record_id", f"{what} appears again ({first})", number, origin)


def _check_rows(rows: Iterable[DeliveredRow], origin: str) -> _Checked:
    checked = _Checked()
    for row in rows:
        if isinstance(row, UnreadableRow):
            checked.quarantined.append(_quarantine(row.row_number, row.cells, row.errors))
            continue
        number, cells = row
        try:
            record = incoming_record(cells, number, origin)
        except ValidationFailed as error:
            checked.quarantined.append(_quarantine(number, cells, error.details))
            continue
        digest = content_hash(record)
        record_id = record.record_id if _given_id(cells) else None
        key = record_id if record_id is not None else f"sha256:{digest}"
        if key in checked.records:
            first = f"row {checked.records[key][3]}"
            checked.quarantined.append(
                _quarantine(number, cells, [_duplicate(record_id, number, origin, first)])
            )
            continue
        checked.records[key] = (record, digest, record_id, number, cells)
    return checked


def last_accepted_delivery(session: Session, source: str) -> Delivery | None:
    """The newest delivery of a source whose records are in use."""
    return session.scalars(
        select(Delivery)
        .where(Delivery.source == source, Delivery.status == DeliveryStatus.ACCEPTED)
        .order_by(Delivery.id.desc())
        .limit(1)
    ).first()


def delivery_with_checksum(session: Session, source: str, digest: str) -> Delivery | None:
    """The source's delivery of exactly these bytes, if they came before."""
    return session.scalars(
        select(Delivery).where(Delivery.source == source, Delivery.checksum == digest)
    ).one_or_none()


def receive_delivery(
    session: Session,
    source: str,
    origin: str,
    content: bytes | DeliveredBytes,
    rows: Iterable[DeliveredRow] | None,
    *,
    total: int | None = None,
    problem: str | None = None,
    unreadable: Sequence[UnreadableRow] = (),
    content_type: str | None = None,
    max_shrink: float = DEFAULT_MAX_SHRINK,
    full: bool = True,
    source_kind: str | None = None,
) -> DeliveryReport:
    """Store a delivery of a source and the records it carries, or quarantine it whole when it looks wrong.

    `rows` are the parsed rows (row number, {record field: cell}, or an `UnreadableRow`) after the
    source's field mapping, or None with a `problem` when the file could not be read at all. They are
    taken as a stream, `WRITE_BATCH` at a time, so a million-row delivery is never held whole; `total`
    (the rows a first reading counted) is then needed to judge the delivery before anything is written.
    A `full` delivery is the whole list: the source's records it no longer carries are marked absent.
    `source_kind` (pow / border / extradition) is kept with the delivery: alerts on its records carry it.
    Re-delivering the same bytes changes nothing. Flushes; the caller commits, so a failure part-way
    leaves the database as it was.
    """
    delivered = content if isinstance(content, DeliveredBytes) else DeliveredBytes.of(content)
    existing = delivery_with_checksum(session, source, delivered.checksum)
    if existing is not None:
        return DeliveryReport(existing, duplicate=True)

    if total is None:
        if rows is not None and not isinstance(rows, Sequence):
            raise TypeError("rows given as a stream need their total")
        total = len(rows or ())
    total += len(unreadable)
    problem = problem or content_problem(delivered.head, content_type)
    if problem is None and total == 0:
        problem = "holds no records"
    if problem is None:
        last = last_accepted_delivery(session, source)
        if last is not None and total < last.rows_total * (1 - max_shrink):
            problem = (
                f"has {total} rows, more than {max_shrink:.0%} fewer than the {last.rows_total} of "
                f"delivery {last.id} received {last.received_at:%Y-%m-%d %H:%M} UTC (max_shrink)"
            )
    delivery = Delivery(
        source=source,
        source_kind=source_kind,
        checksum=delivered.checksum,
        origin=origin[:1000],
        received_at=utcnow(),
        size_bytes=delivered.size_bytes,
        rows_total=total,
        rows_stored=0,
        rows_quarantined=0,
        rows_unchanged=0,
        rows_absent=0,
    )
    if problem is not None:
        delivery.status = DeliveryStatus.QUARANTINED
        delivery.reason = f"{origin} {problem}"
        delivery.sample = _sample(delivered.head)
        session.add(delivery)
        session.flush()
        return DeliveryReport(delivery)

    delivery.status = DeliveryStatus.ACCEPTED
    session.add(delivery)
    session.flush()
    name = origin.rsplit("/", 1)[-1]
    new = changed = unchanged = quarantined = 0
    records = cast(Table, ReceivedRecord.__table__)
    analyse_at, analysed_at = ANALYSE_FIRST_AT, 0
    for chunk in _chunks(itertools.chain(unreadable, rows or ()), WRITE_BATCH):
        checked = _check_rows(chunk, name)
        inserts, updates, same = _write_slice(session, source, delivery, checked, name)
        new, changed, unchanged = new + inserts, changed + updates, unchanged + same
        if new >= analyse_at:
            # the planner must know how many records the source has now: with the counts of before the
            # delivery, each slice's look-up of its keys read every record of the source (a million-row
            # first delivery took 40 minutes instead of one)
            refresh_statistics(session.connection(), records)
            analyse_at, analysed_at = new * 2, new
        if checked.quarantined:
            session.execute(
                insert(QuarantinedRow), [{"delivery_id": delivery.id, **row} for row in checked.quarantined]
            )
            quarantined += len(checked.quarantined)
    delivery.rows_stored = new + changed
    delivery.rows_unchanged = unchanged
    delivery.rows_quarantined = quarantined
    if full:
        delivery.rows_absent = _mark_absent(session, source, delivery)
    if new >= ANALYSE_FIRST_AT and new > analysed_at:
        # and the matching run that follows looks the new records up
        refresh_statistics(session.connection(), records)
    session.flush()
    return DeliveryReport(delivery, new=new, changed=changed)


def _chunks(rows: Iterable[DeliveredRow], size: int) -> Iterator[list[DeliveredRow]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _mark_absent(session: Session, source: str, delivery: Delivery) -> int:
    table = cast(Table, ReceivedRecord.__table__)
    result = session.connection().execute(
        update(table)
        .where(
            table.c.source == source,
            table.c.absent_since.is_(None),
            or_(table.c.last_seen_delivery_id.is_(None), table.c.last_seen_delivery_id != delivery.id),
        )
        .values(absent_since=delivery.received_at)
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)


def _write_slice(
    session: Session, source: str, delivery: Delivery, checked: _Checked, origin: str
) -> tuple[int, int, int]:
    table = cast(Table, ReceivedRecord.__table__)
    # each slice is looked up in the database, so no map of a million keys is held: a key this delivery
    # already carried (a row in an earlier slice) is a repeated row
    known: dict[str, tuple[int, str, int | None]] = {
        key: (record_pk, digest, seen)
        for key, record_pk, digest, seen in session.execute(
            select(table.c.record_key, table.c.id, table.c.content_hash, table.c.last_seen_delivery_id).where(
                table.c.source == source, table.c.record_key.in_(list(checked.records))
            )
        )
    }
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    same: list[int] = []
    for key, (record, digest, record_id, number, cells) in checked.records.items():
        if key in known and known[key][2] == delivery.id:
            error = _duplicate(record_id, number, origin, "in an earlier row of this delivery")
            checked.quarantined.append(_quarantine(number, cells, [error]))
            continue
        if key in known and known[key][1] == digest:
            same.append(known[key][0])
            continue
        values = {
            "name": record.name,
            "birth_date": record.birth_date,
            "attributes": dict(record.attributes),
            "content_hash": digest,
            "screened_hash": screened_hash(record),
            "last_delivery_id": delivery.id,
            "last_seen_delivery_id": delivery.id,
            "absent_since": None,
            "updated_at": now,
        }
        if key in known:
            updates.append({**values, "record_pk": known[key][0]})
        else:
            inserts.append(
                {
                    **values,
                    "source": source,
                    "record_key": key,
                    "record_id": record_id,
                    "matched_hash": None,
                    "first_delivery_id": delivery.id,
                    "first_seen_at": now,
                }
            )
    # Core statements on the table: for a million rows the ORM's bulk path costs more than the database
    connection = session.connection()
    bulk_insert(connection, table, inserts)
    if updates:
        # bound as `new_<column>`: a bind parameter may not share its column's name in a SET clause
        columns = [column for column in updates[0] if column != "record_pk"]
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("record_pk"))
            .values({column: bindparam(f"new_{column}") for column in columns}),
            [
                {"record_pk": row["record_pk"], **{f"new_{column}": row[column] for column in columns}}
                for row in updates
            ],
        )
    if same:
        # one statement for the slice's unchanged records: carried again, so present
        connection.execute(
            update(table)
            .where(table.c.id.in_(same))
            .values(last_seen_delivery_id=delivery.id, absent_since=None)
        )
    return len(inserts), len(updates), len(same)


# --- look-ups ---------------------------------------------------------------------------------------------


def recent_deliveries(session: Session, source: str | None = None, limit: int = 20) -> list[Delivery]:
    """The newest deliveries, of one source or of all, newest first."""
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if source is not None:
        query = query.where(Delivery.source == source)
    return list(session.scalars(query))


def quarantined_rows(session: Session, delivery_id: int) -> list[QuarantinedRow]:
    """The rows of a delivery kept in quarantine, in file order."""
    return list(
        session.scalars(
            select(QuarantinedRow)
            .where(QuarantinedRow.delivery_id == delivery_id)
            .order_by(QuarantinedRow.row_number, QuarantinedRow.id)
        )
    )


@dataclass(frozen=True)
class PendingRecord:
    """A stored record waiting to be matched: its row id, the screened hash it is matched as, and the
    record as the matcher takes it."""

    id: int
    record_key: str
    screened_hash: str
    record: IncomingRecord


def records_to_match(
    session: Session, source: str | None = None, after_id: int = 0, limit: int = 1000
) -> list[PendingRecord]:
    """Records new or changed since they were last matched, in id order from `after_id`."""
    table = ReceivedRecord.__table__.c
    query = (
        select(
            table.id,
            table.record_key,
            table.record_id,
            table.name,
            table.birth_date,
            table.attributes,
            table.screened_hash,
        )
        .where(table.id > after_id, waiting_to_be_matched())
        .order_by(table.id)
        .limit(limit)
    )
    if source is not None:
        query = query.where(table.source == source)
    return [
        PendingRecord(
            id=row.id,
            record_key=row.record_key,
            screened_hash=row.screened_hash,
            record=IncomingRecord(
                record_id=row.record_id or row.record_key,
                name=row.name,
                birth_date=row.birth_date,
                attributes=dict(row.attributes or {}),
            ),
        )
        for row in session.execute(query)
    ]


def waiting_record_ids(session: Session, source: str | None = None) -> Iterator[int]:
    """The ids of the records waiting to be matched, in order, read as a stream (a run's plan needs no
    more of a million records than their ids)."""
    table = ReceivedRecord.__table__.c
    query = select(table.id).where(waiting_to_be_matched()).order_by(table.id)
    if source is not None:
        query = query.where(table.source == source)
    yield from session.scalars(query.execution_options(yield_per=10_000))


def mark_matched(session: Session, records: Sequence[PendingRecord]) -> None:
    """Note that these records were matched as they read when taken (a record changed since then by
    another delivery keeps waiting)."""
    if not records:
        return
    table = cast(Table, ReceivedRecord.__table__)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # one statement for the batch, the pairs given as two arrays, instead of one UPDATE per record
        connection.execute(
            text(
                "UPDATE incoming_records SET matched_hash = taken.hash "
                "FROM unnest(CAST(:ids AS integer[]), CAST(:hashes AS varchar[])) AS taken(id, hash) "
                "WHERE incoming_records.id = taken.id"
            ),
            {
                "ids": [record.id for record in records],
                "hashes": [record.screened_hash for record in records],
            },
        )
        return
    statement = (
        update(table).where(table.c.id == bindparam("record_pk")).values(matched_hash=bindparam("matched"))
    )
    connection.execute(
        statement, [{"record_pk": record.id, "matched": record.screened_hash} for record in records]
    )


# --- source state -----------------------------------------------------------------------------------------


def source_state(session: Session, source: str) -> SourceState:
    """What the source's server said last time (an empty state for a source never fetched)."""
    state = session.get(SourceState, source)
    if state is None:
        state = SourceState(source=source)
        session.add(state)
    return state


# --- runs -------------------------------------------------------------------------------------------------


def start_run(session: Session, kind: RunKind, source: str | None, holder: str | None = None) -> Run:
    """Record that a run began, in `holder` (host:pid) (the caller commits at once, so a run that dies
    still shows)."""
    now = utcnow()
    run = Run(
        kind=kind,
        source=source,
        started_at=now,
        status=RunStatus.RUNNING,
        counts={},
        holder=holder,
        heartbeat_at=now,
    )
    session.add(run)
    session.flush()
    return run


def beat_run(session: Session, run_id: int) -> None:
    """Note that a run's process is alive and working on it."""
    session.execute(
        update(Run).where(Run.id == run_id, Run.status == RunStatus.RUNNING).values(heartbeat_at=utcnow())
    )


def abandon_dead_runs(session: Session, stale_after: timedelta, now: datetime | None = None) -> list[Run]:
    """Mark failed every run still `running` whose process has not said it is alive for `stale_after`
    (killed, its machine gone, its scheduler's lease lost): a run stuck `running` would hide that it
    never finished. A run planned as batches for workers is left to them: its claimed batches of a dead
    worker are claimed again after the claim timeout, and the worker that finishes the last ends it."""
    now = now or utcnow()
    cutoff = now - stale_after
    planned = select(MatchBatch.run_id).where(MatchBatch.run_id == Run.id).exists()
    dead = session.scalars(
        select(Run)
        .where(
            Run.status == RunStatus.RUNNING,
            func.coalesce(Run.heartbeat_at, Run.started_at) < cutoff,
            ~planned,
        )
        .order_by(Run.id)
        .with_for_update(skip_locked=True)
    ).all()
    for run in dead:
        last = run.heartbeat_at or run.started_at
        run.status = RunStatus.FAILED
        run.finished_at = now
        run.error = (
            f"abandoned: its process ({run.holder or 'unknown'}) gave no sign of life since "
            f"{last:%Y-%m-%d %H:%M:%S} UTC (more than {stale_after.total_seconds():.0f} s); its work "
            "was rolled back and what waits is taken up by the next run"
        )
    session.flush()
    return list(dead)


def finish_run(
    session: Session,
    run: Run,
    status: RunStatus,
    counts: Mapping[str, Any] | None = None,
    *,
    error: str | None = None,
    delivery_id: int | None = None,
) -> Run:
    """Record how a run ended."""
    run = session.merge(run)
    run.status = status
    run.finished_at = utcnow()
    run.counts = dict(counts or {})
    run.error = error
    if delivery_id is not None:
        run.delivery_id = delivery_id
    session.flush()
    audit(
        session,
        "match_run" if run.kind in (RunKind.MATCH, RunKind.RETRO) else "ingest",
        subject={
            "run_id": run.id,
            "kind": run.kind.value,
            "source": run.source,
            "delivery_id": run.delivery_id,
        },
        outcome={"status": run.status.value, "counts": run.counts},
    )
    return run


def recent_runs(
    session: Session,
    source: str | None = None,
    limit: int = 20,
    since: datetime | None = None,
    kind: RunKind | None = None,
) -> list[Run]:
    """The newest runs, of one source (and kind) or of all, newest first."""
    query = select(Run).order_by(Run.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(Run.kind == kind)
    if source is not None:
        query = query.where(Run.source == source)
    if since is not None:
        query = query.where(Run.started_at >= since)
    return list(session.scalars(query))


def run_to_dict(run: Run) -> dict[str, Any]:
    """A run as the API and the pages show it."""
    finished = run.finished_at
    return {
        "id": run.id,
        "kind": run.kind.value,
        "source": run.source,
        "status": run.status.value,
        "started_at": run.started_at.isoformat(),
        "finished_at": finished.isoformat() if finished else None,
        "duration_seconds": round((finished - run.started_at).total_seconds(), 3) if finished else None,
        "counts": dict(run.counts or {}),
        "delivery_id": run.delivery_id,
        "error": run.error,
    }


@dataclass
class NightlyFigures:
    """Records received and alerts raised per night (UTC date) and source, oldest night first."""

    nights: list[date]
    sources: list[str]
    # {source: [count per night]}
    records: dict[str, list[int]]
    alerts: dict[str, list[int]]


def nightly_figures(session: Session, nights: int = 14, today: date | None = None) -> NightlyFigures:
    """The last `nights` nights' records received (rows of accepted deliveries) and alerts raised, by
    source; counted in Python over the window's rows so the query is the same on SQLite and PostgreSQL."""
    last = today or utcnow().date()
    days = [last - timedelta(days=n) for n in range(nights - 1, -1, -1)]
    position = {day: n for n, day in enumerate(days)}
    since = datetime.combine(days[0], time.min, tzinfo=UTC)
    records: dict[str, list[int]] = {}
    alerts: dict[str, list[int]] = {}
    deliveries = session.execute(
        select(Delivery.source, Delivery.received_at, Delivery.rows_total).where(
            Delivery.received_at >= since, Delivery.status == DeliveryStatus.ACCEPTED
        )
    )
    for source, received_at, rows in deliveries:
        slot = position.get(received_at.astimezone(UTC).date())
        if slot is not None:
            records.setdefault(source, [0] * nights)[slot] += rows
    raised = session.execute(
        select(ReceivedRecord.source, Alert.raised_at)
        .join(ReceivedRecord, ReceivedRecord.id == Alert.record_id)
        .where(Alert.raised_at >= since)
    )
    for source, raised_at in raised:
        slot = position.get(raised_at.astimezone(UTC).date())
        if slot is not None:
            alerts.setdefault(source, [0] * nights)[slot] += 1
    sources = sorted(set(records) | set(alerts))
    for source in sources:
        records.setdefault(source, [0] * nights)
        alerts.setdefault(source, [0] * nights)
    return NightlyFigures(days, sources, records, alerts)
