"""What every answer carries (security headers, no-store), what no answer shows (a traceback), and the
request size limit, on every route of `app.url_map`."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask, request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.bare_app import bare_app
from tests.login_sessions import log_in
from tests.watchlist.test_access_matrix import _routes
from watchlist.access import public
from watchlist.app import create_app
from watchlist.db import Database
from watchlist.hardening import CONTENT_SECURITY_POLICY
from watchlist.models import Role, User
from watchlist.settings import Settings

# what a request may carry and no log may keep
NAME = "Гнилицький Олег Петрович 12.03.1975"
TEMPLATES = Path(__file__).parents[2] / "watchlist" / "templates"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "route" in metafunc.fixturenames:
        routes = _routes(bare_app())
        metafunc.parametrize("route", routes, ids=[f"{method} {url}" for _endpoint, method, url in routes])


def _assert_secure_headers(headers: dict[str, str], where: str, static: bool) -> None:
    assert headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, where
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "no-referrer", where
    if not static:
        assert headers.get("Cache-Control") == "no-store", where
    # plain HTTP: no HSTS (a browser would pin a site that cannot answer over HTTPS)
    assert "Strict-Transport-Security" not in headers, where


def test_every_route_answers_with_the_security_headers(
    route: tuple[str, str, str], app: Flask, make_user: Callable[..., User]
) -> None:
    endpoint, method, url = route
    anonymous = app.test_client()
    response = anonymous.open(url, method=method)
    _assert_secure_headers(dict(response.headers), f"anonymous {method} {url}", endpoint == "static")
    admin = app.test_client()
    log_in(admin, make_user(Role.ADMIN))
    response = admin.open(url, method=method)
    _assert_secure_headers(dict(response.headers), f"admin {method} {url}", endpoint == "static")


def test_hsts_only_over_https_and_behind_a_trusted_proxy_only(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    db = Database(engine)
    db.sessionmaker = session_factory
    app = create_app(dataclasses.replace(settings, proxy_trusted="10.0.0.0/8"), db=db)
    client = app.test_client()
    assert "Strict-Transport-Security" in client.get("/healthz", base_url="https://localhost").headers
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    forwarded = {"X-Forwarded-Proto": "https"}
    untrusted = client.get("/healthz", headers=forwarded, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert "Strict-Transport-Security" not in untrusted.headers
    trusted = client.get("/healthz", headers=forwarded, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert "max-age=31536000" in trusted.headers["Strict-Transport-Security"]


def test_no_template_has_inline_script_or_style() -> None:
    """The CSP allows scripts and styles from /static only; an inline one would be blocked in browsers."""
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"{template.name}: inline <script>"
        assert "<style" not in text, f"{template.name}: <style>"
        assert not re.search(r"\sstyle=", text), f"{template.name}: style attribute"
        assert not re.search(r"\son[a-z]+=", text), f"{template.name}: inline event handler"
        assert "javascript:" not in text, f"{template.name}: javascript: URL"


def test_an_oversized_request_is_413_in_the_api_shape_and_a_page_for_the_pages(
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_user: Callable[..., User],
    auth_headers: Callable[[Role], dict[str, str]],
) -> None:
    db = Database(engine)
    db.sessionmaker = session_factory
    app = create_app(dataclasses.replace(settings, imports_max_file_bytes=10_000), db=db)
    client = app.test_client()
    big = {"name": "x" * 20_000}
    response = client.post("/api/v1/screen", json=big, headers=auth_headers(Role.SCREENER))
    assert response.status_code == 413
    assert response.json is not None and response.json["error"]["code"] == "request_entity_too_large"
    assert set(response.json["error"]) == {"code", "message", "details"}

    log_in(client, make_user(Role.SCREENER))
    page = client.post("/screen", data={"name": "x" * 20_000, "csrf_token": "irrelevant"})
    assert page.status_code == 413
    assert page.content_type.startswith("text/html")
    assert "завеликий" in page.get_data(as_text=True)


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    @app.get("/api/v1/fails")
    @public
    def fails_api() -> str:
        raise ValueError(f"cannot screen {request.args['name']}")

    @app.get("/fails")
    @public
    def fails_page() -> str:
        raise ValueError(f"cannot screen {request.args['name']}")

    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_an_unexpected_error_shows_no_trace_and_logs_none_of_the_request_data(
    failing_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = failing_app.test_client()
    with caplog.at_level(logging.ERROR):
        api = client.get("/api/v1/fails", query_string={"name": NAME})
        page = client.get("/fails", query_string={"name": NAME})
    assert api.status_code == 500 and page.status_code == 500
    assert api.json is not None and set(api.json["error"]) == {"code", "message", "details"}
    for response in (api, page):
        body = response.get_data(as_text=True)
        assert "Traceback" not in body and "Гнилицький" not in body and "ValueError" not in body
    logged = "\n".join(handler_text for handler_text in caplog.text.splitlines())
    assert "ValueError" in logged and "test_access_headers.py" in logged, "the error was not logged"
    assert "Гнилицький" not in logged and "1975" not in logged
