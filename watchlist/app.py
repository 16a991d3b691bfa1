"""The application factory: `create_app(settings)` builds everything; nothing happens at import time."""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request
from werkzeug.wrappers import Response

from watchlist import access, audit, hardening, screening
from watchlist.db import Database, make_engine
from watchlist.settings import Settings, load_settings


def create_app(settings: Settings | None = None, db: Database | None = None) -> Flask:
    """Build the Flask app from `settings` (read from config and environment when not given).

    `db` lets a caller (the tests) hand in a Database bound to its own connection.
    """
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.env == "production",
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=settings.imports_max_file_bytes,
    )
    app.extensions["watchlist.settings"] = settings
    logging.basicConfig(level=settings.log_level)

    db = db or Database(make_engine(settings.database_url))
    db.init_app(app)
    hardening.init_app(app, settings)
    access.init_app(app)
    audit.init_app(app)
    screening.init_app(app, db.sessionmaker, settings)

    from watchlist.api import init_app as init_api
    from watchlist.web import init_app as init_web

    init_api(app)
    init_web(app)
    from watchlist import metrics

    metrics.init_app(app)
    app.before_request(_start_timer)
    app.after_request(_log_request)
    return app


_request_log = logging.getLogger("watchlist.requests")


def _start_timer() -> None:
    g.started_at = time.perf_counter()


def _log_request(response: Response) -> Response:
    # the path only: query strings carry searched names, and names stay out of application logs
    elapsed_ms = (time.perf_counter() - g.get("started_at", time.perf_counter())) * 1000
    _request_log.info("%s %s %s %.1fms", request.method, request.path, response.status_code, elapsed_ms)
    return response


def settings_of(app: Flask) -> Settings:
    settings: Settings = app.extensions["watchlist.settings"]
    return settings
