"""HTML error pages for the web pages; the API keeps its JSON error shape. No page ever shows a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, render_template
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response

from watchlist.access import is_api_request
from watchlist.db import get_session
from watchlist.exc import WatchlistError

# statuses with a message of their own in the catalogue; any other gets `error.other`
_EXPLAINED = {400, 403, 404, 405, 413, 422, 429, 500, 503}

Handler = Callable[[Any], Any]
log = logging.getLogger(__name__)


def render_error_page(status: int) -> tuple[str, int]:
    """The error page for `status`, in the user's language."""
    try:
        # the request failed: what it had begun is void, and on PostgreSQL a failed statement leaves the
        # transaction unusable for the page's menu (the unread-alerts count reads the database)
        get_session().rollback()
    except SQLAlchemyError:
        log.warning("rolling back before an error page failed", exc_info=False)
    key = f"error.{status}" if status in _EXPLAINED else "error.other"
    return render_template("error.html", status=status, message_key=key), status


def _page_or_api(api_handler: Handler | None) -> Handler:
    def handle(error: Exception) -> Any:
        if is_api_request() and api_handler is not None:
            return api_handler(error)
        if isinstance(error, WatchlistError):
            return render_error_page(error.status)
        if isinstance(error, HTTPException):
            body, status = render_error_page(error.code or 500)
            response = Response(body, status, content_type="text/html; charset=utf-8")
            if isinstance(error, MethodNotAllowed) and error.valid_methods:
                response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        raise error

    return handle


def init_app(app: Flask) -> None:
    """Answer page requests with HTML error pages, handing API requests to the handlers the API registered.

    Flask keeps one handler per exception class, so ours wraps the API's rather than replacing it; the
    API's are registered first (create_app sets up the API before the pages).
    """
    registered = app.error_handler_spec.get(None, {}).get(None, {})
    for kind in (WatchlistError, HTTPException):
        app.register_error_handler(kind, _page_or_api(registered.get(kind)))
