"""Logging in and out, and choosing the interface language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from watchlist import i18n
from watchlist.access import ALL_ROLES, allow, current_principal, end_session, public, start_session
from watchlist.db import get_session
from watchlist.users import authenticate_user
from watchlist.web import web


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None, so a crafted link cannot send a user elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # browsers read a backslash as a slash ("/\\evil.example") and drop tabs and newlines
    if any(char == "\\" or ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@web.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str:
    """The login form; a successful login starts a new session and goes on to `next` or the home page."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_principal() is not None:
            return redirect(target or url_for("web.home"))
        return render_template("login.html", next=target, failed=False, username="")
    username = request.form.get("username", "")
    user = authenticate_user(get_session(), username, request.form.get("password", ""))
    if user is None:
        return render_template("login.html", next=target, failed=True, username=username)
    start_session(user)
    return redirect(target or url_for("web.home"))


@web.post("/logout")
@allow(*ALL_ROLES)
def logout() -> Response:
    """End the session and go back to the login form."""
    end_session()
    flash("login.logged_out")
    return redirect(url_for("web.login"))


@web.post("/language")
@public
def language() -> Response:
    """Switch the interface language and go back to the page the switch was pressed on."""
    chosen = request.form.get("lang", "")
    if chosen in i18n.LANGUAGES:
        session[i18n.SESSION_KEY] = chosen
    return redirect(safe_next(request.form.get("next")) or url_for("web.home"))
