"""Operations on the audit log: every consultation and change is added here, never edited.

The rows form a hash chain, sealed shortly after they are written. A request writes its row at once, in
its own transaction, with `content_hash` (sha256 over the canonical JSON of its content: UTC timestamp,
who, how, from where, what was searched, what was shown): if that row cannot be written the request
fails. The sealer (`seal_chain`: the scheduler's `audit-seal` job every few seconds, `watchlist audit
seal|verify|prune`) then takes the committed rows not yet sealed, in id order, under the chain head's
lock (PostgreSQL `SELECT … FOR UPDATE`; SQLite's BEGIN IMMEDIATE already serialises writers), and gives
each its place `chain_seq`, `prev_hash` (the row before's `row_hash`) and `row_hash` (sha256 over id,
place, `prev_hash`, `content_hash`). Writers never wait for each other: a chain written synchronously
holds the head lock through every request's commit, and measured 7x slower with 16 writers
(bench/audit_writes.py). `verify_chain` names the first edited, deleted or inserted row.

Retention deletes from the start of the chain only, and first moves the anchor (the place and hash the
remaining chain starts from) in the head row: the database trigger lets a DELETE through only for rows
at or below the anchor, an UPDATE only to seal a row once, and refuses everything else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, cast

import orjson
from flask import Flask, g, has_request_context, request
from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from watchlist.db import get_session, utcnow
from watchlist.exc import FieldError, Unavailable, ValidationFailed
from watchlist.models import AuditChain, AuditEvent, ListScreening, Role
from watchlist.models.audit import GENESIS_HASH
from watchlist.settings import Settings

EventClass = Literal["consultation", "change", "access", "operation"]

# Every kind of audit row and its class; the class sets how long the row is kept (settings `audit_*`).
# consultation: someone saw personal data; change: the watchlist, users, tokens or sources changed;
# access: logins, logouts and refused requests; operation: ingests, match runs, the log's own upkeep.
EVENT_CLASSES: dict[str, EventClass] = {
    "screen": "consultation",
    "screen_batch": "consultation",
    "list_screening.upload": "consultation",
    "list_screening.view": "consultation",
    "list_screening.export": "consultation",
    "person_search": "consultation",
    "person_view": "consultation",
    "person_export": "consultation",
    "alert_view": "consultation",
    "alert_export": "consultation",
    # a disclosure to a recipient outside the service: an officer's mailbox, a receiving system
    "alert_emailed": "consultation",
    "alert_webhook_delivered": "consultation",
    "audit.search": "consultation",
    "audit.export": "consultation",
    "person.created": "change",
    "person.updated": "change",
    "person.closed": "change",
    "person.imported": "change",
    "alert.decided": "change",
    "user.created": "change",
    "user.changed": "change",
    "user.disabled": "change",
    "token.created": "change",
    "token.revoked": "change",
    "source.changed": "change",
    "auth.login": "access",
    "auth.login_failed": "access",
    "auth.logout": "access",
    "auth.locked": "access",
    "access.refused": "access",
    "ingest": "operation",
    "match_run": "operation",
    "audit.pruned": "operation",
}
# an action missing from the catalogue is kept as long as the longest class: never lost too early
UNLISTED_CLASS: EventClass = "change"

_CHAIN_ID = 1


class AuditUnavailable(Unavailable):
    """The audit row could not be written: the request fails, nothing it would have shown is shown."""

    code = "audit_unavailable"


# what the caller of a write that failed is told
_NOT_WRITTEN = "the audit log cannot be written; the request was not carried out"


def canonical_json(value: Any) -> str:
    """The one serialisation hashed: sorted keys, no spaces, ASCII only, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def utc_text(moment: datetime) -> str:
    """A timestamp as hashed: UTC, microseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed content of a row (everything but the id and the hashes)."""
    return {
        "occurred_at": utc_text(values["occurred_at"]),
        "action": values["action"],
        "actor": values["actor"],
        "role": values["role"],
        "via": values["via"],
        "remote_addr": values["remote_addr"],
        "subject": values["subject"],
        "outcome": values["outcome"],
    }


