"""Who may call what: every endpoint declares the roles it allows; anything undeclared is denied.

Views are decorated with `@allow(Role.EDITOR, …)` or `@public`. A request is authenticated by an API token
(`Authorization: Bearer …`, never a URL parameter) or by the login session of the web pages. A request
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
from typing import Any, TypeVar

from flask import Flask, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from watchlist import i18n
from watchlist.db import get_session, utcnow
from watchlist.exc import BadRequest, Forbidden, NotAuthenticated
from watchlist.models import Role, User
from watchlist.users import TOKEN_PREFIX, authenticate_bearer

F = TypeVar("F", bound=Callable[..., Any])

POLICY_ATTR = "_watchlist_roles"
# the marker for endpoints anyone may call (health checks, the login page, static files)
PUBLIC: frozenset[Role] = frozenset()
ALL_ROLES: frozenset[Role] = frozenset(Role)

# keys of the login session (a signed cookie)
SESSION_USER_ID = "user_id"
SESSION_CSRF_TOKEN = "csrf_token"
SESSION_LANGUAGE = i18n.SESSION_KEY
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


def start_session(user: User) -> None:
    """Log `user` in: a new session (nothing of the old one survives but the language) and a new CSRF token.

    Clearing first means a session fixed by someone before login (session fixation) is worth nothing after.
    """
    language = session.get(SESSION_LANGUAGE)
    session.clear()
    if language is not None:
        session[SESSION_LANGUAGE] = language
    session[SESSION_USER_ID] = user.id
    session[SESSION_CSRF_TOKEN] = secrets.token_urlsafe(32)


def end_session() -> None:
    """Log out: forget the user and the CSRF token, keep the language."""
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
    user_id = session.get(SESSION_USER_ID)
    if user_id is None:
        return None
    user = get_session().get(User, user_id)
    if user is None or not user.is_active:
        end_session()
        return None
    return Principal(user.id, user.username, user.role, "session")


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


def _enforce() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None:
        # no route: Flask answers 404 (or 405); the error page still knows who is asking
        g.principal = None if "Authorization" in request.headers else _from_session()
        return None
    policy = policy_of(current_app, endpoint)
    if policy is None:
        raise Forbidden("this endpoint declares no access policy")
    if _token_in_url():
        raise NotAuthenticated("tokens are never accepted in a URL; use the Authorization header")
    header = request.headers.get("Authorization")
    principal = _from_token(header) if header else _from_session()
    g.principal = principal
    if policy != PUBLIC:
        if principal is None:
            if is_api_request():
                raise NotAuthenticated("authentication required")
            return _login_redirect()
        if principal.role not in policy:
            raise Forbidden(f"the role {principal.role.value} may not do this")
    # a bearer token is never sent by a browser on its own, so only cookie-borne requests need the check
    if header is None and request.method not in _SAFE_METHODS:
        _check_csrf()
    return None


def _challenge(response: Response) -> Response:
    # RFC 6750: a 401 names the scheme the client should use
    if response.status_code == 401 and is_api_request():
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="watchlist"')
    return response


def init_app(app: Flask) -> None:
    app.extensions["watchlist.token_cache"] = TokenCache()
    app.before_request(_enforce)
    app.after_request(_challenge)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["CSRF_FIELD"] = CSRF_FIELD
