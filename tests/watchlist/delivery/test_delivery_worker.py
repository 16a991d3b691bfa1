"""The delivery worker against real receivers on 127.0.0.1: webhooks signed the Standard Webhooks way,
retried through a receiver that is down and then failing, never lost, never re-identified; a 410 stops the
calls; the retry window ends in a dead letter an operator can send again; e-mail over real SMTP."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from email import message_from_bytes

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.watchlist.delivery.receivers import Mailbox, WebhookReceiver, start_smtp
from watchlist.cli import CliState, main
from watchlist.db import utcnow
from watchlist.delivery.endpoints import add_endpoint
from watchlist.delivery.outbox import dead_letters
from watchlist.delivery.signing import new_secret
from watchlist.delivery.subscriptions import add_subscription, set_email
from watchlist.delivery.worker import DeliveryWorker
from watchlist.models import AuditEvent, MessageStatus, OutboxMessage, Role, User, WebhookEndpoint
from watchlist.settings import Settings


class Clock:
    """Time the test moves forward: days of retries pass in milliseconds."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _worker(factory: sessionmaker[Session], settings: Settings, clock: Clock) -> DeliveryWorker:
    return DeliveryWorker(factory, settings, "test-worker", clock=clock, rng=random.Random(6))


def _statuses(session: Session) -> list[MessageStatus]:
    session.expire_all()
    return [message.status for message in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_a_receiver_down_then_failing_then_back_gets_every_alert_with_stable_ids(
    session: Session,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    receiver: WebhookReceiver,
    make_alert: Callable[..., int],
) -> None:
    secret = new_secret()
    add_endpoint(session, receiver.url, secret)
    session.commit()
    alerts = [make_alert(severity=severity) for severity in ("critical", "high", "low")]
    clock = Clock()
    worker = _worker(session_factory, delivery_settings, clock)

    receiver.stop()  # down: connections refused
    assert worker.run_once() == 3
    assert worker.run_once() == 0, "nothing is due again before its backoff"
    clock.advance(minutes=2)
    assert worker.run_once() == 3
    receiver.start()  # up again, but failing
    receiver.status = 500
    clock.advance(minutes=5)
    assert worker.run_once() == 3
    receiver.status = 200
    for _ in range(20):
        clock.advance(hours=1)
        worker.run_once()
    assert _statuses(session) == [MessageStatus.DELIVERED] * 3

    failed, delivered = receiver.received[:3], receiver.delivered()
    assert [item.status for item in failed] == [500] * 3
    assert len(delivered) == 3, "each alert delivered once after recovery"
    verifier = Webhook(secret)
    by_alert: dict[int, set[str]] = {}
    for item in receiver.received:
        payload = verifier.verify(item.body, item.headers)
        assert payload["type"] == "alert.raised"
        assert (
            payload["data"]["link"]
            == f"https://watchlist.example/api/v1/alerts/{payload['data']['alert_id']}"
        )
        assert set(payload["data"]) == {"alert_id", "severity", "source_kind", "link"}
        by_alert.setdefault(payload["data"]["alert_id"], set()).add(item.headers["webhook-id"])
    assert sorted(by_alert) == sorted(alerts)
    assert all(len(ids) == 1 for ids in by_alert.values()), "every repeat carries the same webhook-id"
    # a tampered body does not verify
    tampered = receiver.delivered()[0]
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered.body.replace(b"alert", b"alarm"), tampered.headers)

    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "alert_webhook_delivered")).all()
    assert sorted(event.subject["alert_id"] for event in events) == sorted(alerts)
    assert {event.outcome["recipient"] for event in events} == {receiver.url}


def test_a_receiver_answering_410_is_never_called_again(
    session: Session,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    receiver: WebhookReceiver,
    make_alert: Callable[..., int],
) -> None:
    endpoint = add_endpoint(session, receiver.url, new_secret())
    session.commit()
    make_alert()
    make_alert()
    receiver.status = 410
    clock = Clock()
    worker = _worker(session_factory, dataclasses.replace(delivery_settings), clock)
    worker.run_once()
    assert len(receiver.received) == 2  # both were claimed in one batch before the first answer
    session.expire_all()
    assert session.get(WebhookEndpoint, endpoint.id).is_active is False  # type: ignore[union-attr]
    make_alert()
    for _ in range(5):
        clock.advance(hours=1)
        worker.run_once()
    assert len(receiver.received) == 2
    assert set(_statuses(session)[:2]) == {MessageStatus.CANCELLED}
    assert len(_statuses(session)) == 2, "a disabled endpoint gets no new rows"


