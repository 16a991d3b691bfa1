"""The alerts API: the inbox with its filters, one alert (audited), the triage steps; 422 naming the field,
409 for a step the alert's status does not allow; officers and admins read and act, others nothing; an
officer sees the alerts his subscriptions ask for or assigned to him, any other is a 404 (audited)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from watchlist.alerts import raise_alert
from watchlist.delivery.subscriptions import add_subscription
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


def subscribed(session: Session, officer: User, **subscription: str) -> User:
    """The officer with an inbox-only subscription (by default to every alert), committed."""
    add_subscription(session, officer, by_email=False, **subscription)
    session.commit()
    return officer


@pytest.fixture
def officer_headers(session: Session, make_user: Callable[..., User]) -> Callable[..., dict[str, str]]:
    """Factory: headers of a new officer subscribed to every alert (or to what the keywords say)."""

    def headers(username: str | None = None, **subscription: str) -> dict[str, str]:
        return user_headers(session, subscribed(session, make_user(Role.OFFICER, username), **subscription))

    return headers


def test_the_inbox_lists_newest_first_with_filters_and_the_unread_count(
    client: FlaskClient, officer_headers: Callable[..., dict[str, str]], alerts: list[Alert]
) -> None:
    headers = officer_headers()
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
    officer = subscribed(session, make_user(Role.OFFICER, "olena"))
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
    headers = user_headers(session, subscribed(session, make_user(Role.OFFICER, "olena")))
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
    ("role", "status"),
    [
        (Role.OFFICER, 200),
        (Role.ADMIN, 200),
        # auditors read who saw which alert in the audit log, not the alerts' personal data
        (Role.AUDITOR, 403),
        (Role.SCREENER, 403),
        (Role.EDITOR, 403),
    ],
)
def test_officers_and_admins_read_and_act_others_see_nothing(
    client: FlaskClient,
    session: Session,
    make_user: Callable[..., User],
    alerts: list[Alert],
    role: Role,
    status: int,
) -> None:
    user = make_user(role)
    headers = user_headers(session, subscribed(session, user) if role is Role.OFFICER else user)
    assert client.get("/api/v1/alerts", headers=headers).status_code == status
    assert client.get(f"/api/v1/alerts/{alerts[0].id}", headers=headers).status_code == status
    answer = client.post(f"/api/v1/alerts/{alerts[0].id}/comment", json={"comment": "seen"}, headers=headers)
    assert answer.status_code == status


STEPS = [
    ("acknowledge", {}),
    ("assign", {"assignee": "ivan"}),
    ("comment", {"comment": "mine now"}),
    ("confirm", {"person_status": "detained"}),
    ("dismiss", {"reason": "duplicate", "comment": "not mine"}),
]


def test_an_alert_outside_an_officers_view_is_404_everywhere_and_the_refusal_is_audited(
    client: FlaskClient,
    session: Session,
    make_user: Callable[..., User],
    officer_headers: Callable[..., dict[str, str]],
    alerts: list[Alert],
) -> None:
    # ivan watches border crossings; both alerts come from the POW registry
    headers = officer_headers("ivan", source_kind="border")
    inbox = client.get("/api/v1/alerts", headers=headers).json
    assert inbox is not None and (inbox["alerts"], inbox["total"], inbox["unread"]) == ([], 0, 0)
    assert client.get("/api/v1/alerts?source_kind=pow", headers=headers).json["total"] == 0  # type: ignore[index]
    missing = client.get("/api/v1/alerts/999999", headers=headers)
    hidden = client.get(f"/api/v1/alerts/{alerts[0].id}", headers=headers)
    # the same answer as for an alert that does not exist: nothing tells him it does
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json == {"error": {**missing.json["error"], "message": f"no alert {alerts[0].id}"}}  # type: ignore[index]
    for step, body in STEPS:
        answer = client.post(f"/api/v1/alerts/{alerts[0].id}/{step}", json=body, headers=headers)
        assert answer.status_code == 404, step
    session.expire_all()
    alert = session.get(Alert, alerts[0].id)
    assert alert is not None and alert.status.value == "new" and alert.assigned_to_id is None
    assert [event.action for event in alert.events] == ["raised"]
    refused = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "access.refused").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor, e.subject["path"], e.outcome["status"], e.outcome["reason"]) for e in refused] == [
        ("ivan", f"/api/v1/alerts/{alerts[0].id}", 404, "not visible"),
        *(("ivan", f"/api/v1/alerts/{alerts[0].id}/{step}", 404, "not visible") for step, _ in STEPS),
    ]
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "alert_view")).all() == []


def test_assigning_an_alert_to_an_officer_lets_him_see_and_work_on_it(
    client: FlaskClient,
    session: Session,
    make_user: Callable[..., User],
    auth_headers: Headers,
    officer_headers: Callable[..., dict[str, str]],
    alerts: list[Alert],
) -> None:
    headers = officer_headers("ivan", source_kind="border")
    url = f"/api/v1/alerts/{alerts[1].id}"
    assert client.get(url, headers=headers).status_code == 404
    assigned = client.post(f"{url}/assign", json={"assignee": "ivan"}, headers=auth_headers(Role.ADMIN))
    assert assigned.status_code == 200
    assert client.get(url, headers=headers).status_code == 200
    inbox = client.get("/api/v1/alerts", headers=headers).json
    assert inbox is not None and [a["id"] for a in inbox["alerts"]] == [alerts[1].id]
    acknowledged = client.post(f"{url}/acknowledge", json={}, headers=headers)
    assert acknowledged.status_code == 200 and acknowledged.json["status"] == "acknowledged"  # type: ignore[index]
    assert client.get(f"/api/v1/alerts/{alerts[0].id}", headers=headers).status_code == 404
