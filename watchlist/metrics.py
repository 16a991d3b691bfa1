"""/metrics: Prometheus figures of the runs, records, alerts and screening latency.

Access: admins only (`@allow(Role.ADMIN)`): Prometheus scrapes with an admin's API token
(`authorization: {credentials_file: …}` in its scrape config); the figures reveal volumes, not persons.

Several gunicorn workers answer requests, and a scrape reaches one of them, so the figures that matter
across processes are computed from the database at each scrape (runs, records, alerts, queues): every
worker gives the same answer. Screening latency exists only in the processes that screened; it is a
histogram kept per process, shared through prometheus_client's multiprocess mode when
PROMETHEUS_MULTIPROC_DIR is set (as gunicorn deployments must, one directory emptied at start), and
otherwise the answering process's own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchlist.access import allow
from watchlist.db import get_session
from watchlist.incoming import waiting_to_be_matched
from watchlist.models import Alert, Delivery, DeliveryStatus, ReceivedRecord, Role, Run
from watchlist.models.runs import RetroRequest

metrics = Blueprint("metrics", __name__)

# the endpoints whose latency is the screening latency officials feel
SCREENING_ENDPOINTS = frozenset({"api.screen_one", "api.screen_batch"})

SCREENING_SECONDS = Histogram(
    "watchlist_screening_seconds",
    "Time to answer a screening request, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=None,
)


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


class DatabaseCollector(Collector):
    """The figures read from the database at each scrape, the same whichever process answers."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def collect(self) -> Iterator[Metric]:
        session = self.session
        runs = CounterMetricFamily(
            "watchlist_runs", "Runs recorded, by kind and outcome.", labels=["kind", "status"]
        )
        for kind, status, count in session.execute(
            select(Run.kind, Run.status, func.count()).group_by(Run.kind, Run.status)
        ):
            runs.add_metric([kind.value, status.value], count)
        yield runs

        last_duration = GaugeMetricFamily(
            "watchlist_run_last_duration_seconds",
            "How long the last finished run of each kind and source took.",
            labels=["kind", "source"],
        )
        last_success = GaugeMetricFamily(
            "watchlist_run_last_success_timestamp_seconds",
            "When the last successful (or unchanged) run of each kind and source finished (alert when old).",
            labels=["kind", "source"],
        )
        latest = (
            select(Run.kind, Run.source, func.max(Run.id).label("id"))
            .where(Run.finished_at.is_not(None))
            .group_by(Run.kind, Run.source)
            .subquery()
        )
        for run in session.scalars(select(Run).join(latest, Run.id == latest.c.id)):
            assert run.finished_at is not None
            last_duration.add_metric(
                [run.kind.value, run.source or ""], (run.finished_at - run.started_at).total_seconds()
            )
        succeeded = session.execute(
            select(Run.kind, Run.source, func.max(Run.finished_at))
            .where(Run.status.in_(["succeeded", "unchanged"]))
            .group_by(Run.kind, Run.source)
        )
        for kind, source, finished_at in succeeded:
            if finished_at is not None:
                last_success.add_metric([kind.value, source or ""], _seconds(finished_at))
        yield last_duration
        yield last_success

        received = CounterMetricFamily(
            "watchlist_records_received",
            "Rows received in accepted deliveries, by source.",
            labels=["source"],
        )
        for source, rows in session.execute(
            select(Delivery.source, func.coalesce(func.sum(Delivery.rows_total), 0))
            .where(Delivery.status == DeliveryStatus.ACCEPTED)
            .group_by(Delivery.source)
        ):
            received.add_metric([source], rows)
        yield received

        quarantined = CounterMetricFamily(
            "watchlist_deliveries_quarantined", "Deliveries quarantined whole, by source.", labels=["source"]
        )
        for source, count in session.execute(
            select(Delivery.source, func.count())
            .where(Delivery.status == DeliveryStatus.QUARANTINED)
            .group_by(Delivery.source)
        ):
            quarantined.add_metric([source], count)
        yield quarantined

        stored = GaugeMetricFamily(
            "watchlist_records_stored", "Incoming records stored, by source.", labels=["source"]
        )
        pending = GaugeMetricFamily(
            "watchlist_records_pending_match",
            "Records new or changed and not matched yet, by source.",
            labels=["source"],
        )
        waiting = waiting_to_be_matched()
        for source, count in session.execute(
            select(ReceivedRecord.source, func.count()).group_by(ReceivedRecord.source)
        ):
            stored.add_metric([source], count)
        for source, count in session.execute(
            select(ReceivedRecord.source, func.count()).where(waiting).group_by(ReceivedRecord.source)
        ):
            pending.add_metric([source], count)
        yield stored
        yield pending

        alerts = CounterMetricFamily(
            "watchlist_alerts",
            "Alerts raised, by source of the record and current status.",
            labels=["source", "status"],
        )
        for source, alert_status, count in session.execute(
            select(ReceivedRecord.source, Alert.status, func.count())
            .join(ReceivedRecord, ReceivedRecord.id == Alert.record_id)
            .group_by(ReceivedRecord.source, Alert.status)
        ):
            alerts.add_metric([source, alert_status], count)
        yield alerts

        retro = GaugeMetricFamily("watchlist_retro_queue", "Persons waiting to be retro-matched.")
        retro.add_metric([], session.scalar(select(func.count()).select_from(RetroRequest)) or 0)
        yield retro


def exposition(session: Session) -> bytes:
    """The metrics in the Prometheus text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(session))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(SCREENING_SECONDS)
    return generate_latest(registry)


@metrics.get("/metrics")
@allow(Role.ADMIN)
def metrics_view() -> Response:
    """The Prometheus scrape target."""
    return Response(exposition(get_session()), content_type=CONTENT_TYPE_LATEST)


def _start_timer() -> None:
    if request.endpoint in SCREENING_ENDPOINTS:
        g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        SCREENING_SECONDS.labels(request.endpoint).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    """Serve /metrics and time the screening requests."""
    app.register_blueprint(metrics)
    app.before_request(_start_timer)
    app.after_request(_observe)
