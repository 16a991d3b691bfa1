"""A kind for the real HTTP servers on 127.0.0.1 the tests start (lists to fetch, webhook receivers)."""

from __future__ import annotations

import sys
import threading
from http.server import ThreadingHTTPServer
from socketserver import BaseRequestHandler


class QuietHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that keeps its handlers' errors instead of printing them.

    The base prints a traceback to sys.stderr, which in a test is whatever CliRunner is capturing at that
    moment: a client that gave up (a fetch closing its connection with data unread resets it) broke the
    JSON lines of the next CLI command a test ran.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseRequestHandler]) -> None:
        super().__init__(address, handler)
        self.lock = threading.Lock()
        self.disconnects = 0  # clients that went away mid-connection: what real servers shrug off
        self.errors: list[BaseException] = []  # anything else a handler raised, for a test to look at

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        with self.lock:
            if isinstance(error, ConnectionError):
                self.disconnects += 1
            elif error is not None:
                self.errors.append(error)
