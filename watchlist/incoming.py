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
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from watchlist.audit import audit
from watchlist.db import utcnow
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
from watchlist.screening import IncomingRecord, incoming_record

# a delivery with more than this share fewer rows than the source's last accepted one is quarantined
DEFAULT_MAX_SHRINK = 0.5
# how much of a quarantined delivery is kept for an operator to see what came instead of data
SAMPLE_CHARS = 2000
# rows written per INSERT / UPDATE statement
WRITE_BATCH = 5000
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
        }


@dataclass(frozen=True)
class UnreadableRow:
    """A row the parser could not read as a row (a JSONL line that is not JSON, too many cells)."""

    row_number: int | None
    cells: Mapping[str, Any]
    errors: Sequence[FieldError]


@dataclass
class _Checked:
    records: dict[str, tuple[IncomingRecord, str, str | None]] = field(default_factory=dict)
    quarantined: list[dict[str, Any]] = field(default_factory=list)


def checksum(content: bytes) -> str:
    """The sha256 of a delivery's bytes, hex: what makes two deliveries the same."""
    return hashlib.sha256(content).hexdigest()


def content_problem(content: bytes, content_type: str | None = None) -> str | None:
    """Why delivered bytes are not a list at all (empty, an HTML page), or None."""
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
    return content[: SAMPLE_CHARS * 2].decode("utf-8", errors="replace")[:SAMPLE_CHARS]


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


def _given_id(cells: Mapping[str, Any]) -> bool:
    value = cells.get("record_id")
    return value is not None and str(value).strip() != ""


def _check_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]], origin: str, unreadable: Sequence[UnreadableRow]
) -> _Checked:
    checked = _Checked()
    first_row: dict[str, int] = {}
    for row in unreadable:
        checked.quarantined.append(
            {
                "row_number": row.row_number,
                "cells": _json_safe(row.cells),
                "errors": [error.to_dict() for error in row.errors],
            }
        )
    for number, cells in rows:
        try:
            record = incoming_record(cells, number, origin)
        except ValidationFailed as error:
            checked.quarantined.append(
                {
                    "row_number": number,
                    "cells": _json_safe(cells),
                    "errors": [detail.to_dict() for detail in error.details],
                }
            )
            continue
        digest = content_hash(record)
        record_id = record.record_id if _given_id(cells) else None
        key = record_id if record_id is not None else f"sha256:{digest}"
        if key in first_row:
            what = f"record_id {record_id}" if record_id is not None else "the same record"
            checked.quarantined.append(
                {
                    "row_number": number,
                    "cells": _json_safe(cells),
                    "errors": [
                        FieldError(
                            "record_id", f"{what} appears again (row {first_row[key]})", number, origin
                        ).to_dict()
                    ],
                }
            )
            continue
        first_row[key] = number
        checked.records[key] = (record, digest, record_id)
    return checked


def last_accepted_delivery(session: Session, source: str) -> Delivery | None:
    """The newest delivery of a source whose records are in use."""
    return session.scalars(
        select(Delivery)
        .where(Delivery.source == source, Delivery.status == DeliveryStatus.ACCEPTED)
        .order_by(Delivery.id.desc())
        .limit(1)
    ).first()


def receive_delivery(
    session: Session,
    source: str,
    origin: str,
    content: bytes,
    rows: Sequence[tuple[int, Mapping[str, Any]]] | None,
    *,
    problem: str | None = None,
    unreadable: Sequence[UnreadableRow] = (),
    content_type: str | None = None,
    max_shrink: float = DEFAULT_MAX_SHRINK,
) -> DeliveryReport:
    """Store a delivery of a source and the records it carries, or quarantine it whole when it looks wrong.

    `rows` are the parsed rows (row number, {record field: cell}) after the source's field mapping, or
    None with a `problem` when the file could not be read at all. Re-delivering the same bytes changes
    nothing. Flushes; the caller commits, so a failure part-way leaves the database as it was.
    """
    digest = checksum(content)
    existing = session.scalars(
        select(Delivery).where(Delivery.source == source, Delivery.checksum == digest)
    ).one_or_none()
    if existing is not None:
        return DeliveryReport(existing, duplicate=True)

    total = (len(rows) if rows is not None else 0) + len(unreadable)
    problem = problem or content_problem(content, content_type)
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
        checksum=digest,
        origin=origin[:1000],
        received_at=utcnow(),
        size_bytes=len(content),
        rows_total=total,
        rows_stored=0,
        rows_quarantined=0,
        rows_unchanged=0,
    )
    if problem is not None:
        delivery.status = DeliveryStatus.QUARANTINED
        delivery.reason = f"{origin} {problem}"
        delivery.sample = _sample(content)
        session.add(delivery)
        session.flush()
        return DeliveryReport(delivery)

    delivery.status = DeliveryStatus.ACCEPTED
    session.add(delivery)
    session.flush()
    checked = _check_rows(rows or (), origin.rsplit("/", 1)[-1], unreadable)
    new, changed, unchanged = _write_records(session, source, delivery, checked)
    if checked.quarantined:
        for start in range(0, len(checked.quarantined), WRITE_BATCH):
            batch = checked.quarantined[start : start + WRITE_BATCH]
            session.execute(insert(QuarantinedRow), [{"delivery_id": delivery.id, **row} for row in batch])
    delivery.rows_stored = new + changed
    delivery.rows_unchanged = unchanged
    delivery.rows_quarantined = len(checked.quarantined)
    session.flush()
    return DeliveryReport(delivery, new=new, changed=changed)


