"""Persons API: list, get, create, update, close."""

from __future__ import annotations

from typing import Any

from flask import request

from watchlist.access import allow, current_principal
from watchlist.api import api
from watchlist.audit import audit
from watchlist.db import get_session
from watchlist.exc import BadRequest, FieldError, NotAuthenticated, ValidationFailed
from watchlist.models import PersonStatus, Role
from watchlist.persons import (
    add_person,
    close_person,
    get_person,
    list_persons,
    person_input,
    person_to_dict,
    require_person,
    update_person,
)

READERS = (Role.EDITOR, Role.OFFICER, Role.AUDITOR, Role.ADMIN)
WRITERS = (Role.EDITOR, Role.ADMIN)


def _actor() -> str:
    principal = current_principal()
    if principal is None:  # the access policy lets no anonymous caller reach these views
        raise NotAuthenticated("authentication required")
    return principal.username


def _json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("the body must be JSON (Content-Type: application/json)")
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _int_arg(name: str, default: int, errors: list[FieldError]) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        errors.append(FieldError(name, "must be a whole number"))
        return default


@api.get("/persons")
@allow(*READERS)
def persons_list() -> dict[str, Any]:
    """Persons in id order: `page`, `per_page` (at most 200), `status`, `q` (a part of any name)."""
    errors: list[FieldError] = []
    page = _int_arg("page", 1, errors)
    per_page = _int_arg("per_page", 50, errors)
    status: PersonStatus | None = None
    raw_status = request.args.get("status")
    if raw_status:
        try:
            status = PersonStatus(raw_status)
        except ValueError:
            errors.append(FieldError("status", f"must be one of {', '.join(s.value for s in PersonStatus)}"))
    if errors:
        raise ValidationFailed("invalid query", errors)
    session = get_session()
    result = list_persons(session, page, per_page, status, request.args.get("q"))
    audit(
        session,
        "person_search",
        subject={"q": request.args.get("q"), "status": status.value if status else None, "page": page},
        outcome={"total": result.total, "persons_disclosed": [person.id for person in result.items]},
    )
    # the answer goes out only once the audit row of who saw it is stored
    session.commit()
    return {
        "items": [person_to_dict(person) for person in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
    }


@api.get("/persons/<int:person_id>")
@allow(*READERS)
def persons_get(person_id: int) -> dict[str, Any]:
    """One person with every name, conviction and change."""
    session = get_session()
    person = get_person(session, person_id)
    audit(
        session,
        "person_view",
        subject={"person_id": person.id, "external_id": person.external_id},
        outcome={"persons_disclosed": [person.id]},
    )
    session.commit()
    return person_to_dict(person, with_changes=True)


@api.post("/persons")
@allow(*WRITERS)
def persons_create() -> tuple[dict[str, Any], int]:
    """Add a person; the body is a person mapping (the persons file columns, or `convictions` as a list)."""
    session = get_session()
    person = add_person(session, require_person(_json_object()), _actor())
    session.commit()
    return person_to_dict(person, with_changes=True), 201


@api.patch("/persons/<int:person_id>")
@allow(*WRITERS)
def persons_update(person_id: int) -> dict[str, Any]:
    """Change the fields the body names; the others stay (`convictions` replaces the whole list)."""
    session = get_session()
    person = get_person(session, person_id)
    body = _json_object()
    merged = {**person_input(person).to_mapping(), **body}
    update_person(session, person, require_person(merged), _actor())
    session.commit()
    return person_to_dict(person, with_changes=True)


@api.post("/persons/<int:person_id>/close")
@allow(*WRITERS)
def persons_close(person_id: int) -> dict[str, Any]:
    """Close a person; the body is `{"reason": …}`."""
    session = get_session()
    person = get_person(session, person_id)
    body = _json_object()
    reason = body.get("reason")
    if not isinstance(reason, str):
        raise ValidationFailed("invalid close", [FieldError("reason", "closing a person needs a reason")])
    close_person(session, person, reason, _actor())
    session.commit()
    return person_to_dict(person, with_changes=True)
