"""Screening: the watchlist's match index, and screening one name or a list of incoming records against it."""

from __future__ import annotations

import gc
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson
from flask import Flask
from sqlalchemy import Select, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from matchers import Match, MatchIndex, PersonEntry, Thresholds
from matchers.index import collector_paused
from watchlist.alerts import queued_screening_hits
from watchlist.audit import Attached, write_event
from watchlist.db import read_only_session
from watchlist.exc import FieldError, Unavailable, ValidationFailed
from watchlist.models import ConvictedPerson, PersonStatus, WatchlistRevision
from watchlist.settings import Settings

# how far before the last loaded revision a refresh looks for changed persons
RELOAD_MARGIN = timedelta(minutes=5)

# an index of at least this many persons is built out of the cyclic garbage collector's way
SETTLE_MIN_PERSONS = 5_000

# the columns of an incoming-list file that make up a name when `full_name` is absent, in the order joined
NAME_PART_COLUMNS = ("surname", "given_name", "patronymic")


@dataclass(frozen=True)
class IncomingRecord:
    """One record to screen: a name (full, or joined from its parts) and a raw birth date."""

    record_id: str | None
    name: str
    birth_date: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


def person_entry(person: ConvictedPerson) -> PersonEntry:
    """The matcher's view of a watchlist person: every name, and the birth date at its precision."""
    return PersonEntry(
        person_id=person.id,
        names=tuple(name.name for name in person.names),
        birth_date=person.birth_date_text(),
    )


def build_long_lived(
    entries: Sequence[PersonEntry], thresholds: Thresholds, max_candidates: int
) -> MatchIndex:
    """Build the match index of a process (a web worker's, a matching run's), for a large watchlist out
    of the way of Python's cyclic garbage collector.

    A large index is millions of objects that live as long as the process, and the collector walks them
    all again whenever the objects made since outgrow a quarter of them: screening makes and drops many
    (the matcher's caches turn over), so about a quarter of a screening's time went to walks that never
    found anything to free. So for `SETTLE_MIN_PERSONS` or more: garbage is collected first, the build
    runs with the collector paused, and what the process then holds is frozen (`gc.freeze`), before a
    collection would walk the new objects once more. Reference counting still frees a frozen object that
    dies (the index holds no reference cycles), and forked children (`screen_many`) keep sharing its pages.
    What an earlier build froze is handed back to the collector first: a cycle that was alive then (a
    session, a run's objects) and died since would otherwise never be freed, one more at each load of a
    process that loads again and again (the scheduler's nightly runs, a web worker's reloads).
    """
    if len(entries) < SETTLE_MIN_PERSONS:
        return MatchIndex.build(entries, thresholds, max_candidates=max_candidates)
    gc.unfreeze()
    gc.collect()
    with collector_paused():
        index = MatchIndex.build(entries, thresholds, max_candidates=max_candidates)
        gc.freeze()
    return index


def _persons_to_index() -> Select[ConvictedPerson]:
    """The persons with what the index and the details need, in id order, for the full load and for a
    refresh alike: the slots the index gives them, and so which of many namesakes tied at the cheap cut
    are scored in detail, do not follow the database's whim."""
    return (
        select(ConvictedPerson)
        .options(selectinload(ConvictedPerson.names), selectinload(ConvictedPerson.convictions))
        .order_by(ConvictedPerson.id)
    )


def _screenable_persons(session: Session) -> Iterator[ConvictedPerson]:
    # closed persons are not screened: the case is over, a hit would send officers after nobody
    query = (
        _persons_to_index()
        .where(ConvictedPerson.status != PersonStatus.CLOSED)
        .execution_options(yield_per=2000)
    )
    yield from session.scalars(query)


def _read_screenable(session: Session) -> tuple[dict[int, str], dict[int, bytes], list[PersonEntry]]:
    external_ids: dict[int, str] = {}
    details: dict[int, bytes] = {}
    entries: list[PersonEntry] = []
    for person in _screenable_persons(session):
        external_ids[person.id] = person.external_id
        details[person.id] = _packed_details(person)
        entries.append(person_entry(person))
    return external_ids, details, entries


def _revision(session: Session) -> tuple[int, datetime | None]:
    row = session.execute(
        select(WatchlistRevision.version, WatchlistRevision.changed_at).where(WatchlistRevision.id == 1)
    ).one_or_none()
    return (row[0], row[1]) if row else (0, None)


