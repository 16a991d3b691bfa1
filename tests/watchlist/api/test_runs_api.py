"""GET /api/v1/runs: admins and officers read the run history, newest first; others are refused."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from jobs.runs import run_matching
from watchlist.db import session_scope
from watchlist.incoming import receive_delivery
from watchlist.models import Role
from watchlist.settings import Settings


def test_officers_and_admins_see_the_runs_newest_first(
    client: FlaskClient,
    auth_headers: Callable[[Role], dict[str, str]],
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    with session_scope(session_factory) as session:
        receive_delivery(
            session, "pow", "pow.csv", b"x", [(2, {"record_id": "R1", "full_name": "Петро Сидоренко"})]
        )
    run_matching(session_factory, settings, "pow")
    for role in (Role.ADMIN, Role.OFFICER):
        response = client.get("/api/v1/runs?kind=match", headers=auth_headers(role))
        assert response.status_code == 200
        runs = response.get_json()["runs"]
        assert [(r["kind"], r["source"], r["status"]) for r in runs][:1] == [("match", "pow", "succeeded")]
        assert runs[0]["counts"]["records_matched"] == 1 and runs[0]["duration_seconds"] >= 0
    for role in (Role.SCREENER, Role.EDITOR, Role.AUDITOR):
        assert client.get("/api/v1/runs", headers=auth_headers(role)).status_code == 403
    assert client.get("/api/v1/runs").status_code == 401


def test_bad_parameters_are_named(
    client: FlaskClient, auth_headers: Callable[[Role], dict[str, str]]
) -> None:
    response = client.get(
        "/api/v1/runs?limit=0&kind=nightly&since=yesterday", headers=auth_headers(Role.ADMIN)
    )
    assert response.status_code == 422
    fields = {detail["field"] for detail in response.get_json()["error"]["details"]}
    assert fields == {"limit", "kind", "since"}
