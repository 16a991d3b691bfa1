"""A real server on 127.0.0.1 (werkzeug, in a thread, on a free port) over a migrated SQLite file, and real
Chromium driven by Playwright. Chromium comes from the system (`/usr/bin/chromium`); Playwright's own
browser download is never used."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from watchlist import migrations
from watchlist.app import create_app
from watchlist.db import Database, make_engine, session_scope
from watchlist.settings import load_settings
from watchlist.users import create_user

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class LiveServer:
    url: str
    sessionmaker: sessionmaker[Session]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The whole app served over HTTP on a free port of 127.0.0.1, with its own migrated database."""
    database_url = f"sqlite:///{tmp_path / 'browser.db'}"
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    settings = load_settings(
        config_file=Path(__file__).parents[2] / "config" / "default.toml",
        environ={},
        secret_key="browser-test-secret-key-not-for-production",
        env="test",
        database_url=database_url,
    )
    database = Database(engine)
    app = create_app(settings, db=database)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", database.sessionmaker)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package chromium (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def add_user(live_server: LiveServer) -> Callable[[str, str, str], None]:
    """Factory: a user (name, role, password) in the live server's database."""

    def add(username: str, role: str, password: str) -> None:
        with session_scope(live_server.sessionmaker) as session:
            create_user(session, username, role, password)

    return add