@dataclass
class WatchlistIndex:
    """A match index over the watchlist with what a result needs besides the person id."""

    index: MatchIndex
    version: int
    external_ids: dict[int, str]
    # when the revision we loaded was written; persons changed since (less a margin) are reloaded
    changed_at: datetime | None = None
    # what an official sees of each screenable person (`person_details`), as compact UTF-8 JSON: a hit's
    # details come from here, as fresh as the index itself, instead of three queries per request; JSON
    # bytes take a fraction of the memory of the nested dicts
    details: dict[int, bytes] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, settings: Settings) -> WatchlistIndex:
        """Build the index from every person who is not closed."""
        version, changed_at = _revision(session)
        # read in a function of its own: no person object (each a cycle with its names) outlives it
        external_ids, details, entries = _read_screenable(session)
        index = build_long_lived(
            entries,
            Thresholds(alert=settings.matching_alert_threshold, review=settings.matching_review_threshold),
            max_candidates=settings.matching_max_candidates,
        )
        return cls(
            index=index, version=version, external_ids=external_ids, changed_at=changed_at, details=details
        )

    def refresh(self, session: Session) -> bool:
        """Bring the index up to the watchlist's current version, reloading only the persons changed
        since the version it holds; returns whether anything was reloaded."""
        version, changed_at = _revision(session)
        if version == self.version:
            return False
        query = _persons_to_index()
        if self.changed_at is not None:
            # a transaction that was slow to commit wrote updated_at before the revision it bumped; the
            # margin takes such persons again (upsert is idempotent, reloading a few twice costs little)
            query = query.where(ConvictedPerson.updated_at >= self.changed_at - RELOAD_MARGIN)
        for person in session.scalars(query):
            if person.status is PersonStatus.CLOSED:
                self.index.remove(person.id)
                self.external_ids.pop(person.id, None)
                self.details.pop(person.id, None)
            else:
                self.index.upsert(person_entry(person))
                self.external_ids[person.id] = person.external_id
                self.details[person.id] = _packed_details(person)
        self.version, self.changed_at = version, changed_at
        return True

    def match_to_dict(self, match: Match) -> dict[str, Any]:
        return {
            "person_id": match.person_id,
            "external_id": self.external_ids.get(match.person_id),
            "score": round(match.score, 4),
            "decision": match.decision,
            "explanation": match.explanation.to_dict(),
        }

    def screen(self, name: str, birth_date: str | None = None) -> list[dict[str, Any]]:
        """Screen one name; candidates best first, each as a JSON-ready dict."""
        return [self.match_to_dict(match) for match in self.index.screen(name, birth_date)]

    def screen_records(
        self, records: Sequence[IncomingRecord], *, workers: int | None = 1
    ) -> list[dict[str, Any]]:
        """Screen many records; one result per record, in input order, in the screening-result shape.

        In this process by default: web workers and the scheduler run threads, and forking a threaded
        process is unsafe. A single-threaded command may pass `workers=None` to let the matcher fork one
        process per CPU for a large list.
        """
        found = self.index.screen_many(
            ((record.name, record.birth_date) for record in records), workers=workers
        )
        return [
            {"record_id": record.record_id, "matches": [self.match_to_dict(m) for m in matches]}
            for record, matches in zip(records, found, strict=True)
        ]

    def add_details(self, results: Sequence[dict[str, Any]]) -> None:
        """Add each candidate's person details (`person_details`) from the index, a fresh copy each."""
        for result in results:
            for match in result["matches"]:
                packed = self.details.get(match["person_id"])
                if packed is not None:
                    match["person"] = orjson.loads(packed)


def _packed_details(person: ConvictedPerson) -> bytes:
    return orjson.dumps(person_details(person))


# longer names are not names: refuse them before they reach the matcher
MAX_NAME_LENGTH = 300
MAX_FIELD_LENGTH = 200
# control characters other than tab and newline, and lone surrogates (as persons.py refuses them in names)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# the fields a screening query or an incoming record may carry beside any raw attributes
QUERY_FIELDS = (
    "record_id",
    "name",
    "full_name",
    *NAME_PART_COLUMNS,
    "birth_date",
    "nationality",
    "document_number",
)


def _text(
    row: Mapping[str, Any], key: str, errors: list[FieldError], row_number: int | None, file: str | None
) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if isinstance(value, datetime):
        # a spreadsheet cell formatted as a date
        return value.date().isoformat()
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors.append(FieldError(key, "must be text", row_number, file))
        return ""
    text = str(value).strip()
    if _CONTROL.search(text):
        # a NUL or a lone surrogate cannot go into the audit row on PostgreSQL; it is bad input, not a 500
        errors.append(FieldError(key, "contains control characters or broken Unicode", row_number, file))
        return ""
    limit = MAX_NAME_LENGTH if key in ("name", "full_name", *NAME_PART_COLUMNS) else MAX_FIELD_LENGTH
    if len(text) > limit:
        errors.append(FieldError(key, f"is longer than {limit} characters", row_number, file))
        return ""
    return text


