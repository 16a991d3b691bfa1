"""Who may call what: every endpoint declares the roles it allows; anything undeclared is denied.

Views are decorated with `@allow(Role.EDITOR, …)` or `@public`. A request is authenticated by an API token
(`Authorization: Bearer …`, never a URL parameter) or by the login session of the web pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from watchlist.db import get_session
from watchlist.exc import Forbidden, NotAuthenticated
from watchlist.models import Role, User
from watchlist.users import authenticate_token

F = TypeVar("F", bound=Callable[..., Any])

POLICY_ATTR = "_watchlist_roles"
# the marker for endpoints anyone may call (health checks, the login page, static files)
PUBLIC: frozenset[Role] = frozenset()
ALL_ROLES: frozenset[Role] = frozenset(Role)


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


def current_principal() -> Principal | None:
    principal: Principal | None = g.get("principal")
    return principal


def _from_token(header: str) -> Principal | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("the Authorization header must be 'Bearer <token>'")
    row = authenticate_token(get_session(), token.strip())
    if row is None:
        raise NotAuthenticated("the API token is unknown, expired or revoked")
    get_session().commit()  # keep last_used_at
    return Principal(row.user.id, row.user.username, row.role, "token", row.id)


def _from_session() -> Principal | None:
    user_id = session.get("user_id")
    if user_id is None:
        return None
    user = get_session().get(User, user_id)
    if user is None or not user.is_active:
        session.clear()
        return None
    return Principal(user.id, user.username, user.role, "session")


def is_api_request() -> bool:
    return request.path.startswith("/api/") or request.path in {"/healthz", "/readyz", "/metrics"}


def _enforce() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route: Flask answers 404 (or 405)
    policy = policy_of(current_app, endpoint)
    if policy is None:
        raise Forbidden("this endpoint declares no access policy")
    if "token" in request.args or "access_token" in request.args:
        raise NotAuthenticated("tokens are never accepted in a URL; use the Authorization header")
    header = request.headers.get("Authorization")
    principal = _from_token(header) if header else _from_session()
    g.principal = principal
    if policy is PUBLIC or policy == PUBLIC:
        return None
    if principal is None:
        if is_api_request():
            raise NotAuthenticated("authentication required")
        return redirect(url_for("web.login", next=request.full_path))
    if principal.role not in policy:
        raise Forbidden(f"the role {principal.role.value} may not do this")
    return None


def init_app(app: Flask) -> None:
    app.before_request(_enforce)
