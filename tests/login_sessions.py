"""Logging a test client in without the login form: a server-side session row and its id in the cookie,
exactly what a successful login leaves behind."""

from __future__ import annotations

from flask.testing import FlaskClient

from watchlist.access import SESSION_ID
from watchlist.db import get_session
from watchlist.logins import start_login_session
from watchlist.models import User


def log_in(client: FlaskClient, user: User) -> str:
    """Open a login session for `user` and put it in `client`'s cookie; returns the session id."""
    with client.application.app_context():
        db = get_session()
        session_id = start_login_session(db, user)
        db.commit()
    with client.session_transaction() as cookie:
        cookie[SESSION_ID] = session_id
    return session_id
