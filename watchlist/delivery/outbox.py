"""The outbox: one row per (alert, recipient), written in the alert's transaction, claimed and sent by the
delivery worker, retried with exponential backoff and jitter until the retry window closes, then a dead
letter an operator may send again.

A claim is a lease: it moves the row's `next_attempt_at` past the send and commits before anything is sent,
so a worker that dies mid-send leaves the row to be claimed again once the lease runs out. Delivery is at
least once, and every attempt of a row carries its one `message_id`.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from watchlist.audit import record_event
from watchlist.db import utcnow
from watchlist.delivery.endpoints import disable_endpoint
from watchlist.delivery.rules import asks_for
from watchlist.exc import FieldError, NotFound, ValidationFailed
from watchlist.models import (
    Channel,
    DeliveryAttempt,
    MessageStatus,
    OutboxMessage,
    Role,
    Severity,
    Subscription,
    User,
    WebhookEndpoint,
)
from watchlist.settings import Settings

EVENT_TYPE = "alert.raised"
AUDIT_ACTOR = "job:delivery"


def enqueue_alert(
    session: Session, alert_id: int, *, severity: str, source_kind: str | None, region: str | None
) -> int:
    """Write one outbox row per subscriber e-mail address and per webhook endpoint that asks for this
    alert, in the caller's transaction; returns how many were written."""
    try:
        level = Severity(severity)
    except ValueError as error:
        raise ValidationFailed(
            "invalid severity", [FieldError("severity", f"must be one of {', '.join(Severity)}")]
        ) from error
    payload = {"type": EVENT_TYPE, "alert_id": alert_id, "severity": level.value, "source_kind": source_kind}
    now = utcnow()

    def row(channel: Channel, **recipient: Any) -> OutboxMessage:
        return OutboxMessage(
            message_id="msg_" + uuid.uuid4().hex,
            alert_id=alert_id,
            channel=channel,
            payload=payload,
            status=MessageStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            window_started_at=now,
            **recipient,
        )

    rows: list[OutboxMessage] = []
    subscribers = session.scalars(
        select(User)
        .join(Subscription, Subscription.user_id == User.id)
        .where(
            Subscription.by_email.is_(True),
            User.is_active.is_(True),
            User.role == Role.OFFICER,
            User.email.is_not(None),
            asks_for(
                Subscription.source_kind,
                Subscription.min_severity,
                Subscription.region,
                alert_kind=source_kind,
                alert_severity=level,
                alert_region=region,
            ),
        )
        .order_by(User.id, Subscription.id)
    ).all()
    emailed: set[str] = set()
    for user in subscribers:
        address = user.email or ""
        if address.casefold() not in emailed:
            emailed.add(address.casefold())
            rows.append(row(Channel.EMAIL, user_id=user.id, email=address))
    endpoints = session.scalars(
        select(WebhookEndpoint)
        .where(
            WebhookEndpoint.is_active.is_(True),
            asks_for(
                WebhookEndpoint.source_kind,
                WebhookEndpoint.min_severity,
                None,
                alert_kind=source_kind,
                alert_severity=level,
                alert_region=None,
            ),
        )
        .order_by(WebhookEndpoint.id)
    )
    for endpoint in endpoints:
        rows.append(row(Channel.WEBHOOK, endpoint_id=endpoint.id))
    session.add_all(rows)
    session.flush()
    return len(rows)


@dataclass(frozen=True)
class Claimed:
    """What a worker needs to send one claimed message, read before the claim's transaction ends."""

    id: int
    message_id: str
    alert_id: int
    channel: Channel
    payload: dict[str, Any]
    created_at: datetime
    email: str | None
    url: str | None
    secret: str | None


def claim_due(
    session: Session, worker: str, *, lease: timedelta, limit: int = 20, now: datetime | None = None
) -> list[Claimed]:
    """Claim up to `limit` messages whose time has come, for `lease`; the caller commits the claim before
    sending. On PostgreSQL concurrent workers skip each other's rows (FOR UPDATE SKIP LOCKED); on SQLite
    the claim's write transaction serialises them."""
    now = now or utcnow()
    query = (
        select(OutboxMessage)
        .outerjoin(WebhookEndpoint, OutboxMessage.endpoint_id == WebhookEndpoint.id)
        .where(
            OutboxMessage.status == MessageStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.endpoint_id.is_(None), WebhookEndpoint.is_active.is_(True)),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .options(joinedload(OutboxMessage.endpoint), joinedload(OutboxMessage.user))
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboxMessage)
    claimed: list[Claimed] = []
    for message in session.scalars(query).unique():
        if message.channel is Channel.EMAIL and (message.user is None or not message.user.is_active):
            # a disabled (or deleted) officer is told nothing more
            message.status = MessageStatus.CANCELLED
            message.last_error = "the recipient's account is disabled"
            continue
        message.next_attempt_at = now + lease
        message.claimed_by = worker[:200]
        message.attempts += 1
        endpoint = message.endpoint
        claimed.append(
            Claimed(
                id=message.id,
                message_id=message.message_id,
                alert_id=message.alert_id,
                channel=message.channel,
                payload=dict(message.payload),
                created_at=message.created_at,
                email=message.email,
                url=endpoint.url if endpoint else None,
                secret=endpoint.secret if endpoint else None,
            )
        )
    session.flush()
    return claimed