def test_after_the_retry_window_a_dead_letter_that_an_operator_sends_again(
    session: Session,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    receiver: WebhookReceiver,
    make_alert: Callable[..., int],
) -> None:
    add_endpoint(session, receiver.url, new_secret())
    session.commit()
    alert_id = make_alert()
    receiver.status = 503
    clock = Clock()
    worker = _worker(session_factory, delivery_settings, clock)
    attempts_at = []
    while _statuses(session) == [MessageStatus.PENDING]:
        attempts_at.append(clock.now)
        worker.run_once()
        clock.advance(minutes=10)
    # retried for the whole window (72 hours by default), with growing waits, then given up
    assert attempts_at[-1] - attempts_at[0] >= timedelta(hours=72)
    assert 8 <= len(receiver.received) <= 40
    assert _statuses(session) == [MessageStatus.DEAD]
    assert [message.alert_id for message in dead_letters(session)] == [alert_id]

    state = CliState()
    state.sessionmaker = session_factory
    state.settings = delivery_settings
    listed = CliRunner().invoke(main, ["deliveries", "dead"], obj=state)
    assert listed.exit_code == 0, listed.output
    assert receiver.url in listed.output and "HTTP 503" in listed.output

    dead_id = dead_letters(session)[0].id
    retried = CliRunner().invoke(main, ["deliveries", "retry", str(dead_id)], obj=state)
    assert retried.exit_code == 0 and "1 dead letter(s) queued again" in retried.output
    receiver.status = 200
    clock.advance(minutes=1)
    worker.run_once()
    assert _statuses(session) == [MessageStatus.DELIVERED]
    ids = {item.headers["webhook-id"] for item in receiver.received}
    assert len(ids) == 1


def test_subscribed_officers_get_a_short_email_with_the_link_and_it_is_audited(
    session: Session,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp: tuple[int, Mailbox],
    make_user: Callable[..., User],
    make_alert: Callable[..., int],
) -> None:
    officer = make_user(Role.OFFICER)
    set_email(session, officer, "olena@prosecutor.example")
    add_subscription(session, officer, min_severity="medium")
    session.commit()
    alert_id = make_alert(severity="critical")
    make_alert(severity="low")  # below her threshold
    worker = _worker(session_factory, delivery_settings, Clock())
    assert worker.run_once() == 1
    _port, mailbox = smtp
    assert len(mailbox.messages) == 1
    sender, recipients, raw = mailbox.messages[0]
    assert sender == "alerts@watchlist.example" and recipients == ["olena@prosecutor.example"]
    mail = message_from_bytes(raw)
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert f"https://watchlist.example/alerts/{alert_id}" in body
    assert "critical" in body and "Гнилицький" not in body and "Гнилицький" not in str(mail["Subject"])
    message = session.scalars(select(OutboxMessage)).one()
    assert mail["X-Watchlist-Delivery-Id"] == message.message_id
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "alert_emailed")).one()
    assert event.outcome["recipient"] == "olena@prosecutor.example" and event.subject["alert_id"] == alert_id


def test_an_unreachable_smtp_server_is_retried(
    session: Session,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp: tuple[int, Mailbox],
    make_user: Callable[..., User],
    make_alert: Callable[..., int],
) -> None:
    officer = make_user(Role.OFFICER)
    set_email(session, officer, "olena@prosecutor.example")
    add_subscription(session, officer)
    session.commit()
    make_alert()
    clock = Clock()
    closed = dataclasses.replace(delivery_settings, smtp_port=1)
    _worker(session_factory, closed, clock).run_once()
    message = session.scalars(select(OutboxMessage)).one()
    assert message.status is MessageStatus.PENDING and message.last_error
    clock.advance(hours=1)
    _worker(session_factory, delivery_settings, clock).run_once()
    session.expire_all()
    assert session.scalars(select(OutboxMessage)).one().status is MessageStatus.DELIVERED
    assert len(smtp[1].messages) == 1


def test_a_disabled_officer_is_not_emailed(
    session: Session,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp: tuple[int, Mailbox],
    make_user: Callable[..., User],
    make_alert: Callable[..., int],
) -> None:
    officer = make_user(Role.OFFICER)
    set_email(session, officer, "left@prosecutor.example")
    add_subscription(session, officer)
    session.commit()
    make_alert()
    officer.is_active = False
    session.commit()
    assert _worker(session_factory, delivery_settings, Clock()).run_once() == 0
    assert smtp[1].messages == []
    assert _statuses(session) == [MessageStatus.CANCELLED]


def test_the_smtp_login_comes_from_the_settings_and_a_refused_one_is_retried(
    session: Session,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    make_user: Callable[..., User],
    make_alert: Callable[..., int],
) -> None:
    controller, mailbox = start_smtp(login=("watchlist", "smtp password from the environment"))
    try:
        officer = make_user(Role.OFFICER)
        set_email(session, officer, "olena@prosecutor.example")
        add_subscription(session, officer)
        session.commit()
        make_alert()
        clock = Clock()
        settings = dataclasses.replace(
            delivery_settings, smtp_port=controller.port, smtp_user="watchlist", smtp_password="wrong"
        )
        _worker(session_factory, settings, clock).run_once()
        message = session.scalars(select(OutboxMessage)).one()
        assert message.status is MessageStatus.PENDING and message.last_error == "SMTPAuthenticationError"
        assert mailbox.messages == []
        clock.advance(hours=1)
        settings = dataclasses.replace(settings, smtp_password="smtp password from the environment")
        _worker(session_factory, settings, clock).run_once()
        session.expire_all()
        assert session.scalars(select(OutboxMessage)).one().status is MessageStatus.DELIVERED
        assert [recipients for _sender, recipients, _raw in mailbox.messages] == [
            ["olena@prosecutor.example"]
        ]
    finally:
        controller.stop()