def _write_records(
    session: Session, source: str, delivery: Delivery, checked: _Checked
) -> tuple[int, int, int]:
    # slice by slice, so a million-row delivery never holds every look-up and statement row at once
    keys = list(checked.records)
    new = changed = unchanged = 0
    for start in range(0, len(keys), WRITE_BATCH):
        inserts, updates, same = _write_slice(
            session, source, delivery, checked, keys[start : start + WRITE_BATCH]
        )
        new, changed, unchanged = new + inserts, changed + updates, unchanged + same
    return new, changed, unchanged


def _write_slice(
    session: Session, source: str, delivery: Delivery, checked: _Checked, keys: list[str]
) -> tuple[int, int, int]:
    known: dict[str, tuple[int, str]] = {
        key: (record_pk, digest)
        for key, record_pk, digest in session.execute(
            select(ReceivedRecord.record_key, ReceivedRecord.id, ReceivedRecord.content_hash).where(
                ReceivedRecord.source == source, ReceivedRecord.record_key.in_(keys)
            )
        )
    }
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for key in keys:
        record, digest, record_id = checked.records[key]
        if key in known and known[key][1] == digest:
            continue
        values = {
            "name": record.name,
            "birth_date": record.birth_date,
            "attributes": dict(record.attributes),
            "content_hash": digest,
            "last_delivery_id": delivery.id,
            "updated_at": now,
        }
        if key in known:
            updates.append({**values, "id": known[key][0]})
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
    if inserts:
        session.connection().execute(insert(cast(Table, ReceivedRecord.__table__)), inserts)
    if updates:
        session.execute(update(ReceivedRecord), updates)
    return len(inserts), len(updates), len(keys) - len(inserts) - len(updates)


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
    """A stored record waiting to be matched: its row id, the content hash it is matched as, and the
    record as the matcher takes it."""

    id: int
    record_key: str
    content_hash: str
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
            table.content_hash,
        )
        .where(
            table.id > after_id, or_(table.matched_hash.is_(None), table.matched_hash != table.content_hash)
        )
        .order_by(table.id)
        .limit(limit)
    )
    if source is not None:
        query = query.where(table.source == source)
    return [
        PendingRecord(
            id=row.id,
            record_key=row.record_key,
            content_hash=row.content_hash,
            record=IncomingRecord(
                record_id=row.record_id or row.record_key,
                name=row.name,
                birth_date=row.birth_date,
                attributes=dict(row.attributes or {}),
            ),
        )
        for row in session.execute(query)
    ]


def mark_matched(session: Session, records: Sequence[PendingRecord]) -> None:
    """Note that these records were matched as they read when taken (a record changed since then by
    another delivery keeps waiting)."""
    if not records:
        return
    table = cast(Table, ReceivedRecord.__table__)
    statement = (
        update(table).where(table.c.id == bindparam("record_pk")).values(matched_hash=bindparam("matched"))
    )
    session.connection().execute(
        statement, [{"record_pk": record.id, "matched": record.content_hash} for record in records]
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


def start_run(session: Session, kind: RunKind, source: str | None) -> Run:
    """Record that a run began (the caller commits at once, so a run that dies still shows)."""
    run = Run(kind=kind, source=source, started_at=utcnow(), status=RunStatus.RUNNING, counts={})
    session.add(run)
    session.flush()
    return run


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
