"""The alerts' job: raise the alerts of the hits officials' screenings queued, every few seconds."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy.orm import Session, sessionmaker

from watchlist.alerts import raise_queued_screening_alerts
from watchlist.db import session_scope

log = logging.getLogger(__name__)

# how long a screening's hit waits at most (with the scheduler up) before its alert is in the inbox
SCREENING_ALERTS_TRIGGER = IntervalTrigger(seconds=2)
# hits raised per transaction: a long queue is worked off in slices, each committed on its own
SLICE = 500


def screening_alerts_job(factory: sessionmaker[Session], slice_size: int = SLICE) -> Callable[[], None]:
    """The scheduled job: raise the alerts of every queued screening hit, a slice per transaction."""

    def raise_queued() -> None:
        raised = 0
        while True:
            with session_scope(factory) as session:
                taken = raise_queued_screening_alerts(session, limit=slice_size)
            raised += taken
            if taken < slice_size:
                break
        if raised:
            log.info("screening alerts: %d queued hits raised", raised)

    return raise_queued
