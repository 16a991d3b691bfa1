"""`watchlist deliver` killed with SIGKILL while a receiver holds its request, then started again, delivers
everything: the interrupted message is sent again with the same webhook-id (at least once), none is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from standardwebhooks.webhooks import Webhook

from tests.watchlist.delivery.factories import alert_with_outbox
from tests.watchlist.delivery.receivers import WebhookReceiver
from watchlist import migrations
from watchlist.alerts import raise_alert
from watchlist.db import make_engine, session_scope
from watchlist.delivery.endpoints import add_endpoint
from watchlist.delivery.signing import new_secret
from watchlist.incoming import receive_delivery
from watchlist.models import MessageStatus, OutboxMessage, ReceivedRecord
from watchlist.persons import add_person, require_person

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[3]


@pytest.fixture
def own_database(tmp_path: Path, database_url: str) -> Iterator[str]:
    """A database of its own (the processes commit; the tests' database rolls every test back)."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'deliver.db'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_deliver"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _deliver(
    database_url: str, log: Path, *options: str, claim_seconds: str = "1"
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WATCHLIST_DATABASE_URL": database_url,
        "WATCHLIST_SECRET_KEY": "deliver-test-secret-key-0123456789",
        "WATCHLIST_CONFIG": str(ROOT / "config" / "default.toml"),
        # a claim whose worker died is free again after a second (120 s by default)
        "WATCHLIST_DELIVERY_CLAIM_SECONDS": claim_seconds,
        "WATCHLIST_DELIVERY_READ_TIMEOUT_SECONDS": "30",
    }
    command = [
        str(Path(sys.executable).parent / "watchlist"),
        "deliver",
        "--poll-seconds",
        "0.2",
        "--batch",
        "1",
        *options,
    ]
    with log.open("ab") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)


def test_killed_mid_send_and_restarted_it_delivers_the_rest_with_the_same_ids(
    own_database: str, tmp_path: Path
) -> None:
    engine = make_engine(own_database)
    migrations.upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    receiver = WebhookReceiver(hold=threading.Event())
    receiver.start()
    secret = new_secret()
    alert_ids = []
    with session_scope(factory) as session:
        add_endpoint(session, receiver.url, secret)
        for n in range(3):
            person = add_person(
                session,
                require_person({"external_id": f"K-{n}", "full_name": f"Кабашний Олександр {n}"}),
                "t",
            )
            receive_delivery(
                session, "pow", f"p{n}.csv", f"{n}".encode(), [(2, {"record_id": f"K{n}", "full_name": "X"})]
            )
            record_id = session.scalars(select(ReceivedRecord.id).order_by(ReceivedRecord.id.desc())).first()
            assert record_id is not None
            # raising the alert queues its webhook in the same transaction
            alert, _ = raise_alert(
                session, person_id=person.id, record_id=record_id, score=0.9, decision="alert", explanation={}
            )
            queued = session.scalars(select(OutboxMessage).where(OutboxMessage.alert_id == alert.id)).all()
            assert len(queued) == 1
            alert_ids.append(alert.id)

    log = tmp_path / "deliver.log"
    first = _deliver(own_database, log)
    try:
        assert receiver.arrived.wait(60), log.read_text()
        first.send_signal(signal.SIGKILL)
        assert first.wait(30) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
    # the receiver finishes handling the request the sender no longer waits for: it has it
    held = receiver.hold
    receiver.hold = None
    assert held is not None
    held.set()

    second = _deliver(own_database, log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with factory() as session:
                statuses = session.scalars(select(OutboxMessage.status)).all()
            if statuses and all(status is MessageStatus.DELIVERED for status in statuses):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(log.read_text())
    finally:
        second.terminate()
        second.wait(30)
        receiver.stop()
        engine.dispose()

    verifier = Webhook(secret)
    ids_by_alert: dict[int, set[str]] = {}
    arrivals: dict[int, int] = {}
    for item in receiver.received:
        alert_id = verifier.verify(item.body, item.headers)["data"]["alert_id"]
        ids_by_alert.setdefault(alert_id, set()).add(item.headers["webhook-id"])
        arrivals[alert_id] = arrivals.get(alert_id, 0) + 1
    assert sorted(ids_by_alert) == sorted(alert_ids), "none lost"
    assert all(len(ids) == 1 for ids in ids_by_alert.values()), "a repeat carries the same webhook-id"
    # the message being sent when the sender was killed arrived twice; the others once
    assert sorted(arrivals.values()) == [1, 1, 2], log.read_text()


def test_two_delivery_processes_share_the_outbox_and_send_each_message_once(
    own_database: str, tmp_path: Path
) -> None:
    engine = make_engine(own_database)
    migrations.upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    receiver = WebhookReceiver()
    receiver.start()
    secret = new_secret()
    with session_scope(factory) as session:
        add_endpoint(session, receiver.url, secret)
    with session_scope(factory) as session:
        alert_ids = [alert_with_outbox(session) for _ in range(12)]

    log = tmp_path / "deliver.log"
    workers = [_deliver(own_database, log, "--exit-when-idle", claim_seconds="120") for _ in range(2)]
    try:
        for worker in workers:
            assert worker.wait(120) == 0, log.read_text()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        receiver.stop()
    with factory() as session:
        statuses = session.scalars(select(OutboxMessage.status)).all()
    engine.dispose()
    assert statuses == [MessageStatus.DELIVERED] * 12
    verifier = Webhook(secret)
    received = sorted(
        verifier.verify(item.body, item.headers)["data"]["alert_id"] for item in receiver.received
    )
    assert received == sorted(alert_ids), "each message sent once, by one of the two"
