"""The alerts API: the inbox (`GET /alerts`, the filters of the page), one alert with both sides
(`GET /alerts/<id>`, audited like a record view), and the triage steps, each a POST that answers the alert.

Officers and admins read and act; screeners, editors and auditors do not see alerts (auditors read who saw
which alert in the audit log, not the alerts' personal data). An officer sees only the alerts assigned to
him or asked for by one of his subscriptions (`watchlist.alerts.visible_to`); any other alert answers 404,
as if it did not exist, and the refusal is audited. The rules (which step is allowed when, what a dismissal
needs) live in `watchlist.alerts`: a step that is not allowed is 409, bad input 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request

from watchlist.access import Principal, allow, current_principal, refuse_hidden
from watchlist.alerts import (
    CONFIRMED_PERSON_STATUSES,
    MAX_COMMENT_LENGTH,
    MAX_PER_PAGE,
    Reader,
    acknowledge_alert,
    alert_filters,
    alert_to_dict,
    assign_alert,
    comment_alert,
    confirm_alert,
    dismiss_alert,
    get_alert,
    list_alerts,
    mark_read,
    unread_count,
)
from watchlist.api import api
from watchlist.audit import record_event
from watchlist.db import get_session
from watchlist.exc import BadRequest, FieldError, NotAuthenticated, NotVisible, ValidationFailed
from watchlist.models import Alert, AlertStatus, DismissReason, Role, Severity

# who reads and triages alerts; which alerts each of them sees is `watchlist.alerts.visible_to`
ALERT_ROLES = (Role.OFFICER, Role.ADMIN)


def _principal() -> Principal:
    principal = current_principal()
    if principal is None:  # the access policy lets no anonymous caller reach these views
        raise NotAuthenticated("authentication required")
    return principal


def reader() -> Reader:
    """The caller as a reader of alerts."""
    principal = _principal()
    return Reader(principal.user_id, principal.role)


def visible_alert(alert_id: int) -> Alert:
    """The alert if the caller sees it; else a 404 as for no alert at all, the refusal audited."""
    try:
        return get_alert(get_session(), alert_id, reader())
    except NotVisible as error:
        refuse_hidden(error)


def _body(fields: tuple[str, ...]) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("the body must be JSON (Content-Type: application/json)")
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be an object", [FieldError("body", "must be a JSON object")])
    unknown = [FieldError(key, "is not a field of this call") for key in body if key not in fields]
    if unknown:
        raise ValidationFailed("unknown fields", unknown)
    return body


def audit_alert_view(alert: Alert, principal: Principal, remote_addr: str | None) -> None:
    """Write that the caller looked at the alert (both sides of it), and mark it read for him."""
    session = get_session()
    record_event(
        session,
        "alert_view",
        actor=principal.username,
        via=principal.via,
        role=principal.role,
        remote_addr=remote_addr,
        subject={"alert_id": alert.id},
        outcome={"persons_disclosed": [alert.person_id], "records_disclosed": [alert.record_id]},
    )
    mark_read(session, alert, principal.user_id)


@api.get("/alerts")
@allow(*ALERT_ROLES)
def alerts_list() -> dict[str, Any]:
    """The inbox, newest first: `?status=`, `?severity=`, `?source_kind=`, `?mine=true` (assigned to the
    caller), `?page=`, `?per_page=` (1-200, default 50); with the caller's unread count."""
    principal = _principal()
    session = get_session()
    filters, page, per_page = alert_filters(request.args, principal.user_id)
    found = list_alerts(session, filters, reader(), page, per_page)
    return {
        "alerts": [{**alert_to_dict(a), "unread": a.id in found.unread} for a in found.alerts],
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "unread": unread_count(session, reader()),
    }


@api.get("/alerts/<int:alert_id>")
@allow(*ALERT_ROLES)
def alerts_get(alert_id: int) -> dict[str, Any]:
    """One alert with both sides in full, the explanation, sightings and history; the view is audited."""
    session = get_session()
    alert = visible_alert(alert_id)
    audit_alert_view(alert, _principal(), request.remote_addr)
    data = alert_to_dict(alert, with_details=True)
    # the answer goes out only once the audit row of who saw it is stored
    session.commit()
    return data


