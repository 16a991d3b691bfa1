"""The JSON API under /api/v1/, the health checks, and the one error shape."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from watchlist import migrations
from watchlist.access import is_api_request, public
from watchlist.db import database
from watchlist.exc import WatchlistError

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


def _handle_watchlist_error(error: WatchlistError) -> Response:
    return error_response(error.status, error.code, error.message, [d.to_dict() for d in error.details])


def _handle_http_error(error: HTTPException) -> Response | HTTPException:
    if not is_api_request():
        return error
    code = (error.name or "error").lower().replace(" ", "_")
    return error_response(error.code or 500, code, error.description or "", [])


def init_app(app: Flask) -> None:
    from watchlist.api import persons  # noqa: F401  (registers the routes)

    app.register_blueprint(health)
    app.register_blueprint(api)
    app.register_error_handler(WatchlistError, _handle_watchlist_error)
    app.register_error_handler(HTTPException, _handle_http_error)
