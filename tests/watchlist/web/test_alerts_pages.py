"""The alerts pages as an officer sees them: the inbox with filters and the unread count in the menu, an
alert with both records side by side and why they matched, and the triage buttons; an officer sees only
the alerts his subscriptions ask for or assigned to him; auditors, screeners and editors see no alerts."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from jobs.runs import run_matching
from tests.login_sessions import log_in
from watchlist.access import SESSION_CSRF_TOKEN
from watchlist.db import session_scope
from watchlist.delivery.subscriptions import add_subscription
from watchlist.incoming import receive_delivery
from watchlist.models import Alert, AlertStatus, AuditEvent, ConvictedPerson, PersonStatus, Role, User
from watchlist.persons import add_person, require_person
from watchlist.settings import Settings

CSRF = "alerts-pages-csrf-token"


# an inbox-only subscription to every alert
EVERY_ALERT: dict[str, str] = {}


@pytest.fixture
def sign_in(client: FlaskClient, session: Session, make_user: Callable[..., User]) -> Callable[..., User]:
    """Log in a new user of the role; an officer is subscribed to every alert unless told otherwise."""

    def sign(
        role: Role,
        username: str | None = None,
        language: str | None = None,
        subscription: dict[str, str] | None = EVERY_ALERT,
    ) -> User:
        user = make_user(role, username=username)
        if role is Role.OFFICER and subscription is not None:
            add_subscription(session, user, by_email=False, **subscription)
            session.commit()
        log_in(client, user)
        with client.session_transaction() as cookie:
            cookie[SESSION_CSRF_TOKEN] = CSRF
            if language is not None:
                cookie["lang"] = language
        return user

    return sign


def page_text(response: TestResponse) -> str:
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(body).split())


@pytest.fixture
def alerts(session_factory: sessionmaker[Session], settings: Settings) -> list[Alert]:
    """A wanted man found by the nightly matching in the POW registry and the border log."""
    with session_scope(session_factory) as session:
        add_person(
            session,
            require_person(
                {
                    "external_id": "UA-0002",
                    "full_name": "Гнилицький Олег Петрович",
                    "aliases": "Гнилицкий Олег Петрович",
                    "birth_date": "1975-03-12",
                    "convictions": [{"court": "Шевченківський районний суд", "article": "ст. 438 ч. 1"}],
                }
            ),
            "test",
        )
        receive_delivery(
            session,
            "pow",
            "pow.csv",
            b"pow",
            [
                (
                    2,
                    {
                        "record_id": "POW-17",
                        "full_name": "GNILITSKII OLEG",
                        "birth_date": "12.03.1975",
                        "camp": "Olenivka",
                    },
                )
            ],
        )
        receive_delivery(
            session,
            "border",
            "border.csv",
            b"border",
            [(2, {"record_id": "BX-3", "full_name": "Hnylytskyi Oleh", "birth_date": "1975"})],
        )
    run_matching(session_factory, settings)
    with session_factory() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def test_the_inbox_shows_the_alerts_newest_first_and_the_unread_count_in_the_menu(
    client: FlaskClient, sign_in: Callable[..., User], alerts: list[Alert]
) -> None:
    assert len(alerts) == 2
    sign_in(Role.OFFICER, language="en")
    inbox = client.get("/alerts")
    assert inbox.status_code == 200
    text = page_text(inbox)
    assert "2 alerts" in text and "Гнилицький Олег Петрович" in text and "GNILITSKII OLEG" in text
    body = inbox.get_data(as_text=True)
    assert body.index(f'data-alert-id="{alerts[1].id}"') < body.index(f'data-alert-id="{alerts[0].id}"')
    assert 'class="nav-badge"' in body and ">2</span>" in body
    client.get(f"/alerts/{alerts[0].id}")
    assert 'aria-label="1 unread"' in client.get("/alerts").get_data(as_text=True)
    # filters: the dismissed ones (none yet), and a bad value named
    assert "No alerts." in page_text(client.get("/alerts?status=dismissed"))
    assert client.get("/alerts?severity=urgent").status_code == 422


def test_an_alert_shows_both_records_why_and_is_audited(
    client: FlaskClient, session: Session, sign_in: Callable[..., User], alerts: list[Alert]
) -> None:
    sign_in(Role.OFFICER, "olena")
    page = client.get(f"/alerts/{alerts[0].id}")
    assert page.status_code == 200
    text = page_text(page)
    for seen in (
        "Гнилицький Олег Петрович",
        "Гнилицкий Олег Петрович",
        "1975-03-12",
        "ст. 438 ч. 1",
        "GNILITSKII OLEG",
        "12.03.1975",
        "Olenivka",
        "POW-17",
    ):
        assert seen in text, seen
    assert "Чому це збіг" in text and "критична" in text
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "alert_view")).one()
    assert event.actor == "olena" and event.subject == {"alert_id": alerts[0].id}


def test_an_officer_acknowledges_assigns_comments_and_confirms(
    client: FlaskClient, session: Session, sign_in: Callable[..., User], alerts: list[Alert]
) -> None:
    sign_in(Role.OFFICER, "olena", language="en")
    url = f"/alerts/{alerts[0].id}"
    for step, data in (
        ("acknowledge", {}),
        ("assign", {"assignee": "olena"}),
        ("comment", {"comment": "calling the camp"}),
        ("confirm", {"person_status": "detained", "comment": ""}),
    ):
        answer = client.post(f"{url}/{step}", data={"csrf_token": CSRF, **data})
        assert answer.status_code == 302, step
    text = page_text(client.get(url))
    assert "Alert confirmed" in text and "confirmed" in text and "calling the camp" in text
    session.expire_all()
    person = session.get(ConvictedPerson, alerts[0].person_id)
    assert person is not None and person.status is PersonStatus.DETAINED
    # a step the status no longer allows is refused, and said so
    late = client.post(f"{url}/acknowledge", data={"csrf_token": CSRF})
    assert late.status_code == 409 and "no longer possible" in page_text(late)


def test_a_dismissal_without_a_comment_is_refused_naming_the_field(
    client: FlaskClient, session: Session, sign_in: Callable[..., User], alerts: list[Alert]
) -> None:
    sign_in(Role.OFFICER, language="en")
    answer = client.post(
        f"/alerts/{alerts[0].id}/dismiss", data={"csrf_token": CSRF, "reason": "duplicate", "comment": ""}
    )
    assert answer.status_code == 422 and "Comment: is required" in page_text(answer)
    sign_in(Role.OFFICER, language="uk")
    refused = client.post(
        f"/alerts/{alerts[0].id}/dismiss", data={"csrf_token": CSRF, "reason": "lookalike", "comment": "x"}
    )
    assert "Причина: виберіть одне зі значень списку" in page_text(refused)
    session.expire_all()
    assert session.get(Alert, alerts[0].id).status is AlertStatus.NEW  # type: ignore[union-attr]


def test_auditors_screeners_and_editors_see_no_alerts(
    client: FlaskClient, sign_in: Callable[..., User], alerts: list[Alert]
) -> None:
    for role in (Role.AUDITOR, Role.SCREENER, Role.EDITOR):
        sign_in(role)
        assert client.get("/alerts").status_code == 403
        assert client.get(f"/alerts/{alerts[0].id}").status_code == 403
        assert (
            client.post(f"/alerts/{alerts[0].id}/acknowledge", data={"csrf_token": CSRF}).status_code == 403
        )
        home = client.get("/").get_data(as_text=True)
        assert 'href="/alerts"' not in home and 'class="nav-badge"' not in home


def test_an_officer_sees_nothing_of_the_alerts_outside_his_view(
    client: FlaskClient, session: Session, sign_in: Callable[..., User], alerts: list[Alert]
) -> None:
    # he watches the Kherson region; neither record names it
    sign_in(Role.OFFICER, "ivan", language="en", subscription={"region": "Херсонська"})
    inbox = client.get("/alerts")
    assert inbox.status_code == 200 and "No alerts." in page_text(inbox)
    body = inbox.get_data(as_text=True)
    assert 'class="nav-badge"' not in body and "GNILITSKII" not in body
    assert client.get("/alerts?status=new").status_code == 200
    for url in (f"/alerts/{alerts[0].id}", "/alerts/999999"):
        page = client.get(url)
        assert page.status_code == 404 and "GNILITSKII" not in page.get_data(as_text=True), url
    dismissed = client.post(
        f"/alerts/{alerts[0].id}/dismiss", data={"csrf_token": CSRF, "reason": "duplicate", "comment": "x"}
    )
    assert dismissed.status_code == 404
    session.expire_all()
    assert session.get(Alert, alerts[0].id).status is AlertStatus.NEW  # type: ignore[union-attr]
    refused = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "access.refused").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor, e.subject["path"], e.outcome["status"], e.outcome["reason"]) for e in refused] == [
        ("ivan", f"/alerts/{alerts[0].id}", 404, "not visible"),
        ("ivan", f"/alerts/{alerts[0].id}/dismiss", 404, "not visible"),
    ]


def test_an_alert_assigned_to_an_officer_appears_in_his_inbox(
    client: FlaskClient, session: Session, sign_in: Callable[..., User], alerts: list[Alert]
) -> None:
    sign_in(Role.OFFICER, "ivan", language="en", subscription=None)
    assert "No alerts." in page_text(client.get("/alerts"))
    sign_in(Role.ADMIN, language="en")
    assigned = client.post(f"/alerts/{alerts[1].id}/assign", data={"csrf_token": CSRF, "assignee": "ivan"})
    assert assigned.status_code == 302
    ivan = session.scalars(select(User).where(User.username == "ivan")).one()
    log_in(client, ivan)
    with client.session_transaction() as cookie:
        cookie["lang"] = "en"
    inbox = client.get("/alerts")
    assert "1 alert" in page_text(inbox) and f'data-alert-id="{alerts[1].id}"' in inbox.get_data(as_text=True)
    assert ">1</span>" in inbox.get_data(as_text=True)
    assert client.get(f"/alerts/{alerts[1].id}").status_code == 200
    assert client.get(f"/alerts/{alerts[0].id}").status_code == 404
