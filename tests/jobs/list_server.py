"""A real HTTP server on 127.0.0.1, started by the tests, serving incoming lists that behave as real
servers do: good, slow, failing, busy, garbage, hostile, redirecting, unchanged."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.http_servers import QuietHTTPServer

# what a route does when asked: (handler, how many times it was asked before) -> None
Behaviour = Callable[[BaseHTTPRequestHandler, int], None]


@dataclass
class ListServer:
    port: int = 0
    routes: dict[str, Behaviour] = field(default_factory=dict)
    # every request as (path, headers) in arrival order
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    server: QuietHTTPServer | None = None

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for asked, headers in self.requests if asked == path]


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    content_type: str = "text/csv; charset=utf-8",
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def serves(body: bytes, etag: str | None = None, content_type: str = "text/csv; charset=utf-8") -> Behaviour:
    """A list served whole; with an ETag, a conditional request for it gets 304."""

    def behave(handler: BaseHTTPRequestHandler, _count: int) -> None:
        if etag and handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.end_headers()
            return
        send(handler, 200, body, {"ETag": etag} if etag else {}, content_type)

    return behave


def fails_then_serves(statuses: list[int], body: bytes, headers: dict[str, str] | None = None) -> Behaviour:
    """The first requests answered with the given error statuses, then the list."""

    def behave(handler: BaseHTTPRequestHandler, count: int) -> None:
        if count < len(statuses):
            send(handler, statuses[count], b"try later", headers or {}, "text/plain")
        else:
            send(handler, 200, body)

    return behave


def trickles(byte_every: float, total: int = 10_000) -> Behaviour:
    """A server that sends one byte at a time, never pausing long enough for a read timeout."""

    def behave(handler: BaseHTTPRequestHandler, _count: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Content-Length", str(total))
        handler.end_headers()
        try:
            for _ in range(total):
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(byte_every)
        except (BrokenPipeError, ConnectionResetError):
            pass

    return behave


def breaks_off(promised: int, body: bytes) -> Behaviour:
    """Promises `promised` bytes, sends fewer, and closes the connection."""

    def behave(handler: BaseHTTPRequestHandler, _count: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Content-Length", str(promised))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
        handler.close_connection = True

    return behave


def redirects(location: str, status: int = 302) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler, _count: int) -> None:
        send(handler, status, b"", {"Location": location}, "text/plain")

    return behave


@contextmanager
def list_server() -> Iterator[ListServer]:
    """Serve on a free port of 127.0.0.1 until the block ends."""
    server_state = ListServer()
    counts: dict[str, int] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            with lock:
                count = counts.get(self.path, 0)
                counts[self.path] = count + 1
                server_state.requests.append((self.path, dict(self.headers.items())))
            behaviour = server_state.routes.get(self.path)
            if behaviour is None:
                send(self, 404, b"not found", content_type="text/plain")
            else:
                behaviour(self, count)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
            pass

    server = QuietHTTPServer(("127.0.0.1", 0), Handler)
    server_state.port = server.server_address[1]
    server_state.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
