"""Alert delivery: officers' subscriptions, webhook endpoints, the outbox the delivery worker sends from."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchlist.db import Base, UTCDateTime, str_enum, utcnow
from watchlist.models.alerts import Severity
from watchlist.models.users import User


class Channel(enum.StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class MessageStatus(enum.StrEnum):
    # waiting for its next attempt (or being sent: a claim moves next_attempt_at past the send)
    PENDING = "pending"
    DELIVERED = "delivered"
    # the retry window passed without a delivery; an operator may send it again
    DEAD = "dead"
    # its endpoint was disabled (by an admin, or a receiver answering 410 Gone)
    CANCELLED = "cancelled"


_severity_enum = str_enum(Severity, "severity")


class Subscription(Base):
    """An officer asks for the alerts of a source kind (or any), at least a severity, of a region (or any)."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # pow | border | extradition | screening; None for any
    source_kind: Mapped[str | None] = mapped_column(String(16))
    min_severity: Mapped[Severity] = mapped_column(_severity_enum)
    # None for any region
    region: Mapped[str | None] = mapped_column(String(64))
    # besides the inbox (always), by e-mail to the user's address
    by_email: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class WebhookEndpoint(Base):
    """A receiving system, managed by admins; it is sent a thin signed payload per alert it asks for."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    # `whsec_` + base64 of the HMAC key (Standard Webhooks); the signer needs it, so it is stored
    secret: Mapped[str] = mapped_column(String(200))
    source_kind: Mapped[str | None] = mapped_column(String(16))
    min_severity: Mapped[Severity] = mapped_column(_severity_enum)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMessage(Base):
    """One alert to one recipient (an e-mail address or a webhook endpoint), written in the alert's
    transaction and sent at least once by the delivery worker; `message_id` is the same on every attempt."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # the stable delivery id (`webhook-id`, the e-mail's Message-ID) a receiver de-duplicates by
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "delivery_channel"))
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(320))
    # the thin payload: alert id, type, severity, link; never personal data
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[MessageStatus] = mapped_column(str_enum(MessageStatus, "outbox_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the retry window runs from here: when it was written, or when an operator sent a dead letter again
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # the worker that claimed it last (a claim lasts until next_attempt_at)
    claimed_by: Mapped[str | None] = mapped_column(String(200))

    endpoint: Mapped[WebhookEndpoint | None] = relationship()
    user: Mapped[User | None] = relationship()


class DeliveryAttempt(Base):
    """One try at sending an outbox message, kept for operators."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # delivered | failed | gone
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
