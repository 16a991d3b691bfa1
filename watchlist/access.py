"""Who may call what: every endpoint declares the roles it allows; anything undeclared is denied.

Views are decorated with `@allow(Role.EDITOR, …)` or `@public`. A request is authenticated by an API token
(`Authorization: Bearer …`, never a URL parameter) or by the login session of the web pages, which lives
in the database (watchlist.logins): the cookie carries only its random id. Every request but the health
checks is counted against the rate limits (watchlist.rate_limits), and every refusal is audited. A request
that rides on the session cookie and changes something (POST, PUT, PATCH, DELETE) must also carry the
session's CSRF token, in the form field `csrf_token` or the `X-CSRF-Token` header. The check is ours, not
Flask-WTF's: the pages use no WTForms, and one check here covers page forms and cookie-borne API calls alike.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, TypeVar

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from watchlist import i18n
from watchlist.audit import record_event
from watchlist.db import get_session, utcnow
from watchlist.exc import BadRequest, Forbidden, NotAuthenticated, NotVisible, TooManyRequests
from watchlist.hardening import client_address
from watchlist.logins import LoginPolicy, end_login_session, resume_login_session, start_login_session
from watchlist.models import Role, User
from watchlist.rate_limits import Leases, count_request, limits_for
from watchlist.users import TOKEN_PREFIX, authenticate_bearer

F = TypeVar("F", bound=Callable[..., Any])

POLICY_ATTR = "_watchlist_roles"
# the marker for endpoints anyone may call (health checks, the login page, static files)
PUBLIC: frozenset[Role] = frozenset()
ALL_ROLES: frozenset[Role] = frozenset(Role)

# keys of the signed session cookie: the login session's id (the session itself lives in the database,
# see watchlist.logins), the CSRF token, the language, and a login waiting for its second factor
SESSION_ID = "sid"
SESSION_CSRF_TOKEN = "csrf_token"
SESSION_LANGUAGE = i18n.SESSION_KEY
SESSION_PENDING_USER = "pending_user_id"
SESSION_PENDING_AT = "pending_at"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# one of our tokens, whatever the parameter is called, so it is refused in any URL
_TOKEN_IN_URL = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_-]{40,}")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: int
    username: str
    role: Role
    # "token" or "session"
    via: str
    token_id: int | None = None
    # his role requires a second factor he has not set up: he may only set it up (or log out)
    needs_second_factor: bool = False


def allow(*roles: Role) -> Callable[[F], F]:
    """Declare the roles that may call this view."""
    if not roles:
        raise ValueError("allow() needs at least one role; use @public for open endpoints")

    def mark(view: F) -> F:
        setattr(view, POLICY_ATTR, frozenset(roles))
        return view

    return mark


def public(view: F) -> F:
    """Declare that anyone may call this view."""
    setattr(view, POLICY_ATTR, PUBLIC)
    return view


def policy_of(app: Flask, endpoint: str) -> frozenset[Role] | None:
    """The roles an endpoint allows, PUBLIC for open endpoints, None when it declares nothing."""
    if endpoint == "static":
        return PUBLIC
    view = app.view_functions.get(endpoint)
    policy: frozenset[Role] | None = getattr(view, POLICY_ATTR, None)
    return policy


def undeclared_endpoints(app: Flask) -> list[str]:
    """The endpoints of `app` that declare no access policy (and so deny everyone)."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    return sorted(endpoint for endpoint in endpoints if policy_of(app, endpoint) is None)


def current_principal() -> Principal | None:
    """The caller of the current request, None when anonymous."""
    principal: Principal | None = g.get("principal")
    return principal


def csrf_token() -> str:
    """The CSRF token of the current session, made on first use; forms put it in a hidden field."""
    token: str | None = session.get(SESSION_CSRF_TOKEN)
    if token is None:
        token = secrets.token_urlsafe(32)
        session[SESSION_CSRF_TOKEN] = token
    return token


def login_policy() -> LoginPolicy:
    """The timeouts and lockout of the current app."""
    policy: LoginPolicy = current_app.extensions["watchlist.login_policy"]
    return policy


def start_session(user: User) -> None:
    """Log `user` in: a new server-side session (written to the audit log), a new cookie with nothing of
    the old one but the language, and a new CSRF token.

    Clearing first means a session fixed by someone before login (session fixation) is worth nothing after.
    """
    session_id = start_login_session(get_session(), user, client_address())
    language = session.get(SESSION_LANGUAGE)
    session.clear()
    if language is not None:
        session[SESSION_LANGUAGE] = language
    session[SESSION_ID] = session_id
    session[SESSION_CSRF_TOKEN] = secrets.token_urlsafe(32)


