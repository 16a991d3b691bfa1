"""The delivery worker: claim due outbox messages, send each, record how it went; repeat."""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import requests
from sqlalchemy.orm import Session, sessionmaker

from watchlist.db import session_scope, utcnow
from watchlist.delivery.outbox import Claimed, Outcome, claim_due, record_attempt
from watchlist.delivery.transport import send_email, send_webhook
from watchlist.models import Channel
from watchlist.settings import Settings

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class DeliveryWorker:
    """Sends what the outbox holds. Several may run (PostgreSQL); each claim is a short transaction of its
    own and nothing is sent while a transaction is open."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        name: str | None = None,
        *,
        batch: int = 20,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.name = name or worker_name()
        self.batch = batch
        self.clock = clock
        self.rng = rng or random.Random()
        self.echo = echo
        self.http = requests.Session()

    def send(self, claimed: Claimed) -> Outcome:
        if claimed.channel is Channel.WEBHOOK:
            return send_webhook(claimed, self.settings, self.http)
        return send_email(claimed, self.settings)

    def run_once(self) -> int:
        """Claim one batch of due messages, send them, record each; returns how many were attempted."""
        lease = timedelta(seconds=self.settings.delivery_claim_seconds)
        with session_scope(self.factory) as session:
            claimed = claim_due(session, self.name, lease=lease, limit=self.batch, now=self.clock())
        for message in claimed:
            outcome = self.send(message)
            with session_scope(self.factory) as session:
                record_attempt(session, message, outcome, self.settings, rng=self.rng, now=self.clock())
            # ids and outcomes only: no recipient addresses in the application log
            log.info("message %s (alert %s): %s", message.id, message.alert_id, outcome.outcome)
            if self.echo:
                self.echo(
                    f"{message.message_id} alert {message.alert_id} {message.channel}: {outcome.outcome}"
                )
        return len(claimed)

    def run(
        self,
        *,
        poll_seconds: float = 1.0,
        should_stop: Callable[[], bool] = lambda: False,
        exit_when_idle: bool = False,
    ) -> int:
        """Send until stopped (or, with `exit_when_idle`, until nothing is due); returns how many attempts."""
        total = 0
        try:
            while not should_stop():
                done = self.run_once()
                total += done
                if done:
                    continue
                if exit_when_idle:
                    break
                time.sleep(poll_seconds)
        finally:
            self.http.close()
        return total
