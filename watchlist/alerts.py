"""Alerts operations: raise one alert per (person, incoming record) pair, never two."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watchlist.db import utcnow
from watchlist.models import Alert
from watchlist.models.runs import RetroRequest

# the person fields the matcher reads: a change to any of them may make old incoming records hits
SCREENED_FIELDS = frozenset({"full_name", "aliases", "document_names", "birth_date", "status"})


def raise_alert(
    session: Session,
    *,
    person_id: int,
    record_id: int,
    score: float,
    decision: str,
    explanation: Mapping[str, Any],
    run_id: int | None = None,
) -> tuple[Alert, bool]:
    """Raise an alert for a person found in an incoming record, unless that pair has one already;
    returns the pair's alert and whether it is new.

    An existing alert is left as it is, whatever its status: a pair dismissed by an officer stays
    dismissed when the record is matched again.
    """
    existing = session.scalars(
        select(Alert).where(Alert.person_id == person_id, Alert.record_id == record_id)
    ).one_or_none()
    if existing is not None:
        return existing, False
    alert = Alert(
        person_id=person_id,
        record_id=record_id,
        score=score,
        decision=decision,
        explanation=dict(explanation),
        status="new",
        run_id=run_id,
    )
    try:
        # a savepoint: a run in another process may raise the same pair between our look-up and insert
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        return session.scalars(
            select(Alert).where(Alert.person_id == person_id, Alert.record_id == record_id)
        ).one(), False
    return alert, True


def raise_alerts_for(
    session: Session, record_id: int, matches: Iterable[Mapping[str, Any]], run_id: int | None = None
) -> dict[str, int]:
    """Raise an alert for each candidate of one record's screening result that the matcher decided
    `alert`; returns how many were raised, existed already, or were only for review."""
    tally = {"alerts_raised": 0, "alerts_existing": 0, "review_candidates": 0}
    for match in matches:
        if match["decision"] != "alert":
            tally["review_candidates"] += 1
            continue
        _alert, new = raise_alert(
            session,
            person_id=match["person_id"],
            record_id=record_id,
            score=match["score"],
            decision=match["decision"],
            explanation=match["explanation"],
            run_id=run_id,
        )
        tally["alerts_raised" if new else "alerts_existing"] += 1
    return tally


def alerts_for_records(session: Session, record_ids: list[int]) -> list[Alert]:
    """The alerts raised on the given incoming records, oldest first."""
    if not record_ids:
        return []
    return list(session.scalars(select(Alert).where(Alert.record_id.in_(record_ids)).order_by(Alert.id)))


def screening_changed(changes: Collection[str]) -> bool:
    """Whether a person's changed fields (names of `persons.diff`) alter what the matcher finds."""
    return not SCREENED_FIELDS.isdisjoint(changes)


def queue_retro(session: Session, person_ids: Iterable[int]) -> int:
    """Queue persons to be matched against every stored incoming record (retro-matching), in the
    caller's transaction; returns how many were queued."""
    now = utcnow()
    rows = [{"person_id": person_id, "queued_at": now} for person_id in dict.fromkeys(person_ids)]
    if rows:
        session.execute(insert(RetroRequest), rows)
    return len(rows)
