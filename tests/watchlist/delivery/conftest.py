"""Fixtures of the delivery tests: alerts to deliver, settings that point at local receivers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session

from tests.watchlist.delivery.factories import alert_with_outbox
from tests.watchlist.delivery.receivers import Mailbox, WebhookReceiver, start_smtp
from watchlist.settings import Settings


@pytest.fixture
def make_alert(session: Session) -> Callable[..., int]:
    """Factory: an alert raised and enqueued in one committed transaction, as the alerts feature does."""

    def make(severity: str = "high", source_kind: str | None = "pow", region: str | None = None) -> int:
        return alert_with_outbox(session, severity, source_kind, region)

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
