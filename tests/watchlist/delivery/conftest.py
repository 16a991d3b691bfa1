"""Fixtures of the delivery tests: alerts to deliver, settings that point at local receivers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from itertools import count

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.watchlist.delivery.receivers import Mailbox, WebhookReceiver, start_smtp
from watchlist.alerts import raise_alert
from watchlist.delivery import enqueue_alert
from watchlist.incoming import receive_delivery
from watchlist.models import ReceivedRecord
from watchlist.persons import add_person, require_person
from watchlist.settings import Settings


@pytest.fixture
def make_alert(session: Session) -> Callable[..., int]:
    """Factory: raise an alert on a new person and record and enqueue it in the same transaction, as the
    alerts feature does; commits and returns the alert's id."""
    numbers = count(1)

    def make(severity: str = "high", source_kind: str | None = "pow", region: str | None = None) -> int:
        n = next(numbers)
        person = add_person(
            session, require_person({"external_id": f"D-{n}", "full_name": f"Гнилицький Олег {n}"}), "test"
        )
        receive_delivery(
            session, "pow", f"pow{n}.csv", f"{n}".encode(), [(2, {"record_id": f"R{n}", "full_name": "X"})]
        )
        record_id = session.scalars(select(ReceivedRecord.id).order_by(ReceivedRecord.id.desc())).first()
        assert record_id is not None
        alert, _new = raise_alert(
            session, person_id=person.id, record_id=record_id, score=0.95, decision="alert", explanation={}
        )
        session.flush()
        enqueue_alert(session, alert.id, severity=severity, source_kind=source_kind, region=region)
        session.commit()
        return alert.id

    return make


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    yield server
    if server.hold is not None:
        server.hold.set()
    server.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    controller, mailbox = start_smtp()
    yield controller.port, mailbox
    controller.stop()


@pytest.fixture
def delivery_settings(settings: Settings, smtp: tuple[int, Mailbox]) -> Settings:
    return dataclasses.replace(
        settings,
        delivery_public_url="https://watchlist.example",
        smtp_host="127.0.0.1",
        smtp_port=smtp[0],
        smtp_starttls=False,
        smtp_from_address="alerts@watchlist.example",
        delivery_connect_timeout_seconds=2.0,
        delivery_read_timeout_seconds=2.0,
    )
