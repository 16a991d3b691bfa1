"""The officials' web pages (server-rendered, Ukrainian and English)."""

from __future__ import annotations

from flask import Blueprint, Flask

web = Blueprint("web", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(web)
