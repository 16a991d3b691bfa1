"""Webhook endpoints, managed by admins: where thin signed alert payloads are sent."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from watchlist.db import utcnow
from watchlist.delivery.rules import check_severity, check_source_kind, check_url, raise_if
from watchlist.delivery.signing import secret_key
from watchlist.exc import FieldError, NotFound
from watchlist.models import MessageStatus, OutboxMessage, Severity, WebhookEndpoint


def add_endpoint(
    session: Session,
    url: str,
    secret: str,
    *,
    source_kind: str | None = None,
    min_severity: str | Severity | None = None,
) -> WebhookEndpoint:
    """Add an endpoint that receives the alerts of a source kind (None: any) of at least a severity."""
    errors: list[FieldError] = []
    endpoint = WebhookEndpoint(
        url=check_url(url, errors),
        secret=secret.strip(),
        source_kind=check_source_kind(source_kind, errors),
        min_severity=check_severity(min_severity, errors),
        is_active=True,
    )
    try:
        secret_key(secret)
    except ValueError as error:
        errors.append(FieldError("secret", str(error)))
    raise_if(errors, "invalid webhook endpoint")
    session.add(endpoint)
    session.flush()
    return endpoint


def list_endpoints(session: Session) -> Sequence[WebhookEndpoint]:
    return session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()


def disable_endpoint(session: Session, endpoint_id: int, reason: str) -> WebhookEndpoint:
    """Stop calling an endpoint: it gets no new messages, and the ones waiting for it are cancelled."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    if endpoint.is_active:
        endpoint.is_active = False
        endpoint.disabled_at = utcnow()
        endpoint.disabled_reason = reason[:200]
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.endpoint_id == endpoint_id, OutboxMessage.status == MessageStatus.PENDING)
        .values(status=MessageStatus.CANCELLED, last_error=f"endpoint disabled: {reason}"[:500])
    )
    session.flush()
    return endpoint
