"""Deliveries that look wrong, fetched from a real HTTP server on 127.0.0.1: each is quarantined whole (or
its fetch fails), operators see why, and the previous data stays in use, none of it marked absent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jobs.sources.config import FetchLimits, HttpTransport, Source, SourcesConfig
from jobs.sources.fetch import FetchFailed
from jobs.sources.receive import Received, fetch_source
from tests.jobs.list_server import ListServer, breaks_off, list_server, serves
from watchlist.incoming import recent_deliveries, recent_runs
from watchlist.models import DeliveryStatus, ReceivedRecord, RunStatus
from watchlist.settings import Settings

QUICK = FetchLimits(connect_timeout=2, read_timeout=2, deadline=10, retries=1, backoff=0.01)


def csv_list(count: int) -> bytes:
    lines = ["record_id,full_name,birth_date"]
    lines += [f"POW-{number:03},Особа Номер{number},1990" for number in range(1, count + 1)]
    return ("\n".join(lines) + "\n").encode()


def xml_list(count: int) -> bytes:
    people = "".join(
        f'<person id="POW-{number:03}"><name>Особа Номер{number}</name></person>'
        for number in range(1, count + 1)
    )
    return f"<?xml version='1.0' encoding='UTF-8'?><list>{people}</list>".encode()


XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<list><person id="POW-001"><name>&lol3;</name></person></list>"""


@pytest.fixture
def server() -> Iterator[ListServer]:
    with list_server() as running:
        yield running


def http_source(server: ListServer, format_: str = "csv") -> Source:
    source = Source(
        "pow",
        "pow",
        format_,  # type: ignore[arg-type]
        HttpTransport(server.url(f"/pow.{format_}")),
        limits=QUICK,
        max_shrink=0.5,
    )
    if format_ == "xml":
        source = replace(source, record_path="person", mapping={"record_id": "@id", "full_name": "name"})
    return source


def fetch(factory: sessionmaker[Session], settings: Settings, source: Source) -> Received:
    config = SourcesConfig({source.name: source}, allow_plain_http_loopback=True)
    outcome = fetch_source(factory, settings, config, source, environ={}, sleep=lambda _seconds: None)
    assert len(outcome.received) == 1
    return outcome.received[0]


def records(factory: sessionmaker[Session]) -> list[tuple[str | None, str, bool]]:
    with factory() as session:
        rows = session.execute(
            select(ReceivedRecord.record_id, ReceivedRecord.name, ReceivedRecord.absent_since)
            .where(ReceivedRecord.source == "pow")
            .order_by(ReceivedRecord.record_id)
        )
        return [(record_id, name, absent is not None) for record_id, name, absent in rows]


@pytest.mark.parametrize(
    ("format_", "body", "content_type", "reason"),
    [
        ("csv", b"<!DOCTYPE html><html><body>Log in</body></html>", "text/html; charset=utf-8", "HTML page"),
        ("csv", b"<!doctype html>\n<html><title>Maintenance</title></html>", "text/csv", "HTML page"),
        ("csv", b"", "text/csv", "is empty"),
        ("csv", b"record_id,full_name,birth_date\n", "text/csv", "holds no records"),
        ("csv", csv_list(4), "text/csv", "has 4 rows, more than 50% fewer than the 10"),
        ("xml", xml_list(10)[:-40], "application/xml", "is not well-formed XML"),
        ("xml", XML_BOMB, "application/xml", "declares entities or external references"),
    ],
    ids=["html-by-type", "html-by-content", "empty", "header-only", "shrunk", "truncated-xml", "xml-bomb"],
)
def test_a_delivery_that_looks_wrong_is_quarantined_whole_and_the_last_good_one_stays_in_use(
    server: ListServer,
    session_factory: sessionmaker[Session],
    settings: Settings,
    format_: str,
    body: bytes,
    content_type: str,
    reason: str,
) -> None:
    source = http_source(server, format_)
    good = xml_list(10) if format_ == "xml" else csv_list(10)
    server.routes[f"/pow.{format_}"] = serves(good, content_type=content_type.replace("html", "plain"))
    first = fetch(session_factory, settings, source)
    assert first.run.status is RunStatus.SUCCEEDED and first.report is not None
    before = records(session_factory)
    assert len(before) == 10

    server.routes[f"/pow.{format_}"] = serves(body, content_type=content_type)
    received = fetch(session_factory, settings, source)

    assert received.run.status is RunStatus.QUARANTINED
    with session_factory() as session:
        delivery = recent_deliveries(session, "pow", limit=1)[0]
        assert delivery.status is DeliveryStatus.QUARANTINED
        assert delivery.reason is not None and reason in delivery.reason
        assert delivery.reason.startswith(server.url(f"/pow.{format_}"))
        # the operator sees what came instead of a list
        assert delivery.sample == body[:4000].decode("utf-8", errors="replace")
        assert recent_runs(session, "pow", limit=1)[0].delivery_id == delivery.id
    # nothing of it used: the records are as the good delivery left them, none marked absent
    assert records(session_factory) == before


def test_a_body_that_breaks_off_fails_the_fetch_and_stores_nothing(
    server: ListServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    source = http_source(server)
    server.routes["/pow.csv"] = serves(csv_list(10))
    fetch(session_factory, settings, source)
    before = records(session_factory)
    whole = csv_list(10)
    server.routes["/pow.csv"] = breaks_off(len(whole), whole[: len(whole) // 2])
    with pytest.raises(FetchFailed):
        fetch(session_factory, settings, source)
    with session_factory() as session:
        failed = recent_runs(session, "pow", limit=1)[0]
        assert failed.status is RunStatus.FAILED and failed.error
        assert len(recent_deliveries(session, "pow")) == 1
    assert records(session_factory) == before


def test_a_good_full_delivery_marks_the_records_it_no_longer_carries_absent(
    server: ListServer, session_factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    source = http_source(server)
    server.routes["/pow.csv"] = serves(csv_list(10))
    fetch(session_factory, settings, source)
    server.routes["/pow.csv"] = serves(csv_list(8))
    received = fetch(session_factory, settings, source)
    assert received.run.status is RunStatus.SUCCEEDED
    assert received.run.counts["rows_absent"] == 2
    assert [absent for _id, _name, absent in records(session_factory)] == [False] * 8 + [True] * 2
