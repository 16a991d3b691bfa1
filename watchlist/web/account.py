"""Logging in (password, then the second factor for a user who has one) and out, setting up the second
factor, and choosing the interface language."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from watchlist import i18n, second_factor
from watchlist.access import (
    ALL_ROLES,
    SESSION_PENDING_AT,
    SESSION_PENDING_USER,
    allow,
    current_principal,
    end_session,
    login_policy,
    public,
    start_session,
)
from watchlist.db import get_session
from watchlist.exc import ValidationFailed
from watchlist.hardening import client_address
from watchlist.logins import check_login, check_second_factor
from watchlist.models import User
from watchlist.web import navigation, web

# how long a right password waits for its second factor
PENDING_SECONDS = 300


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
    """The login form; a successful login starts a new session (after the second factor, for a user who
    has one) and goes on to `next` or the home page. Every failure reads alike, a locked account's too."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_principal() is not None:
            return redirect(target or url_for("web.home"))
        return render_template("login.html", next=target, failed=False, username="")
    username = request.form.get("username", "")
    db = get_session()
    user = check_login(db, username, request.form.get("password", ""), login_policy(), client_address())
    if user is None:
        db.commit()
        return render_template("login.html", next=target, failed=True, username=username)
    if second_factor.is_enabled(user):
        session[SESSION_PENDING_USER] = user.id
        session[SESSION_PENDING_AT] = time.time()
        db.commit()
        return redirect(url_for("web.login_second_factor", next=target))
    start_session(user)
    db.commit()
    return redirect(target or url_for("web.home"))


def _pending_user() -> User | None:
    """The user whose password was right a moment ago and who still owes his second factor."""
    user_id, since = session.get(SESSION_PENDING_USER), session.get(SESSION_PENDING_AT)
    if user_id is None or since is None or time.time() - float(since) > PENDING_SECONDS:
        return None
    return get_session().get(User, int(user_id))


@web.route("/login/second-factor", methods=["GET", "POST"])
@public
def login_second_factor() -> Response | str:
    """The second step of a login: the code of the authenticator app, or a recovery code."""
    target = safe_next(request.values.get("next"))
    user = _pending_user()
    if user is None:
        session.pop(SESSION_PENDING_USER, None)
        return redirect(url_for("web.login", next=target))
    if request.method == "GET":
        return render_template("login_second_factor.html", next=target, failed=False)
    db = get_session()
    if not check_second_factor(db, user, request.form.get("code", ""), login_policy(), client_address()):
        db.commit()
        return render_template("login_second_factor.html", next=target, failed=True)
    start_session(user)
    db.commit()
    return redirect(target or url_for("web.home"))


@web.route("/account/second-factor", methods=["GET", "POST"])
@allow(*ALL_ROLES)
def second_factor_setup() -> Response | str:
    """Set up the TOTP second factor: the key for the authenticator app (QR code, link and text), then one
    code from the app to confirm it, then the recovery codes, shown this once."""
    principal = current_principal()
    assert principal is not None
    db = get_session()
    user = db.get(User, principal.user_id)
    assert user is not None
    if second_factor.is_enabled(user):
        return render_template("second_factor_setup.html", enabled=True, codes=None)
    required = principal.needs_second_factor
    failed = False
    if request.method == "POST":
        try:
            codes = second_factor.confirm_enrolment(db, user, request.form.get("code", ""))
        except ValidationFailed:
            failed = True
        else:
            db.commit()
            return render_template("second_factor_setup.html", enabled=True, codes=codes)
    uri = second_factor.begin_enrolment(db, user)
    db.commit()
    return render_template(
        "second_factor_setup.html",
        enabled=False,
        codes=None,
        uri=uri,
        secret=user.totp_secret,
        qr_code=second_factor.qr_code_data_uri(uri),
        required=required,
        failed=failed,
    )


@web.post("/logout")
@allow(*ALL_ROLES)
def logout() -> Response:
    """End the session, here and in every worker, and go back to the login form."""
    end_session()
    get_session().commit()
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


ACCOUNT_MESSAGES = {
    "uk": {
        "error.429": "Забагато запитів; зачекайте хвилину й спробуйте знову.",
        "login.expired": "Сеанс завершився через неактивність або за часом; увійдіть знову.",
        "login.second_factor.title": "Другий фактор",
        "login.second_factor.code": "Код із застосунку автентифікації або резервний код",
        "login.second_factor.failed": "Код не підійшов.",
        "nav.second_factor": "Другий фактор",
        "nav.second_factor.description": "Налаштувати вхід із кодом із застосунку автентифікації.",
        "second_factor.title": "Другий фактор (TOTP)",
        "second_factor.required": (
            "Для вашої ролі адміністратор вимагає другий фактор: налаштуйте його, щоб продовжити."
        ),
        "second_factor.scan": "Відскануйте QR-код застосунком автентифікації або введіть ключ вручну:",
        "second_factor.link": "Посилання для застосунку",
        "second_factor.confirm": "Введіть код, який показує застосунок:",
        "second_factor.submit": "Підтвердити",
        "second_factor.failed": "Код не підійшов; перевірте час на телефоні й спробуйте ще раз.",
        "second_factor.enabled": "Другий фактор увімкнено. Скинути його може адміністратор.",
        "second_factor.codes": (
            "Резервні коди (кожен діє один раз, якщо телефону немає під рукою). Збережіть їх зараз: "
            "більше їх не буде показано."
        ),
    },
    "en": {
        "error.429": "Too many requests; wait a minute and try again.",
        "login.expired": "Your session ended after a period of inactivity or its time limit; sign in again.",
        "login.second_factor.title": "Second factor",
        "login.second_factor.code": "Code from the authenticator app, or a recovery code",
        "login.second_factor.failed": "That code did not work.",
        "nav.second_factor": "Second factor",
        "nav.second_factor.description": "Set up signing in with a code from an authenticator app.",
        "second_factor.title": "Second factor (TOTP)",
        "second_factor.required": (
            "An administrator requires a second factor for your role: set it up to go on."
        ),
        "second_factor.scan": "Scan the QR code with an authenticator app, or type the key in by hand:",
        "second_factor.link": "Link for the app",
        "second_factor.confirm": "Type the code the app shows:",
        "second_factor.submit": "Confirm",
        "second_factor.failed": "That code did not work; check the time on the phone and try again.",
        "second_factor.enabled": "The second factor is on. An administrator can reset it.",
        "second_factor.codes": (
            "Recovery codes (each works once, when the phone is not at hand). Keep them now: they are not "
            "shown again."
        ),
    },
}


def init_app(app: Flask) -> None:
    i18n.catalogue_of(app).add(ACCOUNT_MESSAGES)
    navigation.add_nav_item(
        app, "web.second_factor_setup", "nav.second_factor", "nav.second_factor.description"
    )
