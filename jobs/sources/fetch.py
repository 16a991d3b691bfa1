"""Fetching a source's list over HTTPS with every safeguard a nightly job needs.

Connect and read timeouts plus a deadline for the whole fetch (checked after every packet, so a server
trickling a byte at a time cannot hold the job); retries with exponential backoff on 5xx, 429 and dropped
connections, honouring Retry-After up to a limit; conditional GET with the ETag / Last-Modified of the
last fetch; a size cap while streaming; only allowlisted hosts, redirects followed by hand and each
target checked again (secret headers go only to the source URL's own host); TLS always verified.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import HTTPError as Urllib3Error

from jobs.sources.config import FetchLimits, HttpTransport
from watchlist.exc import WatchlistError

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK_BYTES = 64 * 1024
USER_AGENT = "watchlist-fetch/1"


class FetchFailed(WatchlistError):
    """The list could not be fetched; nothing was stored and the previous data stays in use."""

    status = 502
    code = "fetch_failed"


@dataclass(frozen=True)
class Fetched:
    """What a fetch brought: the list's bytes (in `content`, or in the file `path` when the fetch was
    asked to write them there), or word that it has not changed (304)."""

    url: str
    status: int
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    attempts: int
    size: int = 0
    path: Path | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait (a number or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class Fetcher:
    """Fetches one HTTP source; `clock` and `sleep` are the real ones outside tests of timing."""

    transport: HttpTransport
    limits: FetchLimits
    # tests only: plain http:// to the loopback interface (see `allow_plain_http_loopback`)
    allow_plain_http_loopback: bool = False
    environ: Mapping[str, str] | None = None
    http: requests.Session | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        self._deadline_at = 0.0
        self._into: Path | None = None

    # --- the checks -------------------------------------------------------------------------------------

    def check_url(self, url: str) -> None:
        """Refuse a URL that is not HTTPS or whose host is not allowlisted for this source."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        plain_ok = parts.scheme == "http" and self.allow_plain_http_loopback and host in LOOPBACK_HOSTS
        if parts.scheme != "https" and not plain_ok:
            raise FetchFailed(f"{display_url(url)}: only https:// is fetched")
        if host not in self.transport.hosts:
            raise FetchFailed(
                f"{display_url(url)}: host {host} is not allowed for this source "
                f"(allowed: {', '.join(sorted(self.transport.hosts))})"
            )

    def _remaining(self) -> float:
        remaining = self._deadline_at - self.clock()
        if remaining <= 0:
            raise FetchFailed(f"gave up after the {self.limits.deadline:g} s deadline of the whole fetch")
        return remaining

    # --- one request, redirects followed by hand --------------------------------------------------------

    def _open(self, http: requests.Session, headers: Mapping[str, str]) -> tuple[requests.Response, str]:
        source_host = urlsplit(self.transport.url).hostname
        secrets = self.transport.secret_values(self.environ)
        url = self.transport.url
        for _hop in range(self.limits.max_redirects + 1):
            self.check_url(url)
            sent = {"User-Agent": USER_AGENT, **self.transport.headers, **headers}
            if urlsplit(url).hostname == source_host:
                # credentials go to the source's own host only, never to where a redirect points
                sent.update(secrets)
            read_timeout = min(self.limits.read_timeout, self._remaining())
            try:
                response = http.get(
                    url,
                    headers=sent,
                    stream=True,
                    allow_redirects=False,
                    timeout=(min(self.limits.connect_timeout, read_timeout), read_timeout),
                    verify=self.transport.ca_bundle or True,
                )
            except requests.exceptions.SSLError as error:
                raise FetchFailed(f"{display_url(url)}: TLS verification failed: {error}") from error
            except (requests.ConnectionError, requests.Timeout) as error:
                raise _Retry(f"{display_url(url)}: {type(error).__name__}: {error}") from error
            if response.is_redirect:
                location = response.headers.get("Location", "")
                response.close()
                url = urljoin(url, location)
                continue
            return response, url
        raise FetchFailed(
            f"{display_url(self.transport.url)}: more than {self.limits.max_redirects} redirects"
        )

    def _body(self, response: requests.Response, url: str, sink: BinaryIO) -> int:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.limits.max_bytes:
            raise FetchFailed(
                f"{display_url(url)}: {declared} bytes, more than the {self.limits.max_bytes} allowed"
            )
        size = 0
        try:
            while True:
                # read1 returns what one packet brought, so the deadline is checked between packets
                chunk = response.raw.read1(CHUNK_BYTES, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.limits.max_bytes:
                    raise FetchFailed(
                        f"{display_url(url)}: more than the {self.limits.max_bytes} bytes allowed"
                    )
                sink.write(chunk)
                self._remaining()
        except (Urllib3Error, OSError) as error:
            raise _Retry(f"{display_url(url)}: the body broke off after {size} bytes: {error}") from error
        return size

    def _attempt(self, http: requests.Session, headers: Mapping[str, str]) -> Fetched:
        response, url = self._open(http, headers)
        with response:
            status = response.status_code
            if status in RETRY_STATUSES:
                raise _Retry(
                    f"{display_url(url)} answered {status}",
                    retry_after_seconds(response.headers.get("Retry-After")),
                )
            content, size = b"", 0
            if 200 <= status < 300 and status != 304:
                if self._into is not None:
                    # each attempt writes the file afresh: a body that broke off leaves nothing behind
                    with self._into.open("wb") as sink:
                        size = self._body(response, url, sink)
                else:
                    buffer = io.BytesIO()
                    size = self._body(response, url, buffer)
                    content = buffer.getvalue()
            elif status != 304:
                raise FetchFailed(f"{display_url(url)} answered {status} {response.reason}")
            return Fetched(
                url=url,
                status=status,
                content=content,
                size=size,
                path=self._into if status != 304 else None,
                content_type=response.headers.get("Content-Type"),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                attempts=0,
            )

    # --- the fetch ---------------------------------------------------------------------------------------

    def fetch(
        self, etag: str | None = None, last_modified: str | None = None, *, into: Path | None = None
    ) -> Fetched:
        """Fetch the list (a 304 when it has not changed since `etag` / `last_modified`), retrying what
        may pass; raises FetchFailed saying why when it cannot. With `into`, the body is written to that
        file as it arrives instead of being held in memory."""
        self._deadline_at = self.clock() + self.limits.deadline
        self._into = into
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        with self._session() as http:
            return self._fetch(http, headers)

    def _session(self) -> AbstractContextManager[requests.Session]:
        # a session the caller gave is the caller's to close; one made here is closed after the fetch
        return nullcontext(self.http) if self.http is not None else requests.Session()

    def _fetch(self, http: requests.Session, headers: Mapping[str, str]) -> Fetched:
        attempts = self.limits.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                fetched = self._attempt(http, headers)
            except _Retry as retry:
                if attempt == attempts:
                    raise FetchFailed(f"{retry.reason}; gave up after {attempts} attempts") from retry
                if retry.retry_after is not None and retry.retry_after > self.limits.max_retry_after:
                    raise FetchFailed(
                        f"{retry.reason} asking to retry after {retry.retry_after:g} s, more than the "
                        f"{self.limits.max_retry_after:g} s max_retry_after; the next run tries again"
                    ) from retry
                wait = (
                    retry.retry_after
                    if retry.retry_after is not None
                    else self.limits.backoff * 2 ** (attempt - 1)
                )
                if wait >= self._remaining():
                    raise FetchFailed(
                        f"{retry.reason}; the next attempt would pass the {self.limits.deadline:g} s deadline"
                    ) from retry
                self.sleep(wait)
                continue
            return Fetched(**{**fetched.__dict__, "attempts": attempt})
        raise AssertionError("unreachable: the last attempt returns or raises")

    def probe(self) -> tuple[int, str, str | None]:
        """Reach the source once through the same checks, without reading the list: (status, final URL,
        Content-Type)."""
        self._deadline_at = self.clock() + self.limits.deadline
        with self._session() as http:
            try:
                response, url = self._open(http, {})
            except _Retry as retry:
                raise FetchFailed(retry.reason) from retry
            with response:
                return response.status_code, url, response.headers.get("Content-Type")


def display_url(url: str) -> str:
    """A URL as logged and stored: without its query string, where some services put tokens."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
