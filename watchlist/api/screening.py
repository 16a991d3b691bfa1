"""Screening API: one person (`POST /screen`) or a list of up to 10,000 records (`POST /screen/batch`).

The views only read the body, check its shape and hand the records to `screen_records`, which screens them,
adds the person details and the instruction, and writes the one audit row that the view then commits. A
screener, who may not browse the watchlist, sees the persons a screening disclosed only here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flask import current_app, request

from watchlist.access import allow, current_principal
from watchlist.api import api
from watchlist.db import get_session
from watchlist.exc import BadRequest, FieldError, NotAuthenticated, ValidationFailed
from watchlist.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language
from watchlist.models import Role
from watchlist.screening import IncomingRecord, incoming_record, screen_records, screening_service

SCREENERS = (Role.SCREENER, Role.OFFICER, Role.EDITOR, Role.ADMIN)
# one request is one audit row and one turn of the worker's index lock; longer lists go in several requests
MAX_BATCH_RECORDS = 10_000
# the fields a query may carry; anything else is refused, so a misspelt `birthdate` is not silently ignored
QUERY_FIELDS = (
    "record_id",
    "name",
    "full_name",
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "nationality",
    "document_number",
)


def _json_body() -> Any:
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("the body must be JSON (Content-Type: application/json)")
    return body


def _checked_query(value: Any, prefix: str, errors: list[FieldError]) -> Mapping[str, Any] | None:
    """The query if its shape is right (an object of known text fields), else None with every error added."""
    if not isinstance(value, dict):
        errors.append(FieldError(prefix.rstrip(".") or "body", "must be a JSON object"))
        return None
    problems = [
        FieldError(f"{prefix}{key}", "is not a field of a screening query")
        for key in value
        if key not in QUERY_FIELDS
    ]
    problems += [
        FieldError(f"{prefix}{key}", "must be text")
        for key in QUERY_FIELDS
        if value.get(key) is not None and not isinstance(value[key], str)
    ]
    errors.extend(problems)
    return None if problems else value


def _record(query: Mapping[str, Any], prefix: str, errors: list[FieldError]) -> IncomingRecord | None:
    try:
        return incoming_record(query)
    except ValidationFailed as error:
        for detail in error.details:
            if detail.field == "full_name" and "full_name" not in query:
                # the missing name: an API client speaks of `name`, the list files of `full_name`
                errors.append(FieldError(f"{prefix}name", "is required (or surname/given_name/patronymic)"))
            else:
                errors.append(FieldError(f"{prefix}{detail.field}", detail.message))
        return None


def _language() -> str:
    principal = current_principal()
    if principal is not None and principal.via == "session":
        return current_language()
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def _screen(records: list[IncomingRecord], action: str) -> list[dict[str, Any]]:
    principal = current_principal()
    if principal is None:  # the access policy lets no anonymous caller reach these views
        raise NotAuthenticated("authentication required")
    session = get_session()
    results = screen_records(
        session,
        screening_service(current_app),
        records,
        action=action,
        actor=principal.username,
        via=principal.via,
        role=principal.role.value,
        remote_addr=request.remote_addr,
        language=_language(),
        # the answer goes out only once the audit row of who saw it is stored
        commit=True,
    )
    return results


@api.post("/screen")
@allow(*SCREENERS)
def screen_one() -> dict[str, Any]:
    """Screen one person: `name` (or `surname`/`given_name`/`patronymic`) and optionally `birth_date`,
    `nationality`, `document_number`, `record_id`; the answer is one screening result."""
    errors: list[FieldError] = []
    query = _checked_query(_json_body(), "", errors)
    record = _record(query, "", errors) if query is not None else None
    if record is None:
        raise ValidationFailed("the query cannot be screened", errors)
    [result] = _screen([record], "screen")
    return result


@api.post("/screen/batch")
@allow(*SCREENERS)
def screen_batch() -> dict[str, Any]:
    """Screen a list `{"records": [...]}` of up to 10,000 queries; one result per record, in input order.

    One bad record refuses the whole list, naming `records[i].field` for every bad one, so that a list is
    never half screened; a record without `record_id` gets its position in the list.
    """
    body = _json_body()
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be an object", [FieldError("body", "must be a JSON object")])
    unknown = [FieldError(key, "is not a field of a batch") for key in body if key != "records"]
    rows = body.get("records")
    if not isinstance(rows, list):
        raise ValidationFailed("no records", [*unknown, FieldError("records", "must be a list of queries")])
    if not rows or len(rows) > MAX_BATCH_RECORDS:
        raise ValidationFailed(
            f"a batch holds 1 to {MAX_BATCH_RECORDS:,} records; split longer lists",
            [*unknown, FieldError("records", f"has {len(rows)} records, allowed 1 to {MAX_BATCH_RECORDS}")],
        )
    errors = list(unknown)
    records: list[IncomingRecord] = []
    for position, row in enumerate(rows):
        prefix = f"records[{position}]."
        query = _checked_query(row, prefix, errors)
        record = _record(query, prefix, errors) if query is not None else None
        if record is not None:
            records.append(record if record.record_id else replace(record, record_id=str(position)))
    if errors:
        raise ValidationFailed("records that cannot be screened (nothing was screened)", errors)
    return {"results": _screen(records, "screen_batch")}