def _act(alert_id: int, fields: tuple[str, ...], step: Callable[[Alert, dict[str, Any], str], Any]) -> Any:
    session = get_session()
    body = _body(fields)
    alert = visible_alert(alert_id)
    step(alert, body, _principal().username)
    session.commit()
    return alert_to_dict(alert, with_details=True)


@api.post("/alerts/<int:alert_id>/acknowledge")
@allow(*ALERT_ROLES)
def alerts_acknowledge(alert_id: int) -> dict[str, Any]:
    """Take a new alert up (new → acknowledged); the body is `{}`."""
    result: dict[str, Any] = _act(
        alert_id, (), lambda alert, body, actor: acknowledge_alert(get_session(), alert, actor)
    )
    return result


@api.post("/alerts/<int:alert_id>/assign")
@allow(*ALERT_ROLES)
def alerts_assign(alert_id: int) -> dict[str, Any]:
    """Give an open alert to an officer: `{"assignee": "<username>"}`."""
    result: dict[str, Any] = _act(
        alert_id,
        ("assignee",),
        lambda alert, body, actor: assign_alert(get_session(), alert, body.get("assignee"), actor),
    )
    return result


@api.post("/alerts/<int:alert_id>/comment")
@allow(*ALERT_ROLES)
def alerts_comment(alert_id: int) -> dict[str, Any]:
    """Add a comment to the alert's history: `{"comment": "…"}`."""
    result: dict[str, Any] = _act(
        alert_id,
        ("comment",),
        lambda alert, body, actor: comment_alert(get_session(), alert, body.get("comment"), actor),
    )
    return result


@api.post("/alerts/<int:alert_id>/confirm")
@allow(*ALERT_ROLES)
def alerts_confirm(alert_id: int) -> dict[str, Any]:
    """It is him: `{"person_status": "located" | "detained", "comment": "…"}`; the person is moved."""
    result: dict[str, Any] = _act(
        alert_id,
        ("person_status", "comment"),
        lambda alert, body, actor: confirm_alert(
            get_session(), alert, body.get("person_status"), actor, body.get("comment")
        ),
    )
    return result


@api.post("/alerts/<int:alert_id>/dismiss")
@allow(*ALERT_ROLES)
def alerts_dismiss(alert_id: int) -> dict[str, Any]:
    """It is not him: `{"reason": "different_person" | "duplicate" | "data_error", "comment": "…"}`."""
    result: dict[str, Any] = _act(
        alert_id,
        ("reason", "comment"),
        lambda alert, body, actor: dismiss_alert(
            get_session(), alert, body.get("reason"), body.get("comment"), actor
        ),
    )
    return result


