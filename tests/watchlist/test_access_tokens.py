"""API tokens over HTTP: expired, revoked, disabled user, token in the URL, role scoping."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from watchlist.access import TOKEN_CACHE_SECONDS, allow, token_cache
from watchlist.db import utcnow
from watchlist.models import Role, User
from watchlist.users import authenticate_bearer, create_token, disable_user, revoke_token


def _route(app: Flask) -> None:
    """An API route for editors only, as the matrix would see it."""

    @app.get("/api/v1/editors-only")
    @allow(Role.EDITOR, Role.ADMIN)
    def editors_only() -> dict[str, str]:
        return {"ok": "yes"}


def test_a_live_token_is_accepted_and_its_use_recorded(
    app: Flask, client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    _route(app)
    row, token = create_token(session, make_user(Role.EDITOR))
    session.commit()
    response = client.get("/api/v1/editors-only", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    session.refresh(row)
    assert row.last_used_at is not None


def test_refused_tokens_answer_401_in_the_one_error_shape(
    app: Flask, client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    _route(app)
    expired, expired_token = create_token(session, make_user(Role.EDITOR))
    expired.expires_at = utcnow() - timedelta(seconds=1)
    revoked, revoked_token = create_token(session, make_user(Role.EDITOR))
    revoke_token(session, revoked.id)
    _row, disabled_token = create_token(session, make_user(Role.EDITOR, username="gone"))
    disable_user(session, "gone")
    session.commit()

    for token in (expired_token, revoked_token, disabled_token, "wl_not-a-real-token"):
        response = client.get("/api/v1/editors-only", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.json is not None
        assert response.json["error"]["code"] == "not_authenticated"
    response = client.get("/api/v1/editors-only", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_in_the_url_is_refused_even_when_valid(
    app: Flask, client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    _route(app)
    _row, token = create_token(session, make_user(Role.EDITOR))
    session.commit()
    for query in (f"token={token}", f"access_token={token}", f"q={token}"):
        response = client.get(f"/api/v1/editors-only?{query}")
        assert response.status_code == 401, query
        assert response.json is not None and "URL" in response.json["error"]["message"]
    # even next to a good header: a token that was put in a URL has leaked into logs already
    response = client.get(f"/api/v1/editors-only?token={token}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_token_acts_with_its_own_role_not_its_users(
    app: Flask, client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    _route(app)
    editor = make_user(Role.EDITOR)
    _row, narrow = create_token(session, editor, role=Role.SCREENER)
    _row, full = create_token(session, editor)
    session.commit()
    assert (
        client.get("/api/v1/editors-only", headers={"Authorization": f"Bearer {narrow}"}).status_code == 403
    )
    assert client.get("/api/v1/editors-only", headers={"Authorization": f"Bearer {full}"}).status_code == 200


class _Clock:
    """A monotonic clock the test moves by hand, for the worker's cache of accepted tokens."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _manual_clock(app: Flask) -> _Clock:
    clock = _Clock()
    token_cache(app).clock = clock
    return clock


