"""What every answer carries and what no answer shows: security headers, the client's address (behind a
trusted proxy only), Retry-After on rate-limited answers, and tracebacks logged without their messages.
"""

from __future__ import annotations

import ipaddress
import logging
import traceback
from urllib.parse import parse_qsl

from flask import Flask, current_app, g, request
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from watchlist.settings import Settings

# no inline script or style anywhere (the templates load /static files only); data: images for the QR code
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted_proxies() -> tuple[Network, ...]:
    proxies: tuple[Network, ...] = current_app.extensions["watchlist.trusted_proxies"]
    return proxies


def _is_trusted(address: str | None, proxies: tuple[Network, ...]) -> bool:
    if not address or not proxies:
        return False
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in proxies)


def client_address() -> str | None:
    """The address of the client of this request.

    The immediate peer, unless it is a configured trusted proxy: then the nearest address in
    X-Forwarded-For that is not a trusted proxy (addresses further left were written by the client
    itself and may be anything).
    """
    if "client_address" in g:
        cached: str | None = g.client_address
        return cached
    peer = request.remote_addr
    address = peer
    proxies = _trusted_proxies()
    if _is_trusted(peer, proxies):
        forwarded = ",".join(request.headers.getlist("X-Forwarded-For"))
        for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                break
            address = hop
            if not _is_trusted(hop, proxies):
                break
    g.client_address = address
    return address


def is_https() -> bool:
    """Whether the client reached us over HTTPS (as a trusted proxy tells, when there is one)."""
    if request.scheme == "https":
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return forwarded == "https" and _is_trusted(request.remote_addr, _trusted_proxies())


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.endpoint != "static":
        # pages and answers show who is wanted and who searched whom: no browser or proxy may keep a copy
        headers["Cache-Control"] = "no-store"
    if is_https():
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    retry_after = g.get("retry_after")
    if retry_after is not None and response.status_code == 429:
        headers["Retry-After"] = str(retry_after)
    return response


def traceback_without_messages(error: BaseException) -> str:
    """The traceback of `error` (and of the errors it came from): where it happened, which kind of error,
    but not its message, which may quote a name or a birth date from the request."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    parts = []
    for item in reversed(chain):
        frames = "".join(traceback.format_list(traceback.extract_tb(item.__traceback__)))
        kind = f"{type(item).__module__}.{type(item).__qualname__}"
        parts.append(f"Traceback (most recent call last):\n{frames}{kind} (message withheld)")
    return "\nDuring handling of the above, another error occurred:\n".join(parts)


class WithoutExceptionMessages(logging.Filter):
    """Logs an unhandled error's traceback without the exception messages (no personal data in logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and exc_info[1] is not None:
            error: BaseException = exc_info[1]
            record.msg = f"{record.getMessage()}\n{traceback_without_messages(error)}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def _refuse_undecodable_query() -> None:
    # Werkzeug reads bytes that are not UTF-8 as U+FFFD: a search would run for something other than what
    # was sent, and the audit row would record that instead
    try:
        # bytes sent as they are (Werkzeug's own reading fails on them: a 500), then percent-encoded ones
        parse_qsl(request.query_string.decode("utf-8"), encoding="utf-8", errors="strict")
    except UnicodeDecodeError as error:
        # the error page reads the arguments too (its language links): it gets none
        request.query_string = b""
        raise BadRequest("the query string is not valid UTF-8 (percent-encode UTF-8 bytes)") from error


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions["watchlist.trusted_proxies"] = settings.trusted_proxies
    app.before_request(_refuse_undecodable_query)
    app.after_request(_security_headers)
    if not any(isinstance(known, WithoutExceptionMessages) for known in app.logger.filters):
        app.logger.addFilter(WithoutExceptionMessages())
