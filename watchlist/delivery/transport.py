"""Sending one claimed message: a signed webhook POST (requests) or an e-mail (smtplib).

Neither carries personal data: a webhook says which alert was raised and where the audited API shows it;
an e-mail says the same to an officer, with a link to the alert page.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import requests

from watchlist.db import utcnow
from watchlist.delivery.outbox import Claimed, Outcome
from watchlist.delivery.signing import headers
from watchlist.settings import Settings


def webhook_body(claimed: Claimed, settings: Settings) -> bytes:
    """The JSON body of a webhook, the same bytes on every attempt (Standard Webhooks' shape)."""
    base = settings.delivery_public_url.rstrip("/")
    payload: dict[str, Any] = claimed.payload
    document = {
        "type": payload["type"],
        "timestamp": claimed.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "alert_id": claimed.alert_id,
            "severity": payload["severity"],
            "source_kind": payload.get("source_kind"),
            "link": f"{base}/api/v1/alerts/{claimed.alert_id}",
        },
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def send_webhook(claimed: Claimed, settings: Settings, session: requests.Session) -> Outcome:
    """POST the signed payload; 2xx is delivered, 410 is gone, anything else (or no answer) failed."""
    assert claimed.url is not None and claimed.secret is not None
    body = webhook_body(claimed, settings)
    signed = headers(claimed.secret, claimed.message_id, int(time.time()), body)
    started = time.perf_counter()
    try:
        response = session.post(
            claimed.url,
            data=body,
            headers=signed,
            timeout=(settings.delivery_connect_timeout_seconds, settings.delivery_read_timeout_seconds),
            allow_redirects=False,
        )
        response.close()
    except requests.RequestException as error:
        # the exception's class only: its text may repeat the URL's query string
        return Outcome("failed", error=type(error).__name__, duration_ms=_ms(started))
    code = response.status_code
    if 200 <= code < 300:
        return Outcome("delivered", code, duration_ms=_ms(started))
    if code == 410:
        return Outcome("gone", code, "410 Gone", _ms(started))
    return Outcome("failed", code, f"HTTP {code}", _ms(started))


def alert_email(claimed: Claimed, settings: Settings) -> EmailMessage:
    """A short bilingual message: the alert's number and severity, and the link to it; nothing more."""
    assert claimed.email is not None
    severity = claimed.payload["severity"]
    link = f"{settings.delivery_public_url.rstrip('/')}/alerts/{claimed.alert_id}"
    message = EmailMessage()
    message["Subject"] = f"Watchlist: тривога / alert #{claimed.alert_id} ({severity})"
    message["From"] = settings.smtp_from_address
    message["To"] = claimed.email
    message["Date"] = format_datetime(utcnow())
    # the outbox id, so a repeat after a crash is recognisably the same message
    message["Message-ID"] = make_msgid(idstring=claimed.message_id, domain="watchlist")
    message["X-Watchlist-Delivery-Id"] = claimed.message_id
    message.set_content(
        f"Нова тривога №{claimed.alert_id}, рівень: {severity}.\n"
        f"Відкрийте її: {link}\n\n"
        f"New alert #{claimed.alert_id}, severity: {severity}.\n"
        f"Open it: {link}\n"
    )
    return message


def send_email(claimed: Claimed, settings: Settings) -> Outcome:
    """Hand the message to the configured SMTP server (STARTTLS and login when configured)."""
    started = time.perf_counter()
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(alert_email(claimed, settings))
    except (smtplib.SMTPException, OSError) as error:
        code = getattr(error, "smtp_code", None)
        return Outcome("failed", code if isinstance(code, int) else None, type(error).__name__, _ms(started))
    return Outcome("delivered", duration_ms=_ms(started))


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
