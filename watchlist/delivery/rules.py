"""What a subscription or an endpoint may ask for, checked once for the CLI, the pages and the operations,
and which alerts it asks for (`asks_for`), the one rule for e-mails, webhooks and an officer's inbox."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, SQLColumnExpression, String, and_, case, func, literal, or_

from watchlist.db import casefold
from watchlist.exc import FieldError, ValidationFailed
from watchlist.models import Severity

# the kinds of incoming lists (jobs.sources.config.Kind) and an official's own screening
SOURCE_KINDS = ("pow", "border", "extradition", "screening")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_source_kind(value: str | None, errors: list[FieldError]) -> str | None:
    """None (any kind) or one of SOURCE_KINDS; a problem is added to `errors`."""
    value = (value or "").strip().lower() or None
    if value in (None, "any"):
        return None
    if value not in SOURCE_KINDS:
        errors.append(FieldError("source_kind", f"must be one of {', '.join(SOURCE_KINDS)} or any"))
    return value


def check_severity(value: str | Severity | None, errors: list[FieldError]) -> Severity:
    try:
        return Severity((value or "low").strip().lower() if isinstance(value, str) else value or "low")
    except ValueError:
        errors.append(FieldError("min_severity", f"must be one of {', '.join(Severity)}"))
        return Severity.LOW


def check_region(value: str | None, errors: list[FieldError]) -> str | None:
    value = (value or "").strip() or None
    if value is not None and value.lower() == "any":
        return None
    if value is not None and len(value) > 64:
        errors.append(FieldError("region", "must be at most 64 characters"))
    return value


def check_email(value: str | None) -> str | None:
    """A normalised e-mail address, None when empty; ValidationFailed when it is not one."""
    value = (value or "").strip() or None
    if value is not None and (len(value) > 320 or not _EMAIL.match(value)):
        raise ValidationFailed("invalid e-mail address", [FieldError("email", "is not an e-mail address")])
    return value


def check_url(value: str, errors: list[FieldError]) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname or len(value) > 2000:
        errors.append(FieldError("url", "must be an http(s) URL"))
    return value.strip()


def raise_if(errors: list[FieldError], message: str) -> None:
    if errors:
        raise ValidationFailed(message, errors)


def severity_rank(severity: Severity | SQLColumnExpression[Any]) -> ColumnElement[int]:
    """A severity (or a severity column) as SQL comparable by urgency: higher for the more severe."""
    if isinstance(severity, Severity):
        return literal(severity.rank)
    return case({member.value: member.rank for member in Severity}, value=severity, else_=-1)


def _sql(value: str | SQLColumnExpression[str | None] | None) -> SQLColumnExpression[str | None]:
    return literal(value, String()) if value is None or isinstance(value, str) else value


def asks_for(
    kind: str | SQLColumnExpression[str | None] | None,
    min_severity: Severity | SQLColumnExpression[Any],
    region: str | SQLColumnExpression[str | None] | None,
    *,
    alert_kind: str | SQLColumnExpression[str | None] | None,
    alert_severity: Severity | SQLColumnExpression[Any],
    alert_region: str | SQLColumnExpression[str | None] | None,
) -> ColumnElement[bool]:
    """Whether a subscription or a webhook endpoint asks for an alert of a source kind, severity and
    region, as a SQL condition. A kind or region of None on the subscription's side means any (a webhook
    endpoint has no region: None); regions compare ignoring case.

    Either side is values or columns: the subscriptions' columns against an alert being raised (whom to
    e-mail, which endpoints to call), or one officer's subscription against the alerts' columns (what is
    in his inbox, `watchlist.alerts.visible_to`). Written once, the rule that e-mails an officer an alert
    is the rule that puts it in his inbox.
    """
    conditions = [severity_rank(alert_severity) >= severity_rank(min_severity)]
    if isinstance(kind, str):
        conditions.append(_sql(alert_kind) == kind)
    elif kind is not None:
        conditions.append(or_(kind.is_(None), kind == _sql(alert_kind)))
    folded_region = casefold(func.coalesce(_sql(alert_region), ""))
    if isinstance(region, str):
        conditions.append(folded_region == casefold(literal(region, String())))
    elif region is not None:
        conditions.append(or_(region.is_(None), folded_region == casefold(region)))
    return and_(*conditions)
