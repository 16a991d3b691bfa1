"""GET /api/v1/runs: the run history (imports, fetches, matching and retro runs), newest first.

Admins run the system; officers triage the alerts and need to see whether last night's fetch and
matching ran, so both may read it. A run's counts and error carry no personal data (counts, and error
texts naming files, hosts and fields).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request

from watchlist.access import allow
from watchlist.api import api
from watchlist.db import get_session
from watchlist.exc import FieldError, ValidationFailed
from watchlist.incoming import recent_runs, run_to_dict
from watchlist.models import Role, RunKind

RUN_READERS = (Role.ADMIN, Role.OFFICER)
MAX_LIMIT = 200


@api.get("/runs")
@allow(*RUN_READERS)
def runs_list() -> dict[str, Any]:
    """The newest runs: `?source=`, `?kind=` (import, fetch, match, retro), `?since=` (ISO time),
    `?limit=` (1-200, default 50)."""
    errors: list[FieldError] = []
    limit = 50
    raw_limit = request.args.get("limit")
    if raw_limit:
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            errors.append(FieldError("limit", f"must be a whole number from 1 to {MAX_LIMIT}"))
        else:
            limit = int(raw_limit)
    kind = request.args.get("kind") or None
    if kind is not None and kind not in {member.value for member in RunKind}:
        errors.append(FieldError("kind", f"must be one of {', '.join(member.value for member in RunKind)}"))
    since: datetime | None = None
    raw_since = request.args.get("since")
    if raw_since:
        try:
            since = datetime.fromisoformat(raw_since)
        except ValueError:
            errors.append(FieldError("since", "must be an ISO 8601 date or time"))
        else:
            if since.tzinfo is None:
                errors.append(FieldError("since", "must carry a time zone (UTC: ...Z or +00:00)"))
    if errors:
        raise ValidationFailed("invalid query", errors)
    runs = recent_runs(
        get_session(), request.args.get("source") or None, limit, since, RunKind(kind) if kind else None
    )
    return {"runs": [run_to_dict(run) for run in runs]}


def openapi_paths(error: Any, common_errors: dict[str, Any]) -> dict[str, Any]:
    """This module's part of the OpenAPI document (`watchlist.api.openapi` merges it in)."""
    nullable_text = {"type": ["string", "null"]}
    run = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": [member.value for member in RunKind]},
            "source": nullable_text,
            "status": {"type": "string"},
            "started_at": {"type": "string", "format": "date-time"},
            "finished_at": {"type": ["string", "null"], "format": "date-time"},
            "duration_seconds": {"type": ["number", "null"]},
            "counts": {"type": "object"},
            "delivery_id": {"type": ["integer", "null"]},
            "error": nullable_text,
        },
        "required": ["id", "kind", "source", "status", "started_at", "finished_at", "counts"],
    }
    return {
        "/api/v1/runs": {
            "get": {
                "tags": ["runs"],
                "summary": "The run history, newest first",
                "description": "Roles: " + ", ".join(role.value for role in RUN_READERS) + ".",
                "parameters": [
                    {"name": "source", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "kind",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["", *(member.value for member in RunKind)]},
                    },
                    {
                        "name": "since",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "ISO 8601 time with a zone",
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The runs.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"runs": {"type": "array", "items": run}},
                                    "required": ["runs"],
                                }
                            }
                        },
                    },
                    "422": error("A bad query parameter."),
                    **common_errors,
                },
            }
        }
    }
