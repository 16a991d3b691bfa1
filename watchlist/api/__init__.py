"""The JSON API under /api/v1/, the health checks, and the one error shape."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from watchlist import migrations
from watchlist.access import is_api_request, public
from watchlist.db import database
from watchlist.exc import Unavailable, WatchlistError

api = Blueprint("api", __name__, url_prefix="/api/v1")
health = Blueprint("health", __name__)


def error_response(status: int, code: str, message: str, details: list[dict[str, Any]]) -> Response:
    """The one error shape of the API."""
    response = jsonify({"error": {"code": code, "message": message, "details": details}})
    response.status_code = status
    return response


@health.get("/healthz")
@public
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@health.get("/readyz")
@public
def readyz() -> tuple[dict[str, Any], int]:
    """The database is reachable and its schema is at the newest migration."""
    try:
        with database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = migrations.current_revisions(connection)
    except SQLAlchemyError:
        return {"status": "unavailable", "database": "unreachable"}, 503
    revisions = sorted(current)
    if current != migrations.head_revisions():
        return {"status": "unavailable", "database": "not migrated", "revisions": revisions}, 503
    return {"status": "ok", "revisions": revisions}, 200


# how long a client should wait before asking again when the database or the match index cannot answer
RETRY_AFTER_SECONDS = 5


def _handle_watchlist_error(error: WatchlistError) -> Response:
    response = error_response(error.status, error.code, error.message, [d.to_dict() for d in error.details])
    if error.status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _handle_database_down(error: SQLAlchemyError) -> Response:
    # the database is unreachable (or its pool exhausted): a client may retry, and must never take the
    # failure of, say, token authentication before a screening for an answer
    if not is_api_request():
        raise error
    return _handle_watchlist_error(Unavailable("the database cannot be reached right now; try again shortly"))


def _handle_http_error(error: HTTPException) -> Response | HTTPException:
    if not is_api_request():
        return error
    code = (error.name or "error").lower().replace(" ", "_")
    return error_response(error.code or 500, code, error.description or "", [])


def init_app(app: Flask) -> None:
    from watchlist.api import alerts, audit, openapi, persons, runs, screening  # noqa: F401  (registers the routes)

    app.register_blueprint(health)
    app.register_blueprint(api)
    app.register_error_handler(WatchlistError, _handle_watchlist_error)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(OperationalError, _handle_database_down)
    app.register_error_handler(PoolTimeout, _handle_database_down)