def content_hash(values: Mapping[str, Any]) -> str:
    """sha256 over the canonical JSON of a row's content."""
    return hashlib.sha256(canonical_json(content_of(values)).encode("ascii")).hexdigest()


def row_hash(row_id: int, chain_seq: int, prev_hash: str, content_digest: str) -> str:
    """sha256 linking a row's id, place and content to the row before it."""
    return hashlib.sha256(f"{row_id}|{chain_seq}|{prev_hash}|{content_digest}".encode("ascii")).hexdigest()


def _events() -> Table:
    return cast(Table, AuditEvent.__table__)


def _chain() -> Table:
    return cast(Table, AuditChain.__table__)


def _plain(value: Mapping[str, Any] | None) -> dict[str, Any]:
    # what the database gives back (string keys, lists for tuples) is what is hashed, so a row read back
    # hashes the same as when it was written
    plain: dict[str, Any] = json.loads(canonical_json(dict(value or {})))
    return plain


def _values(
    action: str,
    actor: str,
    via: str,
    role: Role | str | None,
    remote_addr: str | None,
    subject: Mapping[str, Any] | None,
    outcome: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return {
        # the database keeps microseconds: so does the hashed text
        "occurred_at": utcnow(),
        "action": action[:64],
        "actor": actor[:128],
        "via": via[:16],
        "role": str(role.value if isinstance(role, Role) else role)[:16] if role is not None else None,
        "remote_addr": remote_addr[:64] if remote_addr is not None else None,
        "subject": _plain(subject),
        "outcome": _plain(outcome),
    }


@dataclass(frozen=True)
class Attached:
    """Rows of another table that point at the audit row being written (`foreign_key` gets its id), written
    with it in the same transaction: a screening's queued hits."""

    table: Table
    foreign_key: str
    # each row with the same keys, the foreign key left out; JSON columns as Python values
    rows: Sequence[Mapping[str, Any]]


# the columns of an audit row as written, in the order of the PostgreSQL statement's parameters
_WRITTEN = (
    "occurred_at",
    "action",
    "actor",
    "role",
    "via",
    "remote_addr",
    "subject",
    "outcome",
    "content_hash",
)
# those of them sent as JSON text
_WRITTEN_AS_JSON = ("subject", "outcome")
# statements of the PostgreSQL path by (table, columns) of their attached rows: built once per process
_POSTGRESQL_STATEMENTS: dict[tuple[str, ...], str] = {}


def _postgresql_statement(dialect: Dialect, attached: Attached | None) -> str:
    """One statement that inserts the audit row and, when given, its attached rows, returning the row's
    id. The attached rows travel as one JSON array (json_to_recordset), whatever their number, and take
    their ids in the order given."""
    columns = tuple(attached.rows[0]) if attached is not None else ()
    key = (attached.table.name, attached.foreign_key, *columns) if attached is not None else ()
    statement = _POSTGRESQL_STATEMENTS.get(key)
    if statement is not None:
        return statement
    quote = dialect.identifier_preparer.quote
    placeholders = ", ".join("%s::json" if name in _WRITTEN_AS_JSON else "%s" for name in _WRITTEN)
    event = (
        f"INSERT INTO {quote(_events().name)} ({', '.join(quote(name) for name in _WRITTEN)}) "
        f"VALUES ({placeholders}) RETURNING id"
    )
    if attached is None:
        statement = event
    else:
        table = attached.table
        names = ", ".join(quote(name) for name in columns)
        types = ", ".join(f"{quote(name)} {table.c[name].type.compile(dialect=dialect)}" for name in columns)
        statement = (
            f"WITH event AS ({event}), attached AS ("
            f"INSERT INTO {quote(table.name)} ({quote(attached.foreign_key)}, {names}) "
            f"SELECT event.id, {', '.join(f'row.{quote(name)}' for name in columns)} "
            f"FROM event, ROWS FROM (json_to_recordset(%s::json) AS ({types})) WITH ORDINALITY "
            f"AS row ({names}, given_order) "
            "ORDER BY row.given_order) "
            "SELECT id FROM event"
        )
    _POSTGRESQL_STATEMENTS[key] = statement
    return statement


def _postgresql_parameters(row: Mapping[str, Any], attached: Attached | None) -> tuple[Any, ...]:
    # JSON is encoded by orjson, and PostgreSQL's json type keeps the text as sent (what is hashed is the
    # values, which read back the same)
    parameters: list[Any] = [
        orjson.dumps(row[name]).decode() if name in _WRITTEN_AS_JSON else row[name] for name in _WRITTEN
    ]
    if attached is not None:
        parameters.append(orjson.dumps(list(attached.rows)).decode())
    return tuple(parameters)


def _append_postgresql(connection: Connection, row: Mapping[str, Any], attached: Attached | None) -> int:
    # as driver SQL: the screening's hot path, where compiling and caching the Core statements cost as
    # much as the driver itself (bench/results/screening-api.md); SQLAlchemy still handles the errors (a
    # connection found dead invalidates the pool)
    statement = _postgresql_statement(connection.dialect, attached)
    return int(connection.exec_driver_sql(statement, _postgresql_parameters(row, attached)).scalar_one())


def _sealable(values: dict[str, Any], attached: Attached | None) -> tuple[dict[str, Any], Attached | None]:
    """The row as inserted (with its content hash), and the attached rows if there are any."""
    return {**values, "content_hash": content_hash(values)}, attached if attached and attached.rows else None


def _append(session: Session, values: dict[str, Any], attached: Attached | None = None) -> int:
    """Insert one row, not yet sealed, and its attached rows, in the session's transaction; its id."""
    row, attached = _sealable(values, attached)
    try:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            return _append_postgresql(connection, row, attached)
        # the statement's values are parameters: one statement, compiled once (a `.values(**row)` is a
        # new statement to build and look up in the compiled cache on every screening)
        row_id = int(connection.execute(insert(_events()).returning(_events().c.id), row).scalar_one())
        if attached is not None:
            connection.execute(
                insert(attached.table), [{**r, attached.foreign_key: row_id} for r in attached.rows]
            )
        return row_id
    except SQLAlchemyError as error:
        # the caller must not answer: the error page or JSON says 503, and the transaction rolls back
        raise AuditUnavailable(_NOT_WRITTEN) from error


def _lock_head(connection: Connection) -> Any:
    head = connection.execute(
        select(_chain()).where(_chain().c.id == _CHAIN_ID).with_for_update()
    ).one_or_none()
    if head is None:
        # the migration creates the head row; a database without it has lost its chain
        raise AuditUnavailable("the audit chain has no head row")
    return head


def seal_chain(session: Session, batch: int = 2000) -> int:
    """Link every committed row not yet sealed into the chain, in id order; how many were sealed.

    The head row's lock makes sealers take turns, so the chain never forks; the caller commits.
    """
    events, connection = _events(), session.connection()
    head = _lock_head(connection)
    seq, prev = int(head.last_seq), str(head.last_hash)
    sealed = 0
    while True:
        rows = connection.execute(
            select(events.c.id, events.c.content_hash)
            .where(events.c.chain_seq.is_(None))
            .order_by(events.c.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        links = []
        for row in rows:
            seq += 1
            linked = row_hash(int(row.id), seq, prev, str(row.content_hash))
            links.append({"b_id": row.id, "b_seq": seq, "b_prev": prev, "b_hash": linked})
            prev = linked
        connection.execute(
            update(events)
            .where(events.c.id == bindparam("b_id"))
            .values(
                chain_seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), row_hash=bindparam("b_hash")
            ),
            links,
        )
        sealed += len(rows)
    if sealed:
        connection.execute(
            update(_chain()).where(_chain().c.id == _CHAIN_ID).values(last_seq=seq, last_hash=prev)
        )
        session.expire_all()
    return sealed


def record_event(
    session: Session,
    action: str,
    *,
    actor: str,
    via: str,
    role: Role | str | None = None,
    remote_addr: str | None = None,
    subject: Mapping[str, Any] | None = None,
    outcome: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit row in the caller's transaction: if it cannot be written, the caller's work fails too
    (`AuditUnavailable`, a 503)."""
    row_id = _append(session, _values(action, actor, via, role, remote_addr, subject, outcome))
    event = session.get(AuditEvent, row_id)
    assert event is not None
    return event


def write_event(
    session: Session,
    action: str,
    *,
    actor: str,
    via: str,
    role: Role | str | None = None,
    remote_addr: str | None = None,
    subject: Mapping[str, Any] | None = None,
    outcome: Mapping[str, Any] | None = None,
    attached: Attached | None = None,
    commit: bool = False,
) -> int:
    """As `record_event`, for the hot path of screening, which needs no ORM object back; the row's id
    (an alert raised by the screening points at it), and the `attached` rows pointing at it written with
    it. A failed write raises here, before any answer.

    With `commit`, for a request whose one write is its audit row (a screening over the API), the row is
    committed when this returns. When the session has begun nothing and its engine is PostgreSQL's, where
    the row and its attached rows are one statement, that statement then runs and commits on a pooled
    driver connection, a transaction of its own, without the Session: its begin, execution and commit
    bookkeeping cost about as much again as the write itself (measured alone, about 395 µs of CPU a
    write through the Session against 215 µs on the driver connection). Otherwise the row is written in
    the session's transaction, which is then committed with whatever else it holds.
    """
    values = _values(action, actor, via, role, remote_addr, subject, outcome)
    bind = session.get_bind()
    if (
        not commit
        or session.in_transaction()
        or not isinstance(bind, Engine)
        or bind.dialect.name != "postgresql"
    ):
        row_id = _append(session, values, attached)
        if commit:
            session.commit()
        return row_id
    return _commit_postgresql(bind, *_sealable(values, attached))


def _commit_postgresql(engine: Engine, row: Mapping[str, Any], attached: Attached | None) -> int:
    statement = _postgresql_statement(engine.dialect, attached)
    parameters = _postgresql_parameters(row, attached)
    try:
        connection = engine.raw_connection()
    except SQLAlchemyError as error:
        raise AuditUnavailable(_NOT_WRITTEN) from error
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(statement, parameters)
            fetched = cursor.fetchone()
        finally:
            cursor.close()
        connection.commit()
    except engine.dialect.loaded_dbapi.Error as error:
        # a connection found dead is not handed out again; the pool rolls back any other on its return
        if engine.dialect.is_disconnect(error, connection.dbapi_connection, None):
            connection.invalidate(error)
        raise AuditUnavailable(_NOT_WRITTEN) from error
    finally:
        connection.close()
    assert fetched is not None
    return int(fetched[0])


@dataclass(frozen=True)
class Caller:
    """Who an audit row names: the user (or `cli:<os user>`, `job`), how they came in, from where."""

    actor: str
    via: str
    role: str | None = None
    remote_addr: str | None = None


# set by the CLI (and anything else outside a request) for the operations it calls
_caller: ContextVar[Caller | None] = ContextVar("watchlist_audit_caller", default=None)
# work outside a request and outside the CLI: the scheduler's jobs
JOB_CALLER = Caller(actor="job", via="job")


@contextmanager
def acting_as(caller: Caller) -> Iterator[None]:
    """Name `caller` in the audit rows the operations called inside the block write (outside a request)."""
    token = _caller.set(caller)
    try:
        yield
    finally:
        _caller.reset(token)


def current_caller() -> Caller:
    """Who is acting: the caller of the current request (its principal and client address), else the one
    `acting_as` set, else the scheduler's jobs."""
    if has_request_context():
        principal = g.get("principal")
        if principal is None:
            return Caller(actor="anonymous", via="web", remote_addr=request.remote_addr)
        return Caller(principal.username, principal.via, principal.role.value, request.remote_addr)
    return _caller.get() or JOB_CALLER


def audit(
    session: Session,
    action: str,
    *,
    subject: Mapping[str, Any] | None = None,
    outcome: Mapping[str, Any] | None = None,
) -> None:
    """Write one audit row naming the current caller, in the session's transaction (the one line an
    operation adds to be audited)."""
    caller = current_caller()
    write_event(
        session,
        action,
        actor=caller.actor,
        via=caller.via,
        role=caller.role,
        remote_addr=caller.remote_addr,
        subject=subject,
        outcome=outcome,
    )


def _record_refusal(response: Response) -> Response:
    # a 401 or 403: whatever the view had begun is rolled back, and the refusal itself is kept
    if response.status_code not in (401, 403) or (request.endpoint or "").endswith("login"):
        return response
    if g.get("refusal_audited"):
        # the access layer wrote this refusal already, with its reason
        return response
    session = get_session()
    session.rollback()
    audit(
        session,
        "access.refused",
        subject={"method": request.method, "path": request.path, "endpoint": request.endpoint},
        outcome={"status": response.status_code},
    )
    session.commit()
    return response


def init_app(app: Flask) -> None:
    """Record every refused request (401, 403) in the audit log."""
    app.after_request(_record_refusal)


def event_class(action: str) -> EventClass:
    """The retention class of a kind of audit row."""
    return EVENT_CLASSES.get(action, UNLISTED_CLASS)


# ---------------------------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the chain does not hold."""

    # the row named (for a deleted row: the first id it can have had)
    row_id: int
    # edited | deleted | inserted | anchor
    kind: str
    message: str


@dataclass
class Verification:
    """What `verify_chain` found: how many rows it checked and the first break, if any."""

    checked: int = 0
    unsealed: int = 0
    head_hash: str = GENESIS_HASH
    anchor_seq: int = 0
    last_seq: int = 0
    problem: ChainBreak | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def _rows(session: Session, sealed: bool, batch: int) -> Iterator[AuditEvent]:
    order = AuditEvent.chain_seq if sealed else AuditEvent.id
    where = AuditEvent.chain_seq.is_not(None) if sealed else AuditEvent.chain_seq.is_(None)
    after = -1
    while True:
        chunk = list(
            session.scalars(select(AuditEvent).where(where, order > after).order_by(order).limit(batch))
        )
        if not chunk:
            return
        yield from chunk
        last = chunk[-1]
        # the session holds unchanged rows weakly: what has been checked does not pile up in memory
        after = last.chain_seq if sealed and last.chain_seq is not None else last.id


def _content_values(event: AuditEvent) -> dict[str, Any]:
    return {
        "occurred_at": event.occurred_at,
        "action": event.action,
        "actor": event.actor,
        "role": event.role,
        "via": event.via,
        "remote_addr": event.remote_addr,
        "subject": event.subject,
        "outcome": event.outcome,
    }


def verify_chain(session: Session, batch: int = 2000) -> Verification:
    """Walk the chain from its anchor to its head, then the rows not sealed yet, and report the first
    edited, deleted or inserted row."""
    head = session.get(AuditChain, _CHAIN_ID)
    if head is None:
        return Verification(problem=ChainBreak(0, "deleted", "the chain's head row is missing"))
    result = Verification(head_hash=head.last_hash, anchor_seq=head.anchor_seq, last_seq=head.last_seq)
    pruned = session.scalar(
        select(AuditEvent.outcome)
        .where(AuditEvent.action == "audit.pruned")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    expected = (int(pruned["anchor_seq"]), str(pruned["anchor_hash"])) if pruned else (0, GENESIS_HASH)
    if (head.anchor_seq, head.anchor_hash) != expected:
        result.problem = ChainBreak(
            0,
            "anchor",
            f"the chain's anchor (place {head.anchor_seq}) is not the one the last pruning recorded "
            f"(place {expected[0]}): rows were deleted outside retention",
        )
        return result
    last_seq, last_hash = head.last_seq, head.last_hash
    seq, prev, prev_id, before_prev = head.anchor_seq, head.anchor_hash, 0, None
    for event in _rows(session, True, batch):
        problem = _check(event, seq, prev, prev_id, before_prev)
        if problem is not None:
            result.problem = problem
            return result
        result.checked += 1
        seq, prev, prev_id, before_prev = event.chain_seq or 0, event.row_hash or "", event.id, prev
    if seq < last_seq:
        result.problem = ChainBreak(
            prev_id + 1,
            "deleted",
            f"the last sealed rows were deleted: the chain ends at place {seq} after "
            f"row {prev_id}, its head says place {last_seq}",
        )
    elif seq > last_seq or prev != last_hash:
        result.problem = ChainBreak(prev_id, "inserted", f"row {prev_id} was added after the chain's head")
    if result.problem is not None:
        return result
    for event in _rows(session, False, batch):
        if content_hash(_content_values(event)) != event.content_hash:
            result.problem = ChainBreak(
                event.id, "edited", f"row {event.id} was edited: its content does not match its hash"
            )
            return result
        result.unsealed += 1
    return result


def _check(
    event: AuditEvent, seq: int, prev: str, prev_id: int, before_prev: str | None
) -> ChainBreak | None:
    if content_hash(_content_values(event)) != event.content_hash:
        return ChainBreak(
            event.id, "edited", f"row {event.id} was edited: its content does not match its hash"
        )
    place = event.chain_seq or 0
    if row_hash(event.id, place, event.prev_hash or "", event.content_hash) != event.row_hash:
        return ChainBreak(event.id, "edited", f"row {event.id} was edited: its hashes do not add up")
    if place <= seq:
        return ChainBreak(event.id, "inserted", f"row {event.id} lies before the chain's anchor")
    if place > seq + 1:
        return ChainBreak(
            prev_id + 1,
            "deleted",
            f"a row was deleted: row {event.id} is at place {place} of the chain, the row before it "
            f"(row {prev_id}) at place {seq}",
        )
    if event.prev_hash == prev:
        return None
    if before_prev is not None and event.prev_hash == before_prev:
        return ChainBreak(prev_id, "inserted", f"row {prev_id} was inserted: row {event.id} links past it")
    return ChainBreak(
        event.id,
        "deleted",
        f"row {event.id} does not link to row {prev_id}: a row between was removed or replaced",
    )


# ------------------------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class Retention:
    """How long each class of audit row is kept, in days (settings `audit_retention_*_days`)."""

    consultation_days: int
    change_days: int
    access_days: int
    operation_days: int

    def cutoffs(self, now: datetime) -> dict[EventClass, datetime]:
        return {
            "consultation": now - timedelta(days=self.consultation_days),
            "change": now - timedelta(days=self.change_days),
            "access": now - timedelta(days=self.access_days),
            "operation": now - timedelta(days=self.operation_days),
        }


def retention_of(settings: Settings) -> Retention:
    """The retention the settings configure."""
    return Retention(
        consultation_days=settings.audit_retention_consultation_days,
        change_days=settings.audit_retention_change_days,
        access_days=settings.audit_retention_access_days,
        operation_days=settings.audit_retention_operation_days,
    )


@dataclass
class Pruned:
    """What one pruning deleted."""

    events: int = 0
    anchor_seq: int = 0
    list_screenings: int = 0
    kept_because: dict[str, Any] = field(default_factory=dict)


def prune_audit(
    session: Session,
    retention: Retention,
    *,
    actor: str,
    via: str,
    now: datetime | None = None,
    batch: int = 2000,
) -> Pruned:
    """Seal, then delete the start of the chain up to the first row still within its class's retention,
    keep the anchor the rest starts from, delete list screenings older than the consultation retention,
    and record the pruning (itself an audit row, which `verify_chain` checks the anchor against).

    The chain is cut only at its start: a row past its time behind one still kept stays until that one
    goes too (a change is kept longer than a consultation, so a consultation may be kept that long).
    """
    now = now or utcnow()
    cutoffs = retention.cutoffs(now)
    seal_chain(session)
    connection = session.connection()
    head = _lock_head(connection)
    outcome = Pruned(anchor_seq=int(head.anchor_seq))
    last_expired: tuple[int, str] | None = None
    after = int(head.anchor_seq)
    events = _events()
    while True:
        rows = connection.execute(
            select(events.c.chain_seq, events.c.id, events.c.action, events.c.occurred_at, events.c.row_hash)
            .where(events.c.chain_seq > after)
            .order_by(events.c.chain_seq)
            .limit(batch)
        ).all()
        stop = None
        for row in rows:
            occurred_at = row.occurred_at if row.occurred_at.tzinfo else row.occurred_at.replace(tzinfo=UTC)
            if occurred_at >= cutoffs[event_class(row.action)]:
                stop = row
                break
            last_expired = (int(row.chain_seq), str(row.row_hash))
        if stop is not None:
            outcome.kept_because = {"row_id": stop.id, "action": stop.action}
            break
        if not rows:
            break
        after = int(rows[-1].chain_seq)
    if last_expired is not None:
        anchor_seq, anchor_hash = last_expired
        connection.execute(
            update(_chain())
            .where(_chain().c.id == _CHAIN_ID)
            .values(anchor_seq=anchor_seq, anchor_hash=anchor_hash, anchored_at=now)
        )
        deleted = connection.execute(delete(events).where(events.c.chain_seq <= anchor_seq))
        outcome.events = int(deleted.rowcount)
        outcome.anchor_seq = anchor_seq
    screenings = connection.execute(
        delete(cast(Table, ListScreening.__table__)).where(ListScreening.created_at < cutoffs["consultation"])
    )
    outcome.list_screenings = int(screenings.rowcount)
    session.expire_all()
    if outcome.events or outcome.list_screenings:
        record_event(
            session,
            "audit.pruned",
            actor=actor,
            via=via,
            subject={cls: utc_text(moment) for cls, moment in cutoffs.items()},
            outcome={
                "events_deleted": outcome.events,
                "list_screenings_deleted": outcome.list_screenings,
                "anchor_seq": outcome.anchor_seq,
                "anchor_hash": last_expired[1] if last_expired else str(head.anchor_hash),
            },
        )
    return outcome


# ---------------------------------------------------------------------------------------------- search


@dataclass(frozen=True)
class AuditFilter:
    """What an auditor searches the log for; every field optional."""

    actor: str | None = None
    action: str | None = None
    # matched against the text of the subject (a name, a person id, an external id)
    subject: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class AuditPage:
    items: list[AuditEvent]
    total: int
    page: int
    per_page: int


MAX_PER_PAGE = 200
EXPORT_COLUMNS = (
    "id",
    "occurred_at",
    "action",
    "event_class",
    "actor",
    "role",
    "via",
    "remote_addr",
    "subject",
    "outcome",
    "row_hash",
)


def _moment(raw: str, name: str, errors: list[FieldError], end_of_day: bool) -> datetime | None:
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            # `to` a date means up to the end of that day
            return start + timedelta(days=1) if end_of_day else start
        moment = datetime.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError(name, "must be a date YYYY-MM-DD or an ISO 8601 time"))
        return None
    if moment.tzinfo is None:
        errors.append(FieldError(name, "a time must carry a time zone (UTC: ...Z or +00:00)"))
        return None
    return moment


def _whole(raw: str | None, name: str, default: int, top: int, errors: list[FieldError]) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= top:
        errors.append(FieldError(name, f"must be a whole number from 1 to {top}"))
        return default
    return int(raw)


def audit_query(args: Mapping[str, str]) -> tuple[AuditFilter, int, int]:
    """The filter, page and page size of a search of the log (`who`, `action`, `subject`, `from`, `to`,
    `page`, `per_page`); every bad parameter is named."""
    errors: list[FieldError] = []
    since = _moment(args["from"], "from", errors, False) if args.get("from") else None
    until = _moment(args["to"], "to", errors, True) if args.get("to") else None
    page = _whole(args.get("page"), "page", 1, 1_000_000, errors)
    per_page = _whole(args.get("per_page"), "per_page", 50, MAX_PER_PAGE, errors)
    for name in ("who", "action", "subject"):
        value = args.get(name) or ""
        if len(value) > 200 or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
            errors.append(FieldError(name, "must be text of at most 200 characters"))
    if errors:
        raise ValidationFailed("invalid search of the audit log", errors)
    wanted = AuditFilter(
        actor=args.get("who") or None,
        action=args.get("action") or None,
        subject=args.get("subject") or None,
        since=since,
        until=until,
    )
    return wanted, page, per_page


def _filter_dict(wanted: AuditFilter) -> dict[str, Any]:
    return {
        "who": wanted.actor,
        "action": wanted.action,
        "subject": wanted.subject,
        "from": utc_text(wanted.since) if wanted.since else None,
        "to": utc_text(wanted.until) if wanted.until else None,
    }


def search_audit_log(session: Session, wanted: AuditFilter, page: int, per_page: int) -> AuditPage:
    """An auditor's search of the log; the search itself is audited (what was asked, which rows shown)."""
    found = search_audit(session, wanted, page, per_page)
    audit(
        session,
        "audit.search",
        subject={**_filter_dict(wanted), "page": page},
        outcome={"total": found.total, "rows_shown": [event.id for event in found.items]},
    )
    return found


def export_audit_log(session: Session, wanted: AuditFilter) -> bytes:
    """The rows matching the filter as CSV (cells that would start a formula escaped); the export itself
    is audited."""
    # imported here: list_screening imports this module (through screening)
    from watchlist.list_screening import write_csv

    events = list(matching_events(session, wanted))
    lines = []
    for event in events:
        shown = event_dict(event)
        lines.append(
            [
                json.dumps(shown[column], ensure_ascii=False, sort_keys=True)
                if isinstance(shown[column], dict)
                else shown[column]
                for column in EXPORT_COLUMNS
            ]
        )
    audit(
        session,
        "audit.export",
        subject=_filter_dict(wanted),
        outcome={
            "rows": len(events),
            "first_id": events[0].id if events else None,
            "last_id": events[-1].id if events else None,
        },
    )
    return write_csv(EXPORT_COLUMNS, lines)


def _filtered(query: Any, wanted: AuditFilter) -> Any:
    if wanted.actor:
        query = query.where(AuditEvent.actor == wanted.actor)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.since is not None:
        query = query.where(AuditEvent.occurred_at >= wanted.since)
    if wanted.until is not None:
        query = query.where(AuditEvent.occurred_at < wanted.until)
    return query


def _subject_matches(event: AuditEvent, needle: str) -> bool:
    return needle.casefold() in json.dumps(event.subject, ensure_ascii=False).casefold()


def search_audit(session: Session, wanted: AuditFilter, page: int = 1, per_page: int = 50) -> AuditPage:
    """One page of audit rows matching the filter, newest first."""
    query = _filtered(select(AuditEvent), wanted).order_by(AuditEvent.id.desc())
    if not wanted.subject:
        total = session.scalar(_filtered(select(func.count()).select_from(AuditEvent), wanted)) or 0
        items = list(session.scalars(query.offset((page - 1) * per_page).limit(per_page)))
        return AuditPage(items, int(total), page, per_page)
    # the subject is JSON, searched as text: portable between SQLite and PostgreSQL, done in Python
    matching = [event for event in session.scalars(query) if _subject_matches(event, wanted.subject)]
    return AuditPage(matching[(page - 1) * per_page : page * per_page], len(matching), page, per_page)


def matching_events(session: Session, wanted: AuditFilter) -> Iterator[AuditEvent]:
    """Every audit row matching the filter, oldest first (for export)."""
    for event in session.scalars(_filtered(select(AuditEvent), wanted).order_by(AuditEvent.id)):
        if not wanted.subject or _subject_matches(event, wanted.subject):
            yield event


def event_dict(event: AuditEvent) -> dict[str, Any]:
    """An audit row as the API shows it."""
    return {
        "id": event.id,
        "occurred_at": utc_text(event.occurred_at),
        "action": event.action,
        "event_class": event_class(event.action),
        "actor": event.actor,
        "role": event.role,
        "via": event.via,
        "remote_addr": event.remote_addr,
        "subject": event.subject,
        "outcome": event.outcome,
        "row_hash": event.row_hash,
    }