@dataclass(frozen=True)
class Outcome:
    """How one attempt went: `delivered`, `failed` (try again later) or `gone` (410: never again)."""

    outcome: str
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0


def backoff(settings: Settings, attempts: int, rng: random.Random) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base·2^(n-1), capped, the upper half jittered so
    messages that failed together (a receiver down) do not all come back at once."""
    delay = min(
        settings.delivery_backoff_max_seconds,
        settings.delivery_backoff_base_seconds * 2 ** min(max(attempts - 1, 0), 40),
    )
    return timedelta(seconds=delay / 2 + rng.uniform(0, delay / 2))


def record_attempt(
    session: Session,
    claimed: Claimed,
    outcome: Outcome,
    settings: Settings,
    *,
    rng: random.Random,
    now: datetime | None = None,
) -> OutboxMessage:
    """Record an attempt at a claimed message: delivered (and audited as a disclosure), gone (its endpoint
    is disabled), or failed: retried after a backoff, or a dead letter once the retry window has closed."""
    now = now or utcnow()
    message = session.get(OutboxMessage, claimed.id, with_for_update=True)
    if message is None:
        raise NotFound(f"no outbox message {claimed.id}")
    session.add(
        DeliveryAttempt(
            outbox_id=message.id,
            attempted_at=now,
            outcome=outcome.outcome,
            status_code=outcome.status_code,
            error=outcome.error[:500] if outcome.error else None,
            duration_ms=outcome.duration_ms,
        )
    )
    if outcome.outcome == "delivered":
        # the receiver has it even when another worker's resend was recorded first: audit every disclosure
        record_event(
            session,
            "alert_emailed" if message.channel is Channel.EMAIL else "alert_webhook_delivered",
            actor=AUDIT_ACTOR,
            via="job",
            subject={"alert_id": message.alert_id, "message_id": message.message_id},
            outcome={"recipient": claimed.email or claimed.url, "status_code": outcome.status_code},
        )
        if message.status is MessageStatus.PENDING:
            message.status = MessageStatus.DELIVERED
            message.delivered_at = now
            message.last_error = None
    elif outcome.outcome == "gone" and message.endpoint_id is not None:
        message.last_error = "410 Gone"
        disable_endpoint(session, message.endpoint_id, "the receiver answered 410 Gone")
    elif message.status is MessageStatus.PENDING:
        message.last_error = (outcome.error or f"HTTP {outcome.status_code}")[:500]
        closes_at = message.window_started_at + timedelta(hours=settings.delivery_retry_hours)
        if now >= closes_at:
            message.status = MessageStatus.DEAD
            message.dead_at = now
        else:
            # one last attempt when the window closes, so a message is retried for the whole window
            message.next_attempt_at = min(now + backoff(settings, message.attempts, rng), closes_at)
    session.flush()
    return message


def dead_letters(session: Session, limit: int = 200) -> Sequence[OutboxMessage]:
    """The messages given up on, newest first, with their endpoints."""
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.DEAD)
        .options(joinedload(OutboxMessage.endpoint))
        .order_by(OutboxMessage.dead_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()


def retry_dead(session: Session, outbox_ids: Sequence[int] | None = None) -> int:
    """Send dead letters again (the given ones, or all with None) with a fresh retry window; the message
    id stays the same, so a receiver that had it after all can tell. Returns how many were revived."""
    query = select(OutboxMessage).where(OutboxMessage.status == MessageStatus.DEAD)
    if outbox_ids is not None:
        query = query.where(OutboxMessage.id.in_(list(outbox_ids)))
        found = {message.id for message in session.scalars(query)}
        missing = sorted(set(outbox_ids) - found)
        if missing:
            raise NotFound(f"no dead letter {', '.join(map(str, missing))}")
    now = utcnow()
    revived = 0
    for message in session.scalars(query):
        message.status = MessageStatus.PENDING
        message.next_attempt_at = now
        message.window_started_at = now
        message.dead_at = None
        revived += 1
    session.flush()
    return revived


def counts_by_status(session: Session) -> dict[str, int]:
    """How many outbox messages are in each state."""
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return {status.value: count for status, count in rows}
