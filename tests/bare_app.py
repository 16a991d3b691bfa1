"""An app to read the routes from at collection time (parametrising a test by the url map); it never opens
its database."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from watchlist.app import create_app
from watchlist.db import Database, make_engine
from watchlist.settings import load_settings


def bare_app() -> Flask:
    settings = load_settings(
        config_file=Path(__file__).parents[1] / "config" / "default.toml",
        environ={},
        secret_key="collection-only-secret-key",
        env="test",
        database_url="sqlite://",
    )
    return create_app(settings, db=Database(make_engine("sqlite://")))
