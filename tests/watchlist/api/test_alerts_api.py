"""The alerts API: the inbox with its filters, one alert (audited), the triage steps; 422 naming the field,
409 for a step the alert's status does not allow; officers and admins act, auditors read, others nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from watchlist.alerts import raise_alert
from watchlist.incoming import receive_delivery
from watchlist.models import Alert, AuditEvent, ConvictedPerson, PersonStatus, ReceivedRecord, Role, User
from watchlist.persons import add_person, require_person
from watchlist.users import create_token

Headers = Callable[[Role], dict[str, str]]


@pytest.fixture
def alerts(session: Session) -> list[Alert]:
    """Two alerts on one wanted person from the POW registry, committed; newest last."""
    person = add_person(
        session,
        require_person(
            {
                "external_id": "UA-7",
                "full_name": "Гнилицький Олег Петрович",
                "birth_date": "1975-03-12",
                "convictions": [
                    {"court": "Київський районний суд", "article": "438 ч.1", "sentence": "12 років"}
                ],
            }
        ),
        "test",
    )
    rows = [
        {
            "record_id": "POW-1",
            "full_name": "GNILITSKII OLEG",
            "birth_date": "12.03.1975",
            "unit": "military unit 1",
        },
        {"record_id": "POW-2", "full_name": "Гнилицкий Олег", "birth_date": "1975"},
    ]
    receive_delivery(session, "pow", "pow.csv", b"x", list(enumerate(rows, start=2)))
    raised = []
    for record in session.scalars(select(ReceivedRecord).order_by(ReceivedRecord.id)):
        alert, _ = raise_alert(
            session,
            person_id=person.id,
            record_id=record.id,
            score=0.91,
            decision="alert",
            explanation={"matched_name": "Гнилицький Олег Петрович"},
            source_kind="pow",
        )
        raised.append(alert)
    session.commit()
    return raised


def user_headers(session: Session, user: User) -> dict[str, str]:
    _row, token = create_token(session, user)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_the_inbox_lists_newest_first_with_filters_and_the_unread_count(
    client: FlaskClient, auth_headers: Headers, alerts: list[Alert]
) -> None:
    headers = auth_headers(Role.OFFICER)
    answer = client.get("/api/v1/alerts", headers=headers)
    assert answer.status_code == 200
    body = answer.json
    assert body is not None
    assert [a["id"] for a in body["alerts"]] == [alerts[1].id, alerts[0].id]
    assert body["unread"] == 2 and body["total"] == 2 and body["pages"] == 1
    first = body["alerts"][1]
    assert (first["status"], first["severity"], first["source_kind"]) == ("new", "critical", "pow")
    assert first["record"]["record_id"] == "POW-1" and first["person"]["external_id"] == "UA-7"
    assert client.get("/api/v1/alerts?status=dismissed", headers=headers).json["alerts"] == []  # type: ignore[index]
    assert client.get("/api/v1/alerts?source_kind=border", headers=headers).json["total"] == 0  # type: ignore[index]
    paged = client.get("/api/v1/alerts?per_page=1&page=2", headers=headers).json
    assert paged is not None and [a["id"] for a in paged["alerts"]] == [alerts[0].id] and paged["pages"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=open", "status"),
        ("severity=urgent", "severity"),
        ("per_page=0", "per_page"),
        ("mine=yes", "mine"),
    ],
)
def test_a_bad_filter_is_422_naming_it(
    client: FlaskClient, auth_headers: Headers, query: str, field: str
) -> None:
    answer = client.get(f"/api/v1/alerts?{query}", headers=auth_headers(Role.OFFICER))
    assert answer.status_code == 422
    assert answer.json is not None
    assert [d["field"] for d in answer.json["error"]["details"]] == [field]


def test_reading_an_alert_shows_both_sides_is_audited_and_marks_it_read(
    client: FlaskClient, session: Session, make_user: Callable[..., User], alerts: list[Alert]
) -> None:
    officer = make_user(Role.OFFICER, "olena")
    headers = user_headers(session, officer)
    answer = client.get(f"/api/v1/alerts/{alerts[0].id}", headers=headers)
    assert answer.status_code == 200
    body = answer.json
    assert body is not None
    assert [n["name"] for n in body["person"]["names"]] == ["Гнилицький Олег Петрович"]
    assert body["person"]["convictions"][0]["article"] == "438 ч.1"
    assert body["record"]["attributes"]["unit"] == "military unit 1"
    assert body["explanation"] == {"matched_name": "Гнилицький Олег Петрович"}
    assert body["history"][0]["action"] == "raised"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "alert_view")).one()
    assert (event.actor, event.subject) == ("olena", {"alert_id": alerts[0].id})
    assert event.outcome["persons_disclosed"] == [alerts[0].person_id]
    inbox = client.get("/api/v1/alerts", headers=headers).json
    assert inbox is not None and inbox["unread"] == 1
    assert {a["id"]: a["unread"] for a in inbox["alerts"]} == {alerts[0].id: False, alerts[1].id: True}
    assert client.get("/api/v1/alerts/999999", headers=headers).status_code == 404


def test_an_officer_triages_an_alert_through_the_api(
    client: FlaskClient, session: Session, make_user: Callable[..., User], alerts: list[Alert]
) -> None:
    headers = user_headers(session, make_user(Role.OFFICER, "olena"))
    url = f"/api/v1/alerts/{alerts[0].id}"
    assert client.post(f"{url}/acknowledge", json={}, headers=headers).json["status"] == "acknowledged"  # type: ignore[index]
    again = client.post(f"{url}/acknowledge", json={}, headers=headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"  # type: ignore[index]
    assigned = client.post(f"{url}/assign", json={"assignee": "olena"}, headers=headers)
    assert assigned.status_code == 200 and assigned.json["assigned_to"] == "olena"  # type: ignore[index]
    mine = client.get("/api/v1/alerts?mine=true", headers=headers).json
    assert mine is not None and [a["id"] for a in mine["alerts"]] == [alerts[0].id]
    commented = client.post(f"{url}/comment", json={"comment": "checking the unit"}, headers=headers)
    assert commented.json["history"][-1]["comment"] == "checking the unit"  # type: ignore[index]
    confirmed = client.post(f"{url}/confirm", json={"person_status": "located"}, headers=headers)
    assert confirmed.status_code == 200
    body = confirmed.json
    assert body is not None and body["status"] == "confirmed" and body["person"]["status"] == "located"
    session.expire_all()
    assert session.get(ConvictedPerson, alerts[0].person_id).status is PersonStatus.LOCATED  # type: ignore[union-attr]
    late = client.post(f"{url}/dismiss", json={"reason": "duplicate", "comment": "x"}, headers=headers)
    assert late.status_code == 409


@pytest.mark.parametrize(
    ("step", "body", "fields"),
    [
        ("dismiss", {"reason": "not him", "comment": "x"}, ["reason"]),
        ("dismiss", {"reason": "duplicate"}, ["comment"]),
        ("confirm", {"person_status": "closed"}, ["person_status"]),
        ("assign", {"assignee": "nobody"}, ["assignee"]),
        ("comment", {"comment": "a\x00b"}, ["comment"]),
        ("comment", {"comment": "x", "extra": 1}, ["extra"]),
        ("comment", ["x"], ["body"]),
    ],
)
def test_bad_input_to_a_step_is_422_naming_the_field(
    client: FlaskClient,
    auth_headers: Headers,
    alerts: list[Alert],
    step: str,
    body: object,
    fields: list[str],
) -> None:
    answer = client.post(f"/api/v1/alerts/{alerts[0].id}/{step}", json=body, headers=auth_headers(Role.ADMIN))
    assert answer.status_code == 422
    assert answer.json is not None
    assert [d["field"] for d in answer.json["error"]["details"]] == fields


@pytest.mark.parametrize(
    ("role", "read", "act"),
    [
        (Role.OFFICER, 200, 200),
        (Role.ADMIN, 200, 200),
        (Role.AUDITOR, 200, 403),
        (Role.SCREENER, 403, 403),
        (Role.EDITOR, 403, 403),
    ],
)
def test_officers_and_admins_act_auditors_read_others_see_nothing(
    client: FlaskClient, auth_headers: Headers, alerts: list[Alert], role: Role, read: int, act: int
) -> None:
    headers = auth_headers(role)
    assert client.get("/api/v1/alerts", headers=headers).status_code == read
    assert client.get(f"/api/v1/alerts/{alerts[0].id}", headers=headers).status_code == read
    answer = client.post(f"/api/v1/alerts/{alerts[0].id}/comment", json={"comment": "seen"}, headers=headers)
    assert answer.status_code == act