def incoming_record(
    row: Mapping[str, Any], row_number: int | None = None, file: str | None = None
) -> IncomingRecord:
    """Turn a screening query or one row of an incoming list into a record, or raise ValidationFailed
    naming the row and every bad field.

    The name is `name` or `full_name`, or `surname given_name patronymic` joined; `record_id` defaults to
    the row number, so a list without ids can still be screened and its results told apart.
    """
    errors: list[FieldError] = []
    texts = {key: _text(row, key, errors, row_number, file) for key in QUERY_FIELDS}
    name = texts["name"] or texts["full_name"]
    if not name:
        name = " ".join(texts[column] for column in NAME_PART_COLUMNS if texts[column])
    if not name and not errors:
        errors.append(
            FieldError("full_name", "empty (give full_name or surname/given_name)", row_number, file)
        )
    if errors:
        raise ValidationFailed("the record cannot be screened", errors)
    attributes = {key: texts[key] for key in ("nationality", "document_number") if texts[key]}
    for key, value in row.items():
        if key not in QUERY_FIELDS and value not in (None, ""):
            attributes[str(key)] = str(value)[:MAX_FIELD_LENGTH]
    record_id = texts["record_id"] or (str(row_number) if row_number is not None else None)
    return IncomingRecord(
        record_id=record_id,
        name=name,
        birth_date=texts["birth_date"] or None,
        attributes=attributes,
    )


def incoming_records(
    rows: Iterable[tuple[int, Mapping[str, Any]]], file: str | None = None
) -> tuple[list[IncomingRecord], list[FieldError]]:
    """Every record of an incoming list given as (row number, row), and every row that cannot be screened,
    with its reason."""
    records: list[IncomingRecord] = []
    errors: list[FieldError] = []
    for number, row in rows:
        try:
            records.append(incoming_record(row, number, file))
        except ValidationFailed as error:
            errors.extend(error.details)
    return records, errors


class ScreeningService:
    """One process's match index over the watchlist, kept fresh.

    Each web worker holds one. Before answering it checks the watchlist's version in the database at most
    every `check_seconds` and reloads the persons that changed, so a change reaches every worker within
    that time with no restart. Screening and reloading take turns under one lock: both are CPU-bound
    Python, so threads would not run them side by side anyway.
    """

    def __init__(
        self,
        sessionmaker: Callable[[], Session],
        settings: Settings,
        check_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._check_seconds = check_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._index: WatchlistIndex | None = None
        self._checked_at = float("-inf")

    def _fresh(self) -> WatchlistIndex:
        now = self._clock()
        if self._index is not None and now - self._checked_at < self._check_seconds:
            return self._index
        try:
            with read_only_session(self._sessionmaker) as session:
                if self._index is None:
                    self._index = WatchlistIndex.load(session, self._settings)
                else:
                    self._index.refresh(session)
        except SQLAlchemyError as error:
            # never answer "no match" from a watchlist we could not read
            raise Unavailable("the watchlist cannot be read right now; try again shortly") from error
        self._checked_at = now
        return self._index

    def with_index(self, work: Callable[[WatchlistIndex], Any]) -> Any:
        """Run `work` on the fresh index, holding the lock."""
        with self._lock:
            return work(self._fresh())

    @property
    def settings(self) -> Settings:
        return self._settings

    def warm(self) -> None:
        """Load the index now rather than on the first screening."""
        self.with_index(lambda index: None)


Decision = Literal["hit", "possible_hit", "no_hit"]


def overall_decision(matches: Sequence[Mapping[str, Any]]) -> Decision:
    """What the official is told: a hit when any candidate alerts, a possible hit on review, else none."""
    if any(match["decision"] == "alert" for match in matches):
        return "hit"
    return "possible_hit" if matches else "no_hit"


def person_details(person: ConvictedPerson) -> dict[str, Any]:
    """What an official sees of a hit: the person's status, names, birth date and convictions."""
    return {
        "external_id": person.external_id,
        "status": person.status.value,
        "primary_name": person.primary_name,
        "names": [{"name": n.name, "kind": n.kind.value, "script": n.script} for n in person.names],
        "birth_date": person.birth_date_text(),
        "convictions": [
            {
                "court": c.court,
                "case_number": c.case_number,
                "article": c.article,
                "sentence": c.sentence,
                "verdict_date": c.verdict_date.isoformat() if c.verdict_date else None,
                "in_absentia": c.in_absentia,
            }
            for c in person.convictions
        ],
    }


# persons read per query when adding details to many results (under every database's parameter limit)
DETAILS_CHUNK = 2000


def with_persons_details(session: Session, results: Sequence[dict[str, Any]]) -> None:
    """Add each candidate's person details (status, convictions) to many screening results.

    The persons are read once for all results, a chunk of ids per query: a list of 10,000 records would
    otherwise cost three queries per record.
    """
    ids = sorted({match["person_id"] for result in results for match in result["matches"]})
    details: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), DETAILS_CHUNK):
        for person in session.scalars(
            select(ConvictedPerson)
            .where(ConvictedPerson.id.in_(ids[start : start + DETAILS_CHUNK]))
            .options(selectinload(ConvictedPerson.names), selectinload(ConvictedPerson.convictions))
        ):
            details[person.id] = person_details(person)
    for result in results:
        for match in result["matches"]:
            if match["person_id"] in details:
                # a copy each: a caller may change one result without touching another that names him
                match["person"] = dict(details[match["person_id"]])


