"""The officials' web pages (server-rendered, Ukrainian and English): the shell other page features extend.

The shell is the login session, the base template with its role-aware navigation and language switch,
the home page, and the HTML error pages. A page feature registers its blueprint and adds its menu entries
with `navigation.add_nav_item(app, …)` and its texts with `i18n.catalogue_of(app).add(…)`.
"""

from __future__ import annotations

from flask import Blueprint, Flask, request
from werkzeug.wrappers import Response

from watchlist import i18n

web = Blueprint("web", __name__)


def _no_store(response: Response) -> Response:
    # pages show who is wanted and who searched whom: no browser or proxy may keep a copy
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    from watchlist.web import (  # noqa: F401  (registers the routes)
        account,
        admin,
        alerts,
        audit,
        delivery,
        errors,
        home,
        navigation,
        persons,
        screening,
    )

    i18n.init_app(app)
    navigation.init_app(app)
    account.init_app(app)
    persons.init_app(app)
    screening.init_app(app)
    admin.init_app(app)
    alerts.init_app(app)
    delivery.init_app(app)
    audit.init_app(app)
    app.register_blueprint(web)
    errors.init_app(app)
    app.after_request(_no_store)
