"""/metrics: the Prometheus text an admin's token scrapes — runs, durations, records, alerts, queues
and screening latency — computed from the database, so every worker process answers the same."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from jobs.runs import run_matching
from watchlist.db import session_scope
from watchlist.incoming import receive_delivery
from watchlist.models import Role
from watchlist.persons import add_person, require_person
from watchlist.settings import Settings


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_an_admin_token_scrapes_the_figures_of_the_database_and_the_screening_latency(
    client: FlaskClient,
    auth_headers: Callable[[Role], dict[str, str]],
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    with session_scope(session_factory) as session:
        add_person(
            session,
            require_person(
                {"external_id": "T-1", "full_name": "Гнилицький Олег Петрович", "birth_date": "1993"}
            ),
            "t",
        )
        rows = [
            (2, {"record_id": "B1", "full_name": "GNILITSKII OLEG"}),
            (3, {"record_id": "B2", "full_name": "Іван Петренко"}),
        ]
        receive_delivery(session, "border", "border.csv", b"2", rows)
    run_matching(session_factory, settings, "border")
    screener = auth_headers(Role.SCREENER)
    assert (
        client.post("/api/v1/screen", json={"name": "Олег Гнилицький"}, headers=screener).status_code == 200
    )

    response = client.get("/metrics", headers=auth_headers(Role.ADMIN))
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    found = samples(response.get_data(as_text=True))
    assert found[("watchlist_runs_total", (("kind", "match"), ("status", "succeeded")))] == 1
    assert found[("watchlist_run_last_duration_seconds", (("kind", "match"), ("source", "border")))] >= 0
    assert (
        "watchlist_run_last_success_timestamp_seconds",
        (("kind", "match"), ("source", "border")),
    ) in found
    assert found[("watchlist_records_received_total", (("source", "border"),))] == 2
    assert found[("watchlist_records_stored", (("source", "border"),))] == 2
    assert ("watchlist_records_pending_match", (("source", "border"),)) not in found
    assert found[("watchlist_alerts_total", (("source", "border"), ("status", "new")))] == 1
    assert found[("watchlist_retro_queue", ())] == 1
    latency = found[("watchlist_screening_seconds_count", (("endpoint", "api.screen_one"),))]
    assert latency >= 1


def test_only_admins_scrape(client: FlaskClient, auth_headers: Callable[[Role], dict[str, str]]) -> None:
    assert client.get("/metrics").status_code == 401
    for role in (Role.SCREENER, Role.OFFICER, Role.EDITOR, Role.AUDITOR):
        assert client.get("/metrics", headers=auth_headers(role)).status_code == 403