def end_session(reason: str = "logout") -> None:
    """Log out: end the server-side session and forget the cookie's user and CSRF token; keep the language."""
    session_id = session.get(SESSION_ID)
    if session_id is not None:
        end_login_session(get_session(), str(session_id), reason, client_address())
    language = session.get(SESSION_LANGUAGE)
    session.clear()
    if language is not None:
        session[SESSION_LANGUAGE] = language


# how long a worker goes on accepting a token it has checked, without asking the database again: revoking
# a token, or disabling or demoting its user, takes effect in every worker within this many seconds
TOKEN_CACHE_SECONDS = 2.0
# a bound on the tokens one worker remembers; past it the cache starts again empty
TOKEN_CACHE_SIZE = 10_000


class TokenCache:
    """The tokens this worker accepted in the last TOKEN_CACHE_SECONDS, by their SHA-256.

    Checking a token is a query on every API request, the largest cost of a screening after the matching
    itself; an official's system sends many requests a second with one token. Only accepted tokens are
    kept, never past their own expiry, so an unknown or refused token is asked of the database each time.
    """

    def __init__(self, seconds: float = TOKEN_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self._accepted: dict[bytes, tuple[float, datetime, Principal]] = {}

    @staticmethod
    def _key(token: str) -> bytes:
        return hashlib.sha256(token.encode("utf-8")).digest()

    def get(self, token: str) -> Principal | None:
        """The principal of `token` if it was accepted less than `seconds` ago and has not expired since."""
        entry = self._accepted.get(self._key(token))
        if entry is None:
            return None
        checked_at, expires_at, principal = entry
        if self.clock() - checked_at >= self.seconds or utcnow() >= expires_at:
            return None
        return principal

    def put(self, token: str, expires_at: datetime, principal: Principal) -> None:
        if len(self._accepted) >= TOKEN_CACHE_SIZE:
            self._accepted.clear()
        self._accepted[self._key(token)] = (self.clock(), expires_at, principal)


def token_cache(app: Flask) -> TokenCache:
    """The app's cache of accepted tokens (one per process)."""
    cache: TokenCache = app.extensions["watchlist.token_cache"]
    return cache


def _from_token(header: str) -> Principal | None:
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("the Authorization header must be 'Bearer <token>'")
    cache = token_cache(current_app)
    cached = cache.get(token)
    if cached is not None:
        return cached
    caller = authenticate_bearer(get_session(), token)
    if caller is None:
        raise NotAuthenticated("the API token is unknown, expired or revoked")
    if caller.touched:
        # at most once a minute per token: keep last_used_at even when the view itself commits nothing
        get_session().commit()
    principal = Principal(caller.user_id, caller.username, caller.role, "token", caller.token_id)
    cache.put(token, caller.expires_at, principal)
    return principal


def _from_session() -> Principal | None:
    session_id = session.get(SESSION_ID)
    if session_id is None:
        return None
    db = get_session()
    check = resume_login_session(db, str(session_id), login_policy())
    if check.touched:
        db.commit()
    caller = check.caller
    if caller is None:
        language = session.get(SESSION_LANGUAGE)
        session.clear()
        if language is not None:
            session[SESSION_LANGUAGE] = language
        if check.refused in {"idle", "absolute"}:
            g.session_expired = True
        return None
    return Principal(
        caller.user_id, caller.username, caller.role, "session", None, caller.needs_second_factor
    )


def is_api_request() -> bool:
    """Whether the request is for the JSON API (answered with JSON errors and 401, never a login redirect)."""
    return request.path.startswith("/api/") or request.path in {"/healthz", "/readyz", "/metrics"}


def _token_in_url() -> bool:
    if "token" in request.args or "access_token" in request.args:
        return True
    return any(_TOKEN_IN_URL.search(value) for value in request.args.values())


def _check_csrf() -> None:
    expected = session.get(SESSION_CSRF_TOKEN)
    given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(str(expected).encode(), given.encode()):
        raise BadRequest("the form is out of date or did not come from this site; reload it and try again")


def _login_redirect() -> Response:
    # full_path ends in "?" when there is no query string
    return redirect(url_for("web.login", next=request.full_path.rstrip("?")))


# what anyone may reach whatever his state: health checks and metrics are not counted against rate limits
_UNCOUNTED = frozenset({"static", "health.healthz", "health.readyz", "metrics"})
# what a user who must still set up his second factor may reach
_SECOND_FACTOR_SETUP = frozenset(
    {"web.second_factor_setup", "web.logout", "web.language", "web.login", "static"}
)


def _refuse(
    error: NotAuthenticated | Forbidden | BadRequest | NotVisible, principal: Principal | None, reason: str
) -> NoReturn:
    """Write the refusal to the audit log, committed now (the request itself fails), then raise it."""
    db = get_session()
    db.rollback()
    record_event(
        db,
        "access.refused",
        actor=principal.username if principal else "anonymous",
        via=principal.via if principal else ("token" if "Authorization" in request.headers else "session"),
        role=principal.role if principal else None,
        remote_addr=client_address(),
        subject={"method": request.method, "endpoint": request.endpoint, "path": request.path},
        outcome={"status": error.status, "reason": reason},
    )
    db.commit()
    g.refusal_audited = True  # the audit log's catch-all for 401/403 (watchlist.audit) writes no second row
    raise error


def refuse_hidden(error: NotVisible) -> NoReturn:
    """Refuse an object outside the caller's view (another officer's alert): audited like every refusal,
    with the reason `not visible`, and answered 404 as for an object that does not exist."""
    _refuse(error, current_principal(), "not visible")


def _count_request(principal: Principal | None) -> None:
    settings = current_app.extensions["watchlist.settings"]
    limits = limits_for(
        principal.user_id if principal else None,
        client_address(),
        settings.rate_limits_per_user,
        settings.rate_limits_per_address,
    )
    db = get_session()
    leases: Leases = current_app.extensions["watchlist.rate_leases"]
    verdict = count_request(db, limits, settings.rate_limits_window_seconds, time.time(), leases)
    # committed at once: the counters are shared, and must not stay locked while the request runs (a
    # request served from this worker's leases touched no row, and its commit would be 25 µs of nothing)
    if db.in_transaction():
        db.commit()
    if not verdict.allowed:
        g.retry_after = verdict.retry_after
        raise TooManyRequests(f"too many requests; try again in {verdict.retry_after} s")


def _enforce() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None:
        # no route: Flask answers 404 (or 405); the error page still knows who is asking
        g.principal = None if "Authorization" in request.headers else _from_session()
        return None
    policy = policy_of(current_app, endpoint)
    if policy is None:
        _refuse(Forbidden("this endpoint declares no access policy"), None, "no policy")
    if _token_in_url():
        _refuse(
            NotAuthenticated("tokens are never accepted in a URL; use the Authorization header"),
            None,
            "token in URL",
        )
    header = request.headers.get("Authorization")
    try:
        principal = _from_token(header) if header else _from_session()
    except NotAuthenticated as error:
        _refuse(error, None, "bad token")
    g.principal = principal
    if endpoint not in _UNCOUNTED:
        _count_request(principal)
    if policy != PUBLIC:
        if principal is None:
            if is_api_request():
                _refuse(NotAuthenticated("authentication required"), None, "anonymous")
            if g.get("session_expired"):
                flash("login.expired")
            return _login_redirect()
        if principal.role not in policy:
            _refuse(Forbidden(f"the role {principal.role.value} may not do this"), principal, "role")
    if principal is not None and principal.needs_second_factor and endpoint not in _SECOND_FACTOR_SETUP:
        if is_api_request():
            _refuse(Forbidden("set up the second factor in the pages first"), principal, "second factor")
        return redirect(url_for("web.second_factor_setup"))
    # a bearer token is never sent by a browser on its own, so only cookie-borne requests need the check
    if header is None and request.method not in _SAFE_METHODS:
        try:
            _check_csrf()
        except BadRequest as error:
            _refuse(error, principal, "csrf")
    return None


def _challenge(response: Response) -> Response:
    # RFC 6750: a 401 names the scheme the client should use
    if response.status_code == 401 and is_api_request():
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="watchlist"')
    return response


def init_app(app: Flask) -> None:
    app.extensions["watchlist.login_policy"] = LoginPolicy.from_settings(app.extensions["watchlist.settings"])
    app.extensions["watchlist.token_cache"] = TokenCache()
    # requests this process claimed from the shared rate-limit counts and has not served yet
    app.extensions["watchlist.rate_leases"] = Leases()
    app.before_request(_enforce)
    app.after_request(_challenge)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["CSRF_FIELD"] = CSRF_FIELD
