"""The application factory: `create_app(settings)` builds everything; nothing happens at import time."""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request
from sqlalchemy.engine import Engine
from werkzeug.wrappers import Response

from watchlist import access, audit, hardening, screening
from watchlist.db import Database, make_engine
from watchlist.json_provider import OrjsonProvider
from watchlist.settings import Settings, load_settings


def create_app(settings: Settings | None = None, db: Database | None = None) -> Flask:
    """Build the Flask app from `settings` (read from config and environment when not given).

    `db` lets a caller (the tests) hand in a Database bound to its own connection.
    """
    settings = settings or load_settings()
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
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

    # first: every request is timed, also one the access check turns away before the views, and the log
    # line (after_request hooks run last registered first) shows the answer as it finally went out
    app.before_request(_start_timer)
    app.after_request(_log_request)
    db = db or Database(web_engine(settings.database_url))
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
    return app


# how old a pooled database connection may grow before the web app replaces it, in seconds
POOL_RECYCLE_SECONDS = 1800


def web_engine(url: str) -> Engine:
    """The web app's engine: no ping before each use of a pooled connection.

    The ping was a round trip to PostgreSQL on every request, about 4% of a screening's CPU. Without it, a
    connection that died in the pool (the database restarted) fails the one request that meets it, which
    answers 503 with Retry-After like any database failure; SQLAlchemy then replaces every connection the
    pool held, so the next request gets a live one. Connections older than POOL_RECYCLE_SECONDS are
    replaced before use, so an idle one cut by a firewall is not met either.
    """
    if url.startswith("sqlite"):
        return make_engine(url)
    return make_engine(url, pool_pre_ping=False, pool_recycle=POOL_RECYCLE_SECONDS)


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
