"""The scheduler's audit jobs: sealing links new rows into the chain, pruning enforces retention."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jobs.audit import prune_job, seal_job
from jobs.scheduler import job_specs
from jobs.sources.config import SourcesConfig
from watchlist.audit import record_event, verify_chain
from watchlist.db import utcnow
from watchlist.models import AuditEvent, ListScreening
from watchlist.settings import Settings


def test_the_seal_job_links_new_rows_into_the_chain(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    record_event(session, "screen", actor="olha", via="token", subject={"q": "Олег"})
    session.commit()
    seal_job(session_factory)()
    session.expire_all()
    row = session.scalars(select(AuditEvent).where(AuditEvent.action == "screen")).one()
    assert row.chain_seq is not None and row.row_hash is not None
    result = verify_chain(session)
    assert result.intact and result.unsealed == 0


def test_the_prune_job_deletes_list_screenings_past_the_consultation_retention(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    session.add(ListScreening(owner="s", file_name="old.csv", created_at=utcnow() - timedelta(days=1097)))
    session.commit()
    prune_job(session_factory, settings)()
    session.expire_all()
    assert session.scalars(select(ListScreening)).all() == []
    [pruned] = session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.pruned")).all()
    assert (pruned.actor, pruned.via) == ("job:audit-prune", "job")
    assert pruned.outcome["list_screenings_deleted"] == 1


def test_both_jobs_are_declared_with_stable_ids(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    specs = {spec.id: spec for spec in job_specs(session_factory, settings, SourcesConfig({}))}
    assert {"audit-seal", "audit-prune"} <= set(specs)
