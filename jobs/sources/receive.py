"""Receiving a source's delivery, from a file given by hand, a drop folder or an HTTP fetch: each is a run
with its row, stored in one transaction, then the new and changed records are matched."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy.orm import Session, sessionmaker

from jobs.runs import has_records_to_match, recorded_run, run_matching
from jobs.sources.config import FolderTransport, HttpTransport, Source, SourcesConfig
from jobs.sources.fetch import Fetched, Fetcher, display_url
from jobs.sources.parse import ParsedDelivery, parse_delivery
from watchlist.db import session_scope, utcnow
from watchlist.exc import ValidationFailed
from watchlist.incoming import (
    DeliveredBytes,
    DeliveryReport,
    delivery_with_checksum,
    receive_delivery,
    source_state,
)
from watchlist.models import Run, RunKind, RunStatus
from watchlist.settings import Settings

# a file in a drop folder younger than this may still be being written
DEFAULT_SETTLE_SECONDS = 10.0


@dataclass
class Received:
    """One delivery's outcome: its run, what became of it, and the matching run that followed."""

    run: Run
    report: DeliveryReport | None = None
    fetched: Fetched | None = None
    match_run: Run | None = None


@dataclass
class ReceiveOutcome:
    received: list[Received] = field(default_factory=list)


def _status(report: DeliveryReport) -> RunStatus:
    if report.duplicate:
        return RunStatus.UNCHANGED
    return RunStatus.QUARANTINED if report.quarantined else RunStatus.SUCCEEDED


def _store(
    factory: sessionmaker[Session],
    source: Source,
    origin: str,
    path: Path,
    content_type: str | None = None,
    fetched: Fetched | None = None,
) -> DeliveryReport:
    delivered = DeliveredBytes.of_file(path)
    with factory() as session:
        # the same bytes again: no need to read them (receive_delivery says it is a duplicate)
        seen = delivery_with_checksum(session, source.name, delivered.checksum) is not None
    parsed = (
        ParsedDelivery(problem="was received before") if seen else parse_delivery(source, path, content_type)
    )
    # the delivery, its records, its quarantine and the server's validators in one transaction
    with session_scope(factory) as session:
        report = receive_delivery(
            session,
            source.name,
            origin,
            delivered,
            parsed.rows(),
            total=parsed.total,
            problem=parsed.problem,
            content_type=content_type,
            max_shrink=source.max_shrink,
            full=source.full_deliveries,
            source_kind=source.kind,
        )
        if fetched is not None:
            state = source_state(session, source.name)
            state.etag, state.last_modified, state.checked_at = fetched.etag, fetched.last_modified, utcnow()
    return report


def _match_after(factory: sessionmaker[Session], settings: Settings, source: Source) -> Run | None:
    # also picks up records a matching run that died left behind
    if has_records_to_match(factory, source.name):
        return run_matching(factory, settings, source.name)
    return None


def import_file(
    factory: sessionmaker[Session],
    settings: Settings,
    source: Source,
    path: Path,
    kind: RunKind = RunKind.IMPORT,
) -> Received:
    """Receive a file as a delivery of `source` (an import run), then match what it brought."""
    with recorded_run(factory, kind, source.name, settings.runs_heartbeat_seconds) as recorder:
        try:
            size = path.stat().st_size
            if size > source.limits.max_bytes:
                raise ValidationFailed(
                    f"{path.name}: {size} bytes, more than the {source.limits.max_bytes} allowed"
                )
            # read as a stream from the file, never whole
            report = _store(factory, source, path.name, path)
        except OSError as error:
            raise ValidationFailed(f"{path}: cannot be read: {error.strerror}") from error
        recorder.status = _status(report)
        recorder.counts = report.counts()
        recorder.delivery_id = report.delivery.id
    assert recorder.run is not None
    return Received(recorder.run, report, match_run=_match_after(factory, settings, source))


def _fetch_http(
    factory: sessionmaker[Session],
    settings: Settings,
    config: SourcesConfig,
    source: Source,
    transport: HttpTransport,
    http: requests.Session | None,
    environ: Mapping[str, str] | None,
    sleep: Callable[[float], None],
) -> Received:
    with recorded_run(factory, RunKind.FETCH, source.name, settings.runs_heartbeat_seconds) as recorder:
        with factory() as session:
            state = source_state(session, source.name)
            etag, last_modified = state.etag, state.last_modified
        fetcher = Fetcher(
            transport,
            source.limits,
            allow_plain_http_loopback=config.allow_plain_http_loopback,
            environ=environ,
            http=http,
            sleep=sleep,
        )
        with tempfile.TemporaryDirectory(prefix="watchlist-delivery-") as folder:
            # the body goes to a file as it arrives and is read from there as a stream, never held whole;
            # named with the format's suffix for the readers that go by it (XLSX, JSON)
            path = Path(folder) / f"delivery.{source.format}"
            fetched = fetcher.fetch(etag, last_modified, into=path)
            recorder.counts = {"attempts": fetched.attempts, "bytes": fetched.size}
            if fetched.not_modified:
                with session_scope(factory) as session:
                    source_state(session, source.name).checked_at = utcnow()
                recorder.status = RunStatus.UNCHANGED
                recorder.counts["not_modified"] = 1
                report = None
            else:
                origin = display_url(fetched.url)
                report = _store(factory, source, origin, path, fetched.content_type, fetched)
                recorder.status = _status(report)
                recorder.counts.update(report.counts())
                recorder.delivery_id = report.delivery.id
    assert recorder.run is not None
    return Received(recorder.run, report, fetched, _match_after(factory, settings, source))


def _fetch_folder(
    factory: sessionmaker[Session],
    settings: Settings,
    source: Source,
    transport: FolderTransport,
    settle_seconds: float,
) -> ReceiveOutcome:
    if not transport.path.is_dir():
        raise ValidationFailed(f"{source.name}: drop folder {transport.path} does not exist")
    outcome = ReceiveOutcome()
    now = time.time()
    files = sorted(
        (
            path
            for path in transport.path.iterdir()
            if path.is_file() and path.suffix.lower() == f".{source.format}"
        ),
        key=lambda path: (path.stat().st_mtime, path.name),
    )
    for path in files:
        if now - path.stat().st_mtime < settle_seconds:
            continue
        # a file received before is a duplicate delivery: its run says so and nothing changes
        outcome.received.append(import_file(factory, settings, source, path, kind=RunKind.FETCH))
    return outcome


def fetch_source(
    factory: sessionmaker[Session],
    settings: Settings,
    config: SourcesConfig,
    source: Source,
    *,
    http: requests.Session | None = None,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
) -> ReceiveOutcome:
    """Fetch a source (its URL, or the new files of its drop folder), store what came, match what is new."""
    if isinstance(source.transport, HttpTransport):
        return ReceiveOutcome(
            [_fetch_http(factory, settings, config, source, source.transport, http, environ, sleep)]
        )
    return _fetch_folder(factory, settings, source, source.transport, settle_seconds)
