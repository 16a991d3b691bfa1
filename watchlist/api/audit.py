"""GET /api/v1/audit (search the audit log) and /api/v1/audit/export (CSV): auditors only.

Reading the log discloses who searched whom, so each search and each export is itself an audit row.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from watchlist.access import allow
from watchlist.api import api
from watchlist.audit import (
    EVENT_CLASSES,
    MAX_PER_PAGE,
    audit_query,
    event_dict,
    export_audit_log,
    search_audit_log,
)
from watchlist.db import get_session
from watchlist.models import Role

AUDIT_READERS = (Role.AUDITOR,)


@api.get("/audit")
@allow(*AUDIT_READERS)
def audit_search() -> dict[str, Any]:
    """Audit rows, newest first: `who`, `action`, `subject` (text in the query), `from`/`to` (dates or
    ISO times), `page`, `per_page` (1-200)."""
    session = get_session()
    wanted, page, per_page = audit_query(request.args)
    found = search_audit_log(session, wanted, page, per_page)
    session.commit()
    return {
        "items": [event_dict(event) for event in found.items],
        "total": found.total,
        "page": found.page,
        "per_page": found.per_page,
    }


@api.get("/audit/export")
@allow(*AUDIT_READERS)
def audit_export() -> Response:
    """Every audit row matching the same filters, oldest first, as CSV."""
    session = get_session()
    wanted, _page, _per_page = audit_query(request.args)
    body = export_audit_log(session, wanted)
    session.commit()
    response = Response(body, content_type="text/csv; charset=utf-8")
    response.headers.set("Content-Disposition", "attachment", filename="audit.csv")
    response.headers["Cache-Control"] = "no-store"
    return response


def openapi_paths(error: Any, common_errors: dict[str, Any]) -> dict[str, Any]:
    """This module's part of the OpenAPI document (`watchlist.api.openapi` merges it in)."""
    text_param = {"type": "string", "maxLength": 200}
    parameters = [
        {"name": "who", "in": "query", "schema": text_param, "description": "the actor (username)"},
        {
            "name": "action",
            "in": "query",
            "schema": text_param,
            "description": "event kind, e.g. " + ", ".join(sorted(EVENT_CLASSES)[:6]) + " …",
        },
        {"name": "subject", "in": "query", "schema": text_param, "description": "text in what was searched"},
        {
            "name": "from",
            "in": "query",
            "schema": {"type": "string"},
            "description": "YYYY-MM-DD (UTC) or an ISO 8601 time with a zone",
        },
        {
            "name": "to",
            "in": "query",
            "schema": {"type": "string"},
            "description": "YYYY-MM-DD (to the end of that day, UTC) or an ISO 8601 time with a zone",
        },
    ]
    paging = [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000}},
        {
            "name": "per_page",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        },
    ]
    event = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "occurred_at": {"type": "string", "format": "date-time"},
            "action": {"type": "string"},
            "event_class": {"type": "string", "enum": ["consultation", "change", "access", "operation"]},
            "actor": {"type": "string"},
            "role": {"type": ["string", "null"]},
            "via": {"type": "string"},
            "remote_addr": {"type": ["string", "null"]},
            "subject": {"type": "object"},
            "outcome": {"type": "object"},
            "row_hash": {"type": "string"},
        },
        "required": ["id", "occurred_at", "action", "actor", "via", "subject", "outcome", "row_hash"],
    }
    roles = "Roles: " + ", ".join(role.value for role in AUDIT_READERS) + "."
    return {
        "/api/v1/audit": {
            "get": {
                "tags": ["audit"],
                "summary": "Search the audit log, newest first",
                "description": roles + " The search is itself written to the audit log.",
                "parameters": [*parameters, *paging],
                "responses": {
                    "200": {
                        "description": "A page of audit rows.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "items": {"type": "array", "items": event},
                                        "total": {"type": "integer"},
                                        "page": {"type": "integer"},
                                        "per_page": {"type": "integer"},
                                    },
                                    "required": ["items", "total", "page", "per_page"],
                                }
                            }
                        },
                    },
                    "422": error("A bad query parameter (named)."),
                    **common_errors,
                },
            }
        },
        "/api/v1/audit/export": {
            "get": {
                "tags": ["audit"],
                "summary": "Export the audit rows matching the filters as CSV, oldest first",
                "description": roles
                + " Cells that a spreadsheet would run as a formula start with `'`. The export is itself"
                " written to the audit log.",
                "parameters": parameters,
                "responses": {
                    "200": {
                        "description": "CSV (UTF-8 with a byte-order mark).",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    "422": error("A bad query parameter (named)."),
                    **common_errors,
                },
            }
        },
    }
