import logging

import pytest
from flask.testing import FlaskClient


def test_healthz_says_the_process_is_up(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_checks_the_database_is_migrated(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json is not None and response.json["status"] == "ok"


def test_unknown_api_route_answers_the_one_error_shape(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json is not None
    assert response.json["error"]["code"] == "not_found"


def test_requests_are_logged_without_their_query_string(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="watchlist.requests"):
        client.get("/healthz?q=Гнилицький")
    [line] = [r.getMessage() for r in caplog.records if r.name == "watchlist.requests"]
    assert line.startswith("GET /healthz 200 ")
    assert "Гнилицький" not in caplog.text
