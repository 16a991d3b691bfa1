"""The audit log's jobs: seal new rows into the hash chain every few seconds, prune what is past its
retention once a day."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy.orm import Session, sessionmaker

from watchlist.audit import prune_audit, retention_of, seal_chain
from watchlist.db import session_scope
from watchlist.settings import Settings

log = logging.getLogger(__name__)

# once a day, at a quiet hour (UTC)
PRUNE_TRIGGER = CronTrigger(hour=3, minute=40, timezone="UTC")
# how long a written row waits at most (with the scheduler up) before the chain covers it
SEAL_TRIGGER = IntervalTrigger(seconds=5)


def seal_job(factory: sessionmaker[Session]) -> Callable[[], None]:
    """The scheduled job: link the rows written since the last sealing into the chain."""

    def seal() -> None:
        with session_scope(factory) as session:
            seal_chain(session)

    return seal


def prune_job(factory: sessionmaker[Session], settings: Settings) -> Callable[[], None]:
    """The scheduled job: delete audit rows and list screenings past their retention."""

    def prune() -> None:
        with session_scope(factory) as session:
            pruned = prune_audit(session, retention_of(settings), actor="job:audit-prune", via="job")
        log.info("audit prune: %d rows, %d list screenings", pruned.events, pruned.list_screenings)

    return prune
