"""The access matrix, generated from `app.url_map`: every route declares a policy, and every route x every
role (and anonymous) gets the answer its policy implies. Routes added later are covered without edits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.bare_app import bare_app
from tests.login_sessions import log_in
from watchlist.access import (
    PUBLIC,
    SESSION_CSRF_TOKEN,
    allow,
    is_api_request,
    policy_of,
    undeclared_endpoints,
)
from watchlist.models import Role, User
from watchlist.users import create_token, create_user

CSRF = "matrix-csrf-token"
# methods Flask adds to every rule by itself
_IMPLICIT = {"HEAD", "OPTIONS"}


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every method of every rule, arguments filled with `1`."""
    adapter = app.url_map.bind("localhost")
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - _IMPLICIT):
            values = {argument: 1 for argument in rule.arguments}
            url = adapter.build(rule.endpoint, values, method=method)
            routes.append((rule.endpoint, method, url))
    return routes


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "route" in metafunc.fixturenames:
        routes = _routes(bare_app())
        metafunc.parametrize("route", routes, ids=[f"{method} {url}" for _endpoint, method, url in routes])


def test_every_route_declares_an_access_policy() -> None:
    assert undeclared_endpoints(bare_app()) == []


def test_a_route_without_a_policy_is_found_and_denied(app: Flask, client: FlaskClient) -> None:
    @app.get("/forgotten")
    def forgotten() -> str:
        return "should never be seen"

    @app.get("/declared")
    @allow(Role.ADMIN)
    def declared() -> str:
        return "admins only"

    assert undeclared_endpoints(app) == ["forgotten"]
    response = client.get("/forgotten")
    assert response.status_code == 403
    assert b"should never be seen" not in response.data


@pytest.fixture
def role_user(session: Session) -> Callable[[Role], User]:
    """Factory: a committed user of the role, with no password (the matrix logs in by session or token)."""
    made: dict[Role, User] = {}

    def make(role: Role) -> User:
        if role not in made:
            made[role] = create_user(session, f"matrix-{role.value}", role)
            session.commit()
        return made[role]

    return make


def _request(
    app: Flask, session: Session, method: str, url: str, user: User | None, api: bool
) -> tuple[int, str]:
    client = app.test_client()
    headers: dict[str, str] = {}
    if user is not None and api:
        _row, token = create_token(session, user)
        session.commit()
        headers["Authorization"] = f"Bearer {token}"
    if user is not None and not api:
        log_in(client, user)
    with client.session_transaction() as cookie:
        cookie[SESSION_CSRF_TOKEN] = CSRF
    if api:
        response = client.open(url, method=method, headers=headers, json={})
    else:
        response = client.open(url, method=method, data={"csrf_token": CSRF})
    return response.status_code, response.headers.get("Location", "")


def test_route_obeys_its_policy(
    route: tuple[str, str, str], app: Flask, session: Session, role_user: Callable[[Role], User]
) -> None:
    endpoint, method, url = route
    policy = policy_of(app, endpoint)
    assert policy is not None, f"{endpoint} declares no access policy"
    with app.test_request_context(url):
        api = is_api_request()

    status, location = _request(app, session, method, url, None, api)
    if policy == PUBLIC:
        assert status not in (401, 403), f"anonymous {method} {url}: {status}"
    elif api:
        assert status == 401, f"anonymous {method} {url}: {status}"
    else:
        assert status == 302 and location.startswith("/login?next="), f"anonymous {method} {url}: {status}"

    for role in Role:
        status, location = _request(app, session, method, url, role_user(role), api)
        if policy == PUBLIC or role in policy:
            assert status not in (401, 403), f"{role.value} {method} {url}: {status}"
            assert not location.startswith("/login?next="), f"{role.value} {method} {url}: sent to login"
        else:
            assert status == 403, f"{role.value} {method} {url}: {status}, policy {sorted(policy)}"
