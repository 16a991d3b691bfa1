"""Screening: the watchlist's match index, and screening one name or a list of incoming records against it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from matchers import Match, MatchIndex, PersonEntry, Thresholds
from watchlist.exc import FieldError, ValidationFailed
from watchlist.models import ConvictedPerson, PersonStatus
from watchlist.persons import watchlist_version
from watchlist.settings import Settings

# the columns of an incoming-list file that make up a name when `full_name` is absent, in the order joined
NAME_PART_COLUMNS = ("surname", "given_name", "patronymic")


@dataclass(frozen=True)
class IncomingRecord:
    """One record to screen: a name (full, or joined from its parts) and a raw birth date."""

    record_id: str
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


def _screenable_persons(session: Session) -> Iterator[ConvictedPerson]:
    # closed persons are not screened: the case is over, a hit would send officers after nobody
    query = (
        select(ConvictedPerson)
        .where(ConvictedPerson.status != PersonStatus.CLOSED)
        .options(selectinload(ConvictedPerson.names))
        .order_by(ConvictedPerson.id)
        .execution_options(yield_per=2000)
    )
    yield from session.scalars(query)


@dataclass
class WatchlistIndex:
    """A match index over the watchlist with what a result needs besides the person id."""

    index: MatchIndex
    version: int
    external_ids: dict[int, str]

    @classmethod
    def load(cls, session: Session, settings: Settings) -> WatchlistIndex:
        """Build the index from every person who is not closed."""
        version = watchlist_version(session)
        external_ids: dict[int, str] = {}
        entries: list[PersonEntry] = []
        for person in _screenable_persons(session):
            external_ids[person.id] = person.external_id
            entries.append(person_entry(person))
        index = MatchIndex.build(
            entries,
            Thresholds(alert=settings.matching_alert_threshold, review=settings.matching_review_threshold),
            max_candidates=settings.matching_max_candidates,
        )
        return cls(index=index, version=version, external_ids=external_ids)

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

    def screen_records(self, records: Sequence[IncomingRecord]) -> list[dict[str, Any]]:
        """Screen many records; one result per record, in input order, in the screening-result shape."""
        found = self.index.screen_many((record.name, record.birth_date) for record in records)
        return [
            {"record_id": record.record_id, "matches": [self.match_to_dict(m) for m in matches]}
            for record, matches in zip(records, found, strict=True)
        ]


def _clean(value: Any) -> str:
    return "" if value is None else str(value).strip()


def incoming_record(row: Mapping[str, Any], row_number: int, file: str | None = None) -> IncomingRecord:
    """Turn one row of an incoming list into a record, or raise ValidationFailed naming the row and field.

    The name is `full_name`, or `surname given_name patronymic` joined; `record_id` defaults to the row
    number, so a list without ids can still be screened and its results told apart.
    """
    name = _clean(row.get("full_name"))
    if not name:
        name = " ".join(part for part in (_clean(row.get(c)) for c in NAME_PART_COLUMNS) if part)
    if not name:
        raise ValidationFailed(
            "record has no name",
            [FieldError("full_name", "empty (give full_name or surname/given_name)", row_number, file)],
        )
    known = {"record_id", "full_name", "birth_date", *NAME_PART_COLUMNS}
    return IncomingRecord(
        record_id=_clean(row.get("record_id")) or str(row_number),
        name=name,
        birth_date=_clean(row.get("birth_date")) or None,
        attributes={k: _clean(v) for k, v in row.items() if k not in known and _clean(v)},
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
