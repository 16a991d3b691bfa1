"""Fetching lists from a real HTTP server on 127.0.0.1 that misbehaves as real servers do.

Plain http:// is allowed here only through the explicit test setting `allow_plain_http_loopback`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from jobs.sources.config import FetchLimits, HttpTransport
from jobs.sources.fetch import Fetcher, FetchFailed, retry_after_seconds
from tests.jobs.list_server import (
    ListServer,
    breaks_off,
    fails_then_serves,
    list_server,
    redirects,
    send,
    serves,
    trickles,
)

GOOD_CSV = "record_id,full_name,birth_date\nPOW-1,Олег Гнилицький,1993\n".encode()
QUICK = FetchLimits(
    connect_timeout=2, read_timeout=2, deadline=10, retries=2, backoff=0.05, max_retry_after=3
)


@pytest.fixture
def server() -> Iterator[ListServer]:
    with list_server() as running:
        yield running


def fetcher(
    server: ListServer,
    path: str,
    limits: FetchLimits = QUICK,
    *,
    loopback: bool = True,
    environ: dict[str, str] | None = None,
    **transport: object,
) -> Fetcher:
    return Fetcher(
        HttpTransport(server.url(path), **transport),  # type: ignore[arg-type]
        limits,
        allow_plain_http_loopback=loopback,
        environ=environ or {},
    )


def test_a_good_list_is_fetched_whole_with_its_validators(server: ListServer) -> None:
    server.routes["/pow.csv"] = serves(GOOD_CSV, etag='"v1"')
    fetched = fetcher(server, "/pow.csv").fetch()
    assert (fetched.status, fetched.content, fetched.etag, fetched.attempts) == (200, GOOD_CSV, '"v1"', 1)
    assert fetched.content_type == "text/csv; charset=utf-8"


def test_the_second_fetch_is_conditional_and_an_unchanged_list_costs_a_304(server: ListServer) -> None:
    server.routes["/pow.csv"] = serves(GOOD_CSV, etag='"v1"')
    first = fetcher(server, "/pow.csv").fetch()
    second = fetcher(server, "/pow.csv").fetch(etag=first.etag, last_modified="Tue, 24 Nov 2026 02:00:00 GMT")
    assert second.not_modified and second.content == b""
    sent = server.hits("/pow.csv")[1]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Tue, 24 Nov 2026 02:00:00 GMT"


def test_plain_http_is_refused_without_the_test_setting(server: ListServer) -> None:
    server.routes["/pow.csv"] = serves(GOOD_CSV)
    with pytest.raises(FetchFailed, match="only https:// is fetched"):
        fetcher(server, "/pow.csv", loopback=False).fetch()
    assert server.requests == []


def test_a_trickling_server_cannot_hold_the_fetch_past_its_deadline(server: ListServer) -> None:
    # a byte every 50 ms never trips the 2 s read timeout; only the deadline of the whole fetch stops it
    server.routes["/slow.csv"] = trickles(byte_every=0.05)
    limits = FetchLimits(connect_timeout=2, read_timeout=2, deadline=1.5, retries=0, backoff=0.05)
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="1.5 s deadline of the whole fetch"):
        fetcher(server, "/slow.csv", limits).fetch()
    assert time.monotonic() - started < 4


def test_a_server_error_is_retried_with_backoff_and_then_the_list_arrives(server: ListServer) -> None:
    server.routes["/flaky.csv"] = fails_then_serves([500, 503], GOOD_CSV)
    fetched = fetcher(server, "/flaky.csv").fetch()
    assert (fetched.content, fetched.attempts) == (GOOD_CSV, 3)


def test_a_server_that_keeps_failing_fails_the_fetch_after_the_retries(server: ListServer) -> None:
    server.routes["/down.csv"] = fails_then_serves([500] * 10, GOOD_CSV)
    with pytest.raises(FetchFailed, match=r"answered 500; gave up after 3 attempts"):
        fetcher(server, "/down.csv").fetch()
    assert len(server.hits("/down.csv")) == 3


def test_429_is_retried_after_the_time_the_server_asks(server: ListServer) -> None:
    server.routes["/busy.csv"] = fails_then_serves([429], GOOD_CSV, {"Retry-After": "1"})
    started = time.monotonic()
    fetched = fetcher(server, "/busy.csv").fetch()
    assert fetched.attempts == 2 and fetched.content == GOOD_CSV
    assert time.monotonic() - started >= 1


def test_a_retry_after_beyond_the_limit_is_not_waited_for(server: ListServer) -> None:
    server.routes["/busy.csv"] = fails_then_serves([429], GOOD_CSV, {"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="retry after 3600 s, more than the 3 s max_retry_after"):
        fetcher(server, "/busy.csv").fetch()
    assert time.monotonic() - started < 2


def test_a_body_that_breaks_off_is_retried_and_then_reported(server: ListServer) -> None:
    server.routes["/cut.csv"] = breaks_off(promised=10_000, body=GOOD_CSV)
    with pytest.raises(FetchFailed, match="the body broke off after"):
        fetcher(server, "/cut.csv").fetch()
    assert len(server.hits("/cut.csv")) == 3


def test_a_list_larger_than_the_cap_is_refused(server: ListServer) -> None:
    server.routes["/big.csv"] = serves(b"x" * 5000)
    limits = FetchLimits(connect_timeout=2, read_timeout=2, deadline=10, max_bytes=1000, retries=0)
    with pytest.raises(FetchFailed, match="5000 bytes, more than the 1000 allowed"):
        fetcher(server, "/big.csv", limits).fetch()

    def no_length(handler: BaseHTTPRequestHandler, _count: int) -> None:
        # no Content-Length: the cap must hold while streaming
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(b"y" * 5000)
        handler.close_connection = True

    server.routes["/stream.csv"] = no_length
    with pytest.raises(FetchFailed, match="more than the 1000 bytes allowed"):
        fetcher(server, "/stream.csv", limits).fetch()


def test_a_redirect_to_a_host_not_allowed_is_refused(server: ListServer) -> None:
    # 127.0.0.1 and localhost are different hosts to the allowlist, though the same machine
    server.routes["/moved.csv"] = redirects(server.url("/pow.csv", host="localhost"))
    server.routes["/pow.csv"] = serves(GOOD_CSV)
    with pytest.raises(FetchFailed, match="host localhost is not allowed for this source"):
        fetcher(server, "/moved.csv").fetch()
    assert server.hits("/pow.csv") == []


def test_a_redirect_to_an_allowed_host_is_followed_without_the_credentials(server: ListServer) -> None:
    server.routes["/moved.csv"] = redirects(server.url("/pow.csv", host="localhost"))
    server.routes["/pow.csv"] = serves(GOOD_CSV)
    fetched = fetcher(
        server,
        "/moved.csv",
        environ={"POW_TOKEN": "Bearer s3cret"},
        secret_headers={"Authorization": "POW_TOKEN"},
        allowed_hosts=("localhost",),
    ).fetch()
    assert fetched.content == GOOD_CSV
    assert fetched.url == server.url("/pow.csv", host="localhost")
    assert server.hits("/moved.csv")[0]["Authorization"] == "Bearer s3cret"
    assert "Authorization" not in server.hits("/pow.csv")[0]


def test_a_redirect_loop_ends(server: ListServer) -> None:
    server.routes["/loop.csv"] = redirects("/loop.csv")
    with pytest.raises(FetchFailed, match="more than 5 redirects"):
        fetcher(server, "/loop.csv").fetch()


def test_a_client_error_is_not_retried(server: ListServer) -> None:
    server.routes["/secret.csv"] = lambda handler, _count: send(
        handler, 403, b"no", content_type="text/plain"
    )
    with pytest.raises(FetchFailed, match="answered 403 Forbidden"):
        fetcher(server, "/secret.csv").fetch()
    assert len(server.hits("/secret.csv")) == 1


def test_tls_is_verified(server: ListServer) -> None:
    # a plain-HTTP server spoken to over https:// fails the handshake: nothing is read unverified
    transport = HttpTransport(f"https://127.0.0.1:{server.port}/pow.csv")
    limits = FetchLimits(connect_timeout=2, read_timeout=2, deadline=5, retries=0)
    with pytest.raises(FetchFailed):
        Fetcher(transport, limits).fetch()


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    from datetime import UTC, datetime

    now = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    assert retry_after_seconds("Tue, 24 Nov 2026 22:00:30 GMT", now) == 30


def test_a_list_fetched_into_a_file_is_written_there_as_it_arrives(
    server: ListServer, tmp_path: Path
) -> None:
    server.routes["/pow.csv"] = fails_then_serves([503], GOOD_CSV)
    target = tmp_path / "delivery.csv"
    fetched = fetcher(server, "/pow.csv").fetch(into=target)
    assert (fetched.status, fetched.attempts, fetched.size, fetched.path) == (200, 2, len(GOOD_CSV), target)
    # not held in memory: the bytes are in the file, written by the attempt that succeeded
    assert fetched.content == b""
    assert target.read_bytes() == GOOD_CSV
