"""enqueue_alert: an alert reaches every subscriber whose kind, severity and region it fits, and every
webhook endpoint that asks for it, as outbox rows written in the alert's own transaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from watchlist.delivery import enqueue_alert
from watchlist.delivery.endpoints import add_endpoint, disable_endpoint
from watchlist.delivery.signing import new_secret
from watchlist.delivery.subscriptions import (
    add_subscription,
    list_subscriptions,
    remove_subscription,
    set_email,
)
from watchlist.exc import Forbidden, NotFound, ValidationFailed
from watchlist.models import Channel, MessageStatus, OutboxMessage, Role, User


def _officer(make_user: Callable[..., User], session: Session, email: str | None) -> User:
    user = make_user(Role.OFFICER)
    set_email(session, user, email)
    return user


def test_each_fitting_subscriber_and_endpoint_gets_one_row(
    session: Session, make_user: Callable[..., User], make_alert: Callable[..., int]
) -> None:
    anna = _officer(make_user, session, "anna@prosecutor.example")
    add_subscription(session, anna, source_kind="pow", min_severity="high")
    # a second subscription of hers that also fits: still one e-mail
    add_subscription(session, anna, min_severity="low")
    borys = _officer(make_user, session, "borys@prosecutor.example")
    add_subscription(session, borys, source_kind="border")
    kyiv = _officer(make_user, session, "kyiv@prosecutor.example")
    add_subscription(session, kyiv, region="Kyiv", min_severity="critical")
    inbox_only = _officer(make_user, session, None)
    add_subscription(session, inbox_only, by_email=False)
    everything = add_endpoint(session, "https://soc.example/hook", new_secret())
    criticals = add_endpoint(session, "https://duty.example/hook", new_secret(), min_severity="critical")
    session.commit()

    alert_id = make_alert(severity="high", source_kind="pow", region="Kyiv")
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.alert_id == alert_id)).all()
    assert sorted((row.channel, row.email or "", row.endpoint_id or 0) for row in rows) == [
        (Channel.EMAIL, "anna@prosecutor.example", 0),
        (Channel.WEBHOOK, "", everything.id),
    ]
    assert all(row.status is MessageStatus.PENDING for row in rows)
    assert len({row.message_id for row in rows}) == 2
    # no personal data in what is sent: the alert's id, type, severity and kind only
    assert rows[0].payload == {
        "type": "alert.raised",
        "alert_id": alert_id,
        "severity": "high",
        "source_kind": "pow",
    }

    critical_id = make_alert(severity="critical", source_kind="extradition", region="kyiv")
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.alert_id == critical_id)).all()
    assert sorted(row.email or str(row.endpoint_id) for row in rows) == sorted(
        ["anna@prosecutor.example", "kyiv@prosecutor.example", str(everything.id), str(criticals.id)]
    )

    disable_endpoint(session, everything.id, "test")
    session.commit()
    low_id = make_alert(severity="low", source_kind="border")
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.alert_id == low_id)).all()
    assert sorted(row.email or "" for row in rows) == ["anna@prosecutor.example", "borys@prosecutor.example"]


def test_the_rows_roll_back_with_the_alert(
    session: Session, make_user: Callable[..., User], make_alert: Callable[..., int]
) -> None:
    add_endpoint(session, "https://soc.example/hook", new_secret())
    session.commit()
    make_alert()
    before = len(session.scalars(select(OutboxMessage)).all())
    assert before == 1
    with pytest.raises(ValidationFailed):
        # the alerts side calls enqueue in its transaction: a failure there undoes both
        enqueue_alert(session, 10**9, severity="urgent", source_kind=None, region=None)
    session.rollback()
    assert len(session.scalars(select(OutboxMessage)).all()) == before


def test_subscription_rules(session: Session, make_user: Callable[..., User]) -> None:
    officer = make_user(Role.OFFICER)
    with pytest.raises(ValidationFailed) as caught:
        add_subscription(session, officer, source_kind="sanctions", min_severity="urgent")
    fields = {detail.field for detail in caught.value.details}
    assert fields == {"source_kind", "min_severity", "email"}
    with pytest.raises(ValidationFailed):
        set_email(session, officer, "not-an-address")
    with pytest.raises(Forbidden):
        add_subscription(session, make_user(Role.SCREENER), by_email=False)
    mine = add_subscription(session, officer, by_email=False)
    other = make_user(Role.OFFICER)
    with pytest.raises(NotFound):
        remove_subscription(session, mine.id, other)
    remove_subscription(session, mine.id, make_user(Role.ADMIN))
    assert list_subscriptions(session, officer) == []


def test_a_raised_alert_is_queued_for_its_subscribers_and_a_later_sighting_is_not(
    session: Session, make_user: Callable[..., User]
) -> None:
    from watchlist.alerts import raise_alerts_for
    from watchlist.incoming import receive_delivery
    from watchlist.models import Alert, ReceivedRecord
    from watchlist.persons import add_person, require_person

    anna = _officer(make_user, session, "anna@prosecutor.example")
    add_subscription(session, anna, source_kind="pow")
    person = add_person(session, require_person({"external_id": "W-1", "full_name": "Гнилицький Олег"}), "t")
    hit = {"person_id": person.id, "score": 0.95, "decision": "alert", "explanation": {}}

    def deliver(content: bytes, record_id: str) -> int:
        row = {"record_id": record_id, "full_name": "GNILITSKII OLEG"}
        receive_delivery(session, "pow", "pow.csv", content, [(2, row)])
        return session.scalars(select(ReceivedRecord.id).where(ReceivedRecord.record_id == record_id)).one()

    raise_alerts_for(session, deliver(b"monday", "P1"), [hit], source_kind="pow")
    alert = session.scalars(select(Alert)).one()
    [row] = session.scalars(select(OutboxMessage)).all()
    assert (row.alert_id, row.channel, row.email) == (alert.id, Channel.EMAIL, "anna@prosecutor.example")
    # the same person in the next day's list: a sighting of the open alert, no second message
    raise_alerts_for(session, deliver(b"tuesday", "P2"), [hit], source_kind="pow")
    assert session.scalars(select(Alert)).one().id == alert.id
    assert len(session.scalars(select(OutboxMessage)).all()) == 1
