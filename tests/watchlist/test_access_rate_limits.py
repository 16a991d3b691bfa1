"""Rate limits per user and per client address: 429 with Retry-After in the one error shape, counted in
the database so that gunicorn's workers share one count, and X-Forwarded-For believed only from a
configured trusted proxy."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import time_machine
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from watchlist import migrations
from watchlist.app import create_app
from watchlist.db import Database, make_engine, session_scope
from watchlist.models import Role
from watchlist.settings import Settings
from watchlist.users import create_token, create_user

ROOT = Path(__file__).parents[2]
# the start of a window (a multiple of 60 s), so a test's requests all fall into one
START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def limited_app(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session]
) -> Callable[..., Flask]:
    def make(**overrides: Any) -> Flask:
        db = Database(engine)
        db.sessionmaker = session_factory
        app = create_app(dataclasses.replace(settings, **overrides), db=db)
        app.config["TESTING"] = True
        return app

    return make


def test_a_user_over_his_limit_gets_429_with_retry_after_until_the_window_ends(
    limited_app: Callable[..., Flask],
    auth_headers: Callable[[Role], dict[str, str]],
    clock: time_machine.Coordinates,
) -> None:
    app = limited_app(rate_limits_per_user=3, rate_limits_per_address=100, rate_limits_window_seconds=60)
    client = app.test_client()
    first, second = auth_headers(Role.EDITOR), auth_headers(Role.EDITOR)
    assert [client.get("/api/v1/persons", headers=first).status_code for _ in range(3)] == [200] * 3
    clock.shift(timedelta(seconds=20))
    refused = client.get("/api/v1/persons", headers=first)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "40"
    assert refused.json is not None and refused.json["error"]["code"] == "too_many_requests"
    assert set(refused.json["error"]) == {"code", "message", "details"}
    # another user from the same address has his own count
    assert client.get("/api/v1/persons", headers=second).status_code == 200
    clock.shift(timedelta(seconds=40))
    assert client.get("/api/v1/persons", headers=first).status_code == 200


def test_the_address_limit_counts_anonymous_callers_and_spares_health_checks(
    limited_app: Callable[..., Flask], clock: time_machine.Coordinates
) -> None:
    app = limited_app(rate_limits_per_user=100, rate_limits_per_address=2)
    client = app.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/login").status_code == 200
    page = client.get("/login")
    assert page.status_code == 429 and page.content_type.startswith("text/html")
    assert "Retry-After" in page.headers
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(
    limited_app: Callable[..., Flask], clock: time_machine.Coordinates
) -> None:
    app = limited_app(rate_limits_per_address=1, proxy_trusted="10.0.0.0/8, 192.168.1.1")
    client = app.test_client()

    def status(peer: str, forwarded: str | None = None) -> int:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        return client.get("/login", headers=headers, environ_base={"REMOTE_ADDR": peer}).status_code

    # behind the proxy, each client has his own count
    assert status("10.0.0.5", "198.51.100.1") == 200
    assert status("10.0.0.5", "198.51.100.2") == 200
    assert status("10.0.0.6", "198.51.100.1") == 429
    # what the client wrote himself (left of the last untrusted hop) changes nothing
    assert status("10.0.0.5", "203.0.113.50, 198.51.100.2") == 429
    # a chain of trusted proxies: the nearest untrusted hop is the client
    assert status("192.168.1.1", "198.51.100.3, 10.0.0.9") == 200
    # a caller who is not a proxy cannot pick his address
    assert status("198.51.100.77", "198.51.100.99") == 200
    assert status("198.51.100.77", "198.51.100.100") == 429


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
def test_two_gunicorn_workers_share_one_limit(tmp_path: Path) -> None:
    """gunicorn with the production settings and 2 workers; requests of one user on new connections, at
    least 40 and until both workers have answered some: exactly the limit (20) pass, whichever worker
    answers."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    with session_scope(sessionmaker(bind=engine, expire_on_commit=False)) as session:
        _row, token = create_token(session, create_user(session, "border-system", Role.SCREENER))
    engine.dispose()

    port = _free_port()
    access_log = tmp_path / "access.log"
    environ = {
        **os.environ,
        "WATCHLIST_DATABASE_URL": url,
        "WATCHLIST_SECRET_KEY": "gunicorn-rate-limit-test-secret",
        "WATCHLIST_LOG_LEVEL": "WARNING",
        "WATCHLIST_RATE_LIMITS_PER_USER": "20",
        "WATCHLIST_RATE_LIMITS_PER_ADDRESS": "1000",
        # one long window: the test's requests cannot straddle two
        "WATCHLIST_RATE_LIMITS_WINDOW_SECONDS": "86400",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(ROOT / "config" / "gunicorn.conf.py"),
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        str(access_log),
        # the worker's process id and the status of every answer
        "--access-logformat",
        "%(p)s %(s)s",
        "watchlist.app:create_app()",
    ]
    server = subprocess.Popen(
        command, cwd=ROOT, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                # the master listens before its workers have started
                pass
            assert server.poll() is None, "gunicorn did not start"
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.2)
        # both workers up: health checks on new connections until each has answered one
        while len(_workers_in(access_log)) < 2:
            assert time.monotonic() < deadline, "the second worker did not answer within 60 s"
            requests.get(f"{base}/healthz", headers={"Connection": "close"}, timeout=5)
        access_log.write_text("")

        def screen(_: int) -> requests.Response:
            # a new connection each time (no keep-alive), so the kernel hands them to both workers
            return requests.post(
                f"{base}/api/v1/screen",
                json={"name": "Test Person"},
                headers={"Authorization": f"Bearer {token}", "Connection": "close"},
                timeout=30,
            )

        answers: list[requests.Response] = []
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            # twice the limit at least, and on until both workers have answered some (on a loaded
            # machine one may take the first few dozen connections)
            while len(answers) < 40 or len(_workers_in(access_log)) < 2:
                assert len(answers) < 400, f"all requests went to one worker: {_workers_in(access_log)}"
                answers += pool.map(screen, range(8))
    finally:
        server.terminate()
        _out, errors = server.communicate(timeout=30)

    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {200: 20, 429: len(answers) - 20}, (statuses, errors.decode(errors="replace")[-2000:])
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert len(_workers_in(access_log)) == 2


def _workers_in(access_log: Path) -> Counter[str]:
    """How many answers each worker (by process id) wrote to the access log."""
    return Counter(line.split()[0] for line in access_log.read_text().splitlines() if line.strip())
