"""The tests' own HTTP servers: a client that goes away is no error to print into a test's output."""

from __future__ import annotations

import socket
import struct
import time

import pytest

from tests.http_servers import QuietHTTPServer
from tests.jobs.list_server import list_server, serves


def test_a_client_that_resets_its_connection_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    # a fetch that gives up closes its connection with data unread (a reset); the handler's thread then
    # fails reading the next request on it
    with list_server() as state:
        state.routes["/a.csv"] = serves(b"record_id,full_name\n")
        client = socket.create_connection(("127.0.0.1", state.port), timeout=5)
        client.sendall(b"GET /a.csv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert client.recv(1024).startswith(b"HTTP/1.1 200")
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        server = state.server
        assert isinstance(server, QuietHTTPServer)
        deadline = time.monotonic() + 5
        while server.disconnects == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (server.disconnects, server.errors) == (1, [])
    assert capsys.readouterr().err == ""
