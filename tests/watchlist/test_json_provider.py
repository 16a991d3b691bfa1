"""JSON answers: encoded by orjson, with the values Flask's own provider would give."""

from __future__ import annotations

import datetime as dt
import decimal
import json

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask.testing import FlaskClient

from watchlist.access import public


def test_a_json_answer_has_the_values_flask_gives_in_the_order_built_as_utf8(
    app: Flask, client: FlaskClient
) -> None:
    answer = {
        "record_id": "r1",
        "name": "Гнилицький Олег",
        "score": 0.9231,
        "verdict_date": dt.date(2024, 5, 17),
        "fine": decimal.Decimal("12.50"),
        "counts": {3: "three"},
        "matches": [{"person_id": 7, "in_absentia": True, "notes": None}],
    }

    @app.get("/api/v1/json-sample")
    @public
    def sample() -> dict[str, object]:
        return answer

    response = client.get("/api/v1/json-sample")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == json.loads(DefaultJSONProvider(app).dumps(answer))
    # the keys in the order the code built them, Cyrillic as UTF-8 rather than \u escapes
    assert list(response.json) == list(answer)
    assert "Гнилицький Олег".encode() in response.data
    assert response.json["verdict_date"] == "Fri, 17 May 2024 00:00:00 GMT"