def test_a_token_stronger_than_its_demoted_user_is_refused(
    app: Flask, client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    _route(app)
    clock = _manual_clock(app)
    admin = make_user(Role.ADMIN)
    _row, token = create_token(session, admin)
    session.commit()
    assert client.get("/api/v1/editors-only", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    admin.role = Role.SCREENER
    session.commit()
    clock.now += TOKEN_CACHE_SECONDS
    assert client.get("/api/v1/editors-only", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_revoked_token_stops_working_within_the_token_cache_seconds(
    app: Flask, client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    _route(app)
    clock = _manual_clock(app)
    row, token = create_token(session, make_user(Role.EDITOR, username="soon-revoked"))
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/editors-only", headers=headers).status_code == 200
    revoke_token(session, row.id)
    disable_user(session, "soon-revoked")
    session.commit()
    # the worker checked this token a moment ago and takes its word for it until the cache time is up
    clock.now += TOKEN_CACHE_SECONDS / 2
    assert client.get("/api/v1/editors-only", headers=headers).status_code == 200
    clock.now += TOKEN_CACHE_SECONDS / 2
    response = client.get("/api/v1/editors-only", headers=headers)
    assert response.status_code == 401
    assert response.json is not None and response.json["error"]["code"] == "not_authenticated"
    # and a refused token is never remembered: it is refused at once, every time
    assert client.get("/api/v1/editors-only", headers=headers).status_code == 401


def test_an_accepted_token_is_not_taken_past_its_own_expiry(
    app: Flask, client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    _route(app)
    _manual_clock(app)
    row, token = create_token(session, make_user(Role.EDITOR))
    row.expires_at = utcnow() + timedelta(milliseconds=300)
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/editors-only", headers=headers).status_code == 200
    time.sleep(0.4)
    # the clock of the cache has not moved, but the token's own expiry has passed
    assert client.get("/api/v1/editors-only", headers=headers).status_code == 401


def test_a_bearer_token_needs_no_csrf_token(
    app: Flask, client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    @app.post("/api/v1/editors-only")
    @allow(Role.EDITOR)
    def editors_post() -> dict[str, str]:
        return {"ok": "yes"}

    _row, token = create_token(session, make_user(Role.EDITOR))
    session.commit()
    response = client.post("/api/v1/editors-only", json={}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_last_used_at_is_written_at_most_once_a_minute_per_token(
    session: Session, make_user: Callable[..., User]
) -> None:
    row, token = create_token(session, make_user(Role.SCREENER))
    session.commit()
    start = utcnow()
    first = authenticate_bearer(session, token, now=start)
    assert first is not None and first.touched
    session.commit()
    # the requests of the next minute change nothing in the database: no write, no disk sync
    for seconds in (1, 30, 59):
        caller = authenticate_bearer(session, token, now=start + timedelta(seconds=seconds))
        assert caller is not None and not caller.touched
    session.refresh(row)
    assert row.last_used_at == start
    later = authenticate_bearer(session, token, now=start + timedelta(seconds=61))
    assert later is not None and later.touched
    session.commit()
    session.refresh(row)
    assert row.last_used_at == start + timedelta(seconds=61)


def test_the_one_query_authentication_refuses_what_the_token_rules_refuse(
    session: Session, make_user: Callable[..., User]
) -> None:
    live, live_token = create_token(session, make_user(Role.EDITOR, username="ed"))
    expired, expired_token = create_token(session, make_user(Role.EDITOR), days=1)
    revoked, revoked_token = create_token(session, make_user(Role.EDITOR))
    revoke_token(session, revoked.id)
    _row, disabled_token = create_token(session, make_user(Role.EDITOR, username="gone2"))
    disable_user(session, "gone2")
    demoted_user = make_user(Role.ADMIN, username="demoted")
    _row, demoted_token = create_token(session, demoted_user, role=Role.EDITOR)
    demoted_user.role = Role.SCREENER
    session.commit()
    # taken after the tokens are made: five password hashes on a loaded machine can take over a second
    now = utcnow()

    caller = authenticate_bearer(session, live_token, now=now)
    assert caller is not None
    assert (caller.token_id, caller.username, caller.role) == (live.id, "ed", Role.EDITOR)
    # just past the token's own expiry: creating the users may take seconds on a loaded machine
    after_expiry = expired.expires_at + timedelta(seconds=1)
    assert authenticate_bearer(session, expired_token, now=after_expiry) is None
    for token in (revoked_token, disabled_token, demoted_token, "wl_not-a-real-token"):
        assert authenticate_bearer(session, token, now=now) is None, token


def test_a_request_within_the_minute_commits_nothing_for_its_token(
    app: Flask, client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    _route(app)
    row, token = create_token(session, make_user(Role.EDITOR))
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/editors-only", headers=headers).status_code == 200
    session.refresh(row)
    first_use = row.last_used_at
    assert first_use is not None
    assert client.get("/api/v1/editors-only", headers=headers).status_code == 200
    session.refresh(row)
    assert row.last_used_at == first_use
