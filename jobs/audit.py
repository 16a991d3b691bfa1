"""The audit log's retention job: the scheduler prunes what is past its time once a day."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from sqlalchemy.orm import Session, sessionmaker

from watchlist.audit import prune_audit, retention_of
from watchlist.db import session_scope
from watchlist.settings import Settings

log = logging.getLogger(__name__)

# once a day, at a quiet hour (UTC)
PRUNE_TRIGGER = CronTrigger(hour=3, minute=40, timezone="UTC")


def prune_job(factory: sessionmaker[Session], settings: Settings) -> Callable[[], None]:
    """The scheduled job: delete audit rows and list screenings past their retention."""

    def prune() -> None:
        with session_scope(factory) as session:
            pruned = prune_audit(session, retention_of(settings), actor="job:audit-prune", via="job")
        log.info("audit prune: %d rows, %d list screenings", pruned.events, pruned.list_screenings)

    return prune