def with_person_details(session: Session, result: dict[str, Any]) -> dict[str, Any]:
    """Add each candidate's person details (status, convictions) to a screening result."""
    with_persons_details(session, [result])
    return result


def instruction(settings: Settings, language: str) -> str:
    """What an official is told to do on a hit, in the UI language."""
    return settings.screening_instruction_en if language == "en" else settings.screening_instruction_uk


def audit_screening(
    session: Session,
    action: str,
    results: Sequence[Mapping[str, Any]],
    subject: Mapping[str, Any],
    *,
    actor: str,
    via: str,
    role: str | None = None,
    remote_addr: str | None = None,
    attached: Attached | None = None,
    commit: bool = False,
) -> int:
    """Write who screened what and which persons the answer disclosed, with the `attached` rows that point
    at it (and commit it, when `commit`: see `write_event`); returns the audit row's id."""
    disclosed = sorted({m["person_id"] for r in results for m in r["matches"]})
    return write_event(
        session,
        action,
        actor=actor,
        via=via,
        role=role,
        remote_addr=remote_addr,
        subject=subject,
        outcome={
            "records": len(results),
            "hits": sum(1 for r in results if overall_decision(r["matches"]) == "hit"),
            "possible_hits": sum(1 for r in results if overall_decision(r["matches"]) == "possible_hit"),
            "persons_disclosed": disclosed,
        },
        attached=attached,
        commit=commit,
    )


def screening_service(app: Flask) -> ScreeningService:
    """The app's screening service (one per process)."""
    service: ScreeningService = app.extensions["watchlist.screening"]
    return service


def init_app(app: Flask, sessionmaker: Callable[[], Session], settings: Settings) -> None:
    app.extensions["watchlist.screening"] = ScreeningService(sessionmaker, settings)


def screen_records(
    session: Session,
    service: ScreeningService,
    records: Sequence[IncomingRecord],
    *,
    action: str,
    actor: str,
    via: str,
    role: str | None = None,
    remote_addr: str | None = None,
    language: str = "uk",
    subject: Mapping[str, Any] | None = None,
    commit: bool = False,
) -> list[dict[str, Any]]:
    """Screen records for an official (API or page) and write the audit row; the one way to screen.

    Each result is the screening-result shape with, added, the overall `decision` (hit / possible_hit /
    no_hit), each candidate's person details, and on a hit the configured instruction. The audit row is
    written in the caller's transaction: if it cannot be written, the caller must not answer. Each hit
    is queued in the same transaction for the `screening-alerts` job, which raises its alert of origin
    `screening` (`queued_screening_hits`). A caller with nothing else to write (the API) passes `commit`:
    the row is then committed here, where that is cheapest (`audit.write_event`).
    """

    def screen(index: WatchlistIndex) -> list[dict[str, Any]]:
        # matches and details from one state of the index, under its lock
        found = index.screen_records(records)
        index.add_details(found)
        return found

    results: list[dict[str, Any]] = service.with_index(screen)
    what_to_do = instruction(service.settings, language)
    for result in results:
        result["decision"] = overall_decision(result["matches"])
        result["instruction"] = what_to_do if result["decision"] != "no_hit" else None
    screened = [
        {"record_id": r.record_id, "name": r.name, "birth_date": r.birth_date, **r.attributes}
        for r in records
    ]
    if subject is None:
        subject = {"records": screened}
    # a hit is an alert for the enforcement officers: queued with the audit row of the screening that
    # found it, which it points at
    hits = queued_screening_hits(screened, results, list_screening_id=subject.get("list_screening_id"))
    audit_screening(
        session,
        action,
        results,
        subject,
        actor=actor,
        via=via,
        role=role,
        remote_addr=remote_addr,
        attached=hits,
        commit=commit,
    )
    return results