def openapi_paths(error: Any, common_errors: dict[str, Any]) -> dict[str, Any]:
    """This module's part of the OpenAPI document (`watchlist.api.openapi` merges it in)."""
    text = {"type": "string"}
    nullable_text = {"type": ["string", "null"]}
    time = {"type": "string", "format": "date-time"}
    record = {
        "type": ["object", "null"],
        "properties": {
            "id": {"type": "integer"},
            "source": text,
            "record_id": nullable_text,
            "name": text,
            "birth_date": nullable_text,
            "attributes": {"type": "object"},
            "first_seen_at": time,
        },
        "required": ["id", "source", "record_id", "name", "birth_date", "attributes"],
    }
    summary_properties: dict[str, Any] = {
        "id": {"type": "integer"},
        "origin": {"type": "string", "enum": ["record", "screening"]},
        "source": text,
        "source_kind": nullable_text,
        "status": {"type": "string", "enum": [m.value for m in AlertStatus]},
        "severity": {"type": "string", "enum": [m.value for m in Severity]},
        "score": {"type": "number"},
        "decision": text,
        "dismiss_reason": {"type": ["string", "null"], "enum": [*(m.value for m in DismissReason), None]},
        "assigned_to": nullable_text,
        "person": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "external_id": text,
                "primary_name": text,
                "status": text,
            },
            "required": ["id", "external_id", "primary_name", "status"],
        },
        "record": record,
        "screened": {"type": ["object", "null"]},
        "audit_event_id": {"type": ["integer", "null"]},
        "list_screening_id": {"type": ["integer", "null"]},
        "sightings_count": {"type": "integer"},
        "raised_at": time,
        "updated_at": time,
        "last_seen_at": time,
    }
    summary = {
        "type": "object",
        "properties": {**summary_properties, "unread": {"type": "boolean"}},
        "required": [
            "id",
            "origin",
            "status",
            "severity",
            "score",
            "person",
            "record",
            "raised_at",
            "unread",
        ],
    }
    detail = {
        "type": "object",
        "properties": {
            **summary_properties,
            "explanation": {"type": "object"},
            "sightings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "seen_at": time,
                        "score": {"type": "number"},
                        "record": record,
                        "screened": {"type": ["object", "null"]},
                    },
                    "required": ["seen_at", "score", "record"],
                },
            },
            "history": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "occurred_at": time,
                        "actor": text,
                        "action": text,
                        "changes": {"type": "object"},
                        "comment": nullable_text,
                    },
                    "required": ["occurred_at", "actor", "action", "changes", "comment"],
                },
            },
        },
        "required": ["id", "origin", "status", "severity", "person", "record", "explanation", "history"],
    }
    roles = (
        "Roles: "
        + ", ".join(role.value for role in ALERT_ROLES)
        + ". An officer sees only the alerts assigned to him or asked for by one of his subscriptions;"
        " any other answers 404, as if it did not exist."
    )
    alert_id = {
        "name": "alert_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
    comment = {"type": "string", "minLength": 1, "maxLength": MAX_COMMENT_LENGTH, "pattern": r"\S"}

    def step(summary_text: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
        return {
            "post": {
                "tags": ["alerts"],
                "summary": summary_text,
                "description": roles,
                "parameters": [alert_id],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": properties,
                                "required": required,
                                "additionalProperties": False,
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The alert after the step.",
                        "content": {"application/json": {"schema": detail}},
                    },
                    "400": error("The body is not JSON."),
                    "404": error("No such alert."),
                    "409": error("The alert's status does not allow this step."),
                    "422": error("A bad or missing field, named in `details`."),
                    **common_errors,
                },
            }
        }

    return {
        "/api/v1/alerts": {
            "get": {
                "tags": ["alerts"],
                "summary": "The alerts inbox, newest first",
                "description": roles,
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["", *(m.value for m in AlertStatus)]},
                    },
                    {
                        "name": "severity",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["", *(m.value for m in Severity)]},
                    },
                    {"name": "source_kind", "in": "query", "schema": {"type": "string", "maxLength": 32}},
                    {
                        "name": "mine",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["", "true", "false", "1", "0"]},
                        "description": "only the alerts assigned to the caller",
                    },
                    {
                        "name": "page",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
                    },
                    {
                        "name": "per_page",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "One page of alerts and the caller's unread count.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "alerts": {"type": "array", "items": summary},
                                        "total": {"type": "integer"},
                                        "page": {"type": "integer"},
                                        "pages": {"type": "integer"},
                                        "unread": {"type": "integer"},
                                    },
                                    "required": ["alerts", "total", "page", "pages", "unread"],
                                }
                            }
                        },
                    },
                    "422": error("A bad query parameter, named in `details`."),
                    **common_errors,
                },
            }
        },
        "/api/v1/alerts/{alert_id}": {
            "get": {
                "tags": ["alerts"],
                "summary": "One alert: both sides, the explanation, sightings and history (audited)",
                "description": roles,
                "parameters": [alert_id],
                "responses": {
                    "200": {"description": "The alert.", "content": {"application/json": {"schema": detail}}},
                    "404": error("No such alert."),
                    **common_errors,
                },
            }
        },
        "/api/v1/alerts/{alert_id}/acknowledge": step("Take a new alert up", {}, []),
        "/api/v1/alerts/{alert_id}/assign": step(
            "Assign an open alert to an officer",
            {"assignee": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S"}},
            ["assignee"],
        ),
        "/api/v1/alerts/{alert_id}/comment": step("Comment on an alert", {"comment": comment}, ["comment"]),
        "/api/v1/alerts/{alert_id}/confirm": step(
            "Confirm an alert: the person is moved to located or detained",
            {
                "person_status": {"type": "string", "enum": [s.value for s in CONFIRMED_PERSON_STATUSES]},
                "comment": {"anyOf": [comment, {"type": "null"}]},
            },
            ["person_status"],
        ),
        "/api/v1/alerts/{alert_id}/dismiss": step(
            "Dismiss an alert with a reason and a comment",
            {"reason": {"type": "string", "enum": [r.value for r in DismissReason]}, "comment": comment},
            ["reason", "comment"],
        ),
    }
