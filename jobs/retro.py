"""Retro-matching: persons added to the watchlist, or whose names changed, matched against every stored
incoming record (he may have crossed the border last month).

The registry operations queue the person (`watchlist.alerts.queue_retro`) in the transaction that changes
him, and the scheduler's retro job (or `watchlist retro`) works the queue off. Queued, not done at once:
an import of 10,000 persons commits as fast as before, and a crash between the change and the matching
loses nothing because the request commits with the change. The work builds a small match index of just
the queued persons and streams the stored records' names through it in slices, so its cost is one pass
over the records whatever the number of persons queued; the requests are deleted only when the pass is
done, so a run that dies is repeated whole by the next, and `raise_alert` keeps any pair from being
alerted twice (a dismissed pair stays dismissed).
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from jobs.runs import recorded_run
from matchers import MatchIndex, Thresholds
from watchlist.alerts import raise_alerts_for
from watchlist.db import session_scope
from watchlist.models import ConvictedPerson, PersonStatus, ReceivedRecord, Run, RunKind
from watchlist.models.runs import RetroRequest
from watchlist.screening import IncomingRecord, WatchlistIndex, person_entry
from watchlist.settings import Settings

# stored records screened per transaction
RETRO_SLICE = 2000
# persons taken from the queue by one run; the rest wait for the next
MAX_PERSONS = 50_000


def retro_pending(factory: sessionmaker[Session]) -> int:
    """How many retro-matching requests wait in the queue."""
    with factory() as session:
        return session.scalar(select(func.count()).select_from(RetroRequest)) or 0


def _persons_index(session: Session, settings: Settings, person_ids: list[int]) -> WatchlistIndex:
    external_ids: dict[int, str] = {}
    entries = []
    person_ids = sorted(person_ids)
    for start in range(0, len(person_ids), 1000):
        persons = session.scalars(
            select(ConvictedPerson)
            .where(
                ConvictedPerson.id.in_(person_ids[start : start + 1000]),
                # a person closed since he was queued is screened no more
                ConvictedPerson.status != PersonStatus.CLOSED,
            )
            .options(selectinload(ConvictedPerson.names))
            # in id order, as the web workers' index loads them: ties among namesakes break the same way
            .order_by(ConvictedPerson.id)
        )
        for person in persons:
            external_ids[person.id] = person.external_id
            entries.append(person_entry(person))
    index = MatchIndex.build(
        entries,
        Thresholds(alert=settings.matching_alert_threshold, review=settings.matching_review_threshold),
        max_candidates=settings.matching_max_candidates,
    )
    return WatchlistIndex(index=index, version=0, external_ids=external_ids)


def run_retro(
    factory: sessionmaker[Session], settings: Settings, *, slice_size: int = RETRO_SLICE
) -> Run | None:
    """Match the queued persons against every stored incoming record and raise an alert for each hit;
    returns the run's row, or None when nobody was queued (no run is recorded then)."""
    with factory() as session:
        queued = session.execute(
            select(RetroRequest.id, RetroRequest.person_id).order_by(RetroRequest.id).limit(MAX_PERSONS)
        ).all()
    if not queued:
        return None
    request_ids = [row.id for row in queued]
    person_ids = list(dict.fromkeys(row.person_id for row in queued))
    with recorded_run(factory, RunKind.RETRO, None, settings.runs_heartbeat_seconds) as recorder:
        counts = recorder.counts
        counts.update(
            persons=len(person_ids),
            records_screened=0,
            alerts_raised=0,
            alerts_existing=0,
            review_candidates=0,
        )
        with factory() as session:
            index = _persons_index(session, settings, person_ids)
        table = ReceivedRecord.__table__.c
        after = 0
        while index.external_ids:
            with session_scope(factory) as session:
                rows = session.execute(
                    select(table.id, table.record_id, table.record_key, table.name, table.birth_date)
                    .where(table.id > after)
                    .order_by(table.id)
                    .limit(slice_size)
                ).all()
                if not rows:
                    break
                results = index.screen_records(
                    [
                        IncomingRecord(row.record_id or row.record_key, row.name, row.birth_date)
                        for row in rows
                    ]
                )
                for row, result in zip(rows, results, strict=True):
                    tally = raise_alerts_for(session, row.id, result["matches"], recorder.run_id)
                    for key, value in tally.items():
                        counts[key] += value
                counts["records_screened"] += len(rows)
                after = rows[-1].id
        with session_scope(factory) as session:
            # only the requests this run took: a person queued again meanwhile is matched again next time
            for start in range(0, len(request_ids), 1000):
                session.execute(
                    delete(RetroRequest).where(RetroRequest.id.in_(request_ids[start : start + 1000]))
                )
    assert recorder.run is not None
    return recorder.run
