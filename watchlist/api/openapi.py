"""The OpenAPI 3.1 document of the API (`/api/v1/openapi.json`) and its page for people (`/api/v1/docs`).

The document is built in code rather than kept as a file, so the limits it states (batch size, name lengths,
the roles of each call) are the constants the views enforce. The tests run schemathesis against the app with
it, so a view that answers differently from what is written here fails the build. Both routes are public: the
document describes calls, never data, and a client needs it before it holds a token.
"""

from __future__ import annotations

from typing import Any

from flask import render_template

from watchlist.access import public
from watchlist.api import RETRY_AFTER_SECONDS, alerts, api, audit, runs
from watchlist.api.persons import READERS, WRITERS
from watchlist.api.screening import MAX_BATCH_RECORDS, SCREENERS
from watchlist.models import PersonStatus, Role
from watchlist.persons import MAX_CONVICTIONS, MAX_ID, MAX_LENGTHS, MAX_NAMES, MAX_PER_PAGE
from watchlist.screening import MAX_FIELD_LENGTH, MAX_NAME_LENGTH

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> Schema:
    return _json(_ref("Error"), description)


def _roles(roles: tuple[Role, ...]) -> str:
    return "Roles: " + ", ".join(role.value for role in roles) + "."


UNAVAILABLE = {
    **_error(
        "The watchlist cannot be read or the match index cannot be loaded right now: no answer, never "
        "'no match'. Retry after the seconds in `Retry-After`."
    ),
    "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "required": True}},
}
UNAUTHENTICATED = {
    **_error("No token, or a token that is unknown, expired or revoked."),
    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}},
}
COMMON_ERRORS = {
    "401": UNAUTHENTICATED,
    "403": _error("The token's role may not make this call."),
    "429": _error("Too many requests from this user or address; wait `Retry-After` seconds."),
    "503": UNAVAILABLE,
}

# --- schemas ------------------------------------------------------------------------------------------------

_text = {"type": "string"}


def _text_max(limit: int) -> Schema:
    return {"type": "string", "maxLength": limit}


_name_part = {**_text_max(MAX_NAME_LENGTH), "pattern": r"\S"}

SCREENING_QUERY: Schema = {
    "type": "object",
    "description": (
        "One person to screen. The name is `name` (or `full_name`), else `surname`, `given_name` and "
        "`patronymic` joined; any script, any order, initials allowed; an empty or blank field counts as "
        "absent. The birth date is raw text in any "
        "common format (1975-03-12, 12.03.1975, 1975)."
    ),
    "properties": {
        "record_id": {**_nullable(_text_max(MAX_FIELD_LENGTH)), "description": "the caller's id, echoed"},
        # a name field that is empty or blank counts as absent; at least one must hold a name (anyOf)
        "name": _nullable(_text_max(MAX_NAME_LENGTH)),
        "full_name": _nullable(_text_max(MAX_NAME_LENGTH)),
        "surname": _nullable(_text_max(MAX_NAME_LENGTH)),
        "given_name": _nullable(_text_max(MAX_NAME_LENGTH)),
        "patronymic": _nullable(_text_max(MAX_NAME_LENGTH)),
        "birth_date": _nullable(_text_max(MAX_FIELD_LENGTH)),
        "nationality": _nullable(_text_max(MAX_FIELD_LENGTH)),
        "document_number": _nullable(_text_max(MAX_FIELD_LENGTH)),
    },
    "additionalProperties": False,
    "anyOf": [
        {"required": [field], "properties": {field: _name_part}}
        for field in ("name", "full_name", "surname", "given_name", "patronymic")
    ],
    "example": {"name": "Gnilitskiy Oleg Petrovich", "birth_date": "12.03.1975"},
}

CONVICTION: Schema = {
    "type": "object",
    "properties": {
        "court": _nullable(_text),
        "case_number": _nullable(_text),
        "article": _nullable(_text),
        "sentence": _nullable(_text),
        "verdict_date": _nullable({"type": "string", "format": "date"}),
        "in_absentia": {"type": "boolean"},
        "appeal_status": _nullable(_text),
    },
    "required": ["court", "case_number", "article", "sentence", "verdict_date", "in_absentia"],
}

NAME: Schema = {
    "type": "object",
    "properties": {
        "name": _text,
        "kind": {"type": "string", "description": "primary, alias or document"},
        "script": _nullable({"type": "string", "description": "ISO 15924 code of the name's script"}),
    },
    "required": ["name", "kind", "script"],
}

MATCHED_PERSON: Schema = {
    "type": "object",
    "description": "What the official sees of a candidate: status, every name, birth date, convictions.",
    "properties": {
        "external_id": _text,
        "status": {"type": "string", "enum": [s.value for s in PersonStatus]},
        "primary_name": _text,
        "names": {"type": "array", "items": _ref("Name")},
        "birth_date": _nullable({"type": "string", "description": "YYYY-MM-DD, YYYY-MM or YYYY"}),
        "convictions": {"type": "array", "items": _ref("Conviction")},
    },
    "required": ["external_id", "status", "primary_name", "names", "birth_date", "convictions"],
}

MATCH: Schema = {
    "type": "object",
    "properties": {
        "person_id": {"type": "integer"},
        "external_id": _nullable(_text),
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "decision": {"type": "string", "enum": ["alert", "review"]},
        "explanation": {
            "type": "object",
            "description": (
                "Why it matched: the person's name form that matched (`matched_name`), the query's and the "
                "candidate's canonical Latin forms, per-part similarities (`parts`), the birth-date verdict "
                "and the score it added up to (`breakdown`)."
            ),
            "properties": {
                "matched_name": _text,
                "query_name": _text,
                "parts": {"type": "array", "items": {"type": "object"}},
                "breakdown": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["matched_name"],
        },
        "person": _ref("MatchedPerson"),
    },
    "required": ["person_id", "external_id", "score", "decision", "explanation", "person"],
}

SCREENING_RESULT: Schema = {
    "type": "object",
    "description": (
        "The answer for one record: `hit` when a candidate reaches the alert threshold, `possible_hit` when "
        "one reaches review, `no_hit` (empty `matches`) otherwise. Candidates best first. `instruction` is "
        "what the official is to do (in the language of `Accept-Language`, uk or en), null on no hit."
    ),
    "properties": {
        "record_id": _nullable(_text),
        "decision": {"type": "string", "enum": ["hit", "possible_hit", "no_hit"]},
        "matches": {"type": "array", "items": _ref("Match")},
        "instruction": _nullable(_text),
    },
    "required": ["record_id", "decision", "matches", "instruction"],
}

PERSON_INPUT: Schema = {
    "type": "object",
    "description": (
        "A person as the persons file has him (DESIGN.md), or with `convictions` as a list. Text fields also "
        "take numbers (spreadsheet cells); `aliases` and `document_names` are a list or a ';'-separated text."
    ),
    "properties": {
        "external_id": {"type": ["string", "integer"]},
        "full_name": {"type": ["string", "null"]},
        "aliases": {"anyOf": [{"type": "array", "items": {"type": "string"}, "maxItems": MAX_NAMES}, _text]},
        "document_names": {
            "anyOf": [{"type": "array", "items": {"type": "string"}, "maxItems": MAX_NAMES}, _text]
        },
        "birth_date": {"type": ["string", "null"], "description": "YYYY-MM-DD, YYYY-MM or YYYY"},
        "birth_place": {"type": ["string", "null"]},
        "citizenship": {"type": ["string", "null"]},
        "case_number": {"type": ["string", "null"]},
        "court": {"type": ["string", "null"]},
        "article": {"type": ["string", "null"]},
        "sentence": {"type": ["string", "null"]},
        "verdict_date": {"type": ["string", "null"]},
        "in_absentia": {"type": ["boolean", "string", "null"]},
        "appeal_status": {"type": ["string", "null"]},
        "status": {"type": ["string", "null"], "enum": [*(s.value for s in PersonStatus), None]},
        "close_reason": {"type": ["string", "null"]},
        "notes": {"type": ["string", "null"], "maxLength": MAX_LENGTHS["notes"]},
        "convictions": {"type": "array", "items": {"type": "object"}, "maxItems": MAX_CONVICTIONS},
    },
    "additionalProperties": False,
}

PERSON: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "external_id": _text,
        "full_name": _text,
        "aliases": {"type": "array", "items": _text},
        "document_names": {"type": "array", "items": _text},
        "birth_date": _nullable(_text),
        "birth_date_precision": _nullable({"type": "string", "enum": ["day", "month", "year"]}),
        "birth_place": _nullable(_text),
        "citizenship": _nullable(_text),
        "status": {"type": "string", "enum": [s.value for s in PersonStatus]},
        "notes": _nullable(_text),
        "close_reason": _nullable(_text),
        "convictions": {"type": "array", "items": _ref("Conviction")},
        "names": {"type": "array", "items": _ref("Name")},
        "closed_at": _nullable({"type": "string", "format": "date-time"}),
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "changes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "changed_at": {"type": "string", "format": "date-time"},
                    "changed_by": _text,
                    "action": _text,
                    "changes": {"type": "object"},
                },
            },
        },
    },
    "required": ["id", "external_id", "full_name", "status", "names", "convictions", "created_at"],
}

ERROR: Schema = {
    "type": "object",
    "description": "The one error shape of the API; `details` names every bad field.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "e.g. validation_failed, bad_request, unavailable"},
                "message": _text,
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {
                                "type": "string",
                                "description": "e.g. `birth_date`, `records[3].name`",
                            },
                            "message": _text,
                            "row": {"type": "integer"},
                            "file": _text,
                        },
                        "required": ["field", "message"],
                    },
                },
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}

# --- paths --------------------------------------------------------------------------------------------------

_person_id = {
    "name": "person_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}


def _paths() -> dict[str, Any]:
    health = {"type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"]}
    return {
        "/healthz": {
            "get": {
                "tags": ["health"],
                "summary": "The process is up",
                "security": [],
                "responses": {"200": _json(health, "Up.")},
            }
        },
        "/readyz": {
            "get": {
                "tags": ["health"],
                "summary": "The database is reachable and migrated to the newest revision",
                "security": [],
                "responses": {
                    "200": _json(health, "Ready."),
                    "503": _json(health, "The database is unreachable or not migrated."),
                },
            }
        },
        "/api/v1/screen": {
            "post": {
                "tags": ["screening"],
                "summary": "Screen one person against the watchlist",
                "description": _roles(SCREENERS) + " Writes one audit row (who, what, how many hits).",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("ScreeningQuery")}},
                },
                "responses": {
                    "200": _json(_ref("ScreeningResult"), "The answer, `no_hit` included."),
                    "400": _error("The body is not JSON."),
                    "422": _error("A field is of the wrong type, unknown, too long, or no name is given."),
                    **COMMON_ERRORS,
                },
            }
        },
        "/api/v1/screen/batch": {
            "post": {
                "tags": ["screening"],
                "summary": f"Screen a list of up to {MAX_BATCH_RECORDS:,} records",
                "description": (
                    _roles(SCREENERS) + " One result per record in input order; a record without `record_id` "
                    "gets its position in the list (from 0). One bad record refuses the whole list, naming "
                    "`records[i].field` for each bad one: nothing is screened. Writes one audit row."
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "records": {
                                        "type": "array",
                                        "items": _ref("ScreeningQuery"),
                                        "minItems": 1,
                                        "maxItems": MAX_BATCH_RECORDS,
                                    }
                                },
                                "required": ["records"],
                                "additionalProperties": False,
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"results": {"type": "array", "items": _ref("ScreeningResult")}},
                            "required": ["results"],
                        },
                        "One result per record.",
                    ),
                    "400": _error("The body is not JSON."),
                    "413": _error("The body is larger than the service accepts."),
                    "422": _error(f"A bad record, or more than {MAX_BATCH_RECORDS:,} records."),
                    **COMMON_ERRORS,
                },
            }
        },
        "/api/v1/persons": {
            "get": {
                "tags": ["persons"],
                "summary": "Persons in id order, a page at a time",
                "description": _roles(READERS),
                "parameters": [
                    {
                        "name": "page",
                        "in": "query",
                        "description": "from 1; empty means 1",
                        "schema": {
                            "anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID}, {"const": ""}]
                        },
                    },
                    {
                        "name": "per_page",
                        "in": "query",
                        "description": "empty means 50",
                        "schema": {
                            "anyOf": [
                                {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                                {"const": ""},
                            ]
                        },
                    },
                    {
                        "name": "status",
                        "in": "query",
                        "description": "only persons of this status; empty means any",
                        "schema": {"type": "string", "enum": ["", *(s.value for s in PersonStatus)]},
                    },
                    {
                        "name": "q",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "part of a name",
                    },
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": _ref("Person")},
                                "total": {"type": "integer"},
                                "page": {"type": "integer"},
                                "per_page": {"type": "integer"},
                            },
                            "required": ["items", "total", "page", "per_page"],
                        },
                        "One page.",
                    ),
                    "422": _error("A bad query parameter."),
                    **COMMON_ERRORS,
                },
            },
            "post": {
                "tags": ["persons"],
                "summary": "Add a person",
                "description": _roles(WRITERS),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("PersonInput")}},
                },
                "responses": {
                    "201": _json(_ref("Person"), "Added, with his history."),
                    "400": _error("The body is not a JSON object."),
                    "409": _error("The external_id is taken."),
                    "422": _error("Bad fields, each named."),
                    **COMMON_ERRORS,
                },
            },
        },
        "/api/v1/persons/{person_id}": {
            "parameters": [_person_id],
            "get": {
                "tags": ["persons"],
                "summary": "One person with every name, conviction and change",
                "description": _roles(READERS),
                "responses": {
                    "200": _json(_ref("Person"), "The person."),
                    "404": _error("No such person."),
                    **COMMON_ERRORS,
                },
            },
            "patch": {
                "tags": ["persons"],
                "summary": "Change the fields the body names",
                "description": _roles(WRITERS) + " `convictions` replaces the whole list.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("PersonInput")}},
                },
                "responses": {
                    "200": _json(_ref("Person"), "Changed."),
                    "400": _error("The body is not a JSON object."),
                    "404": _error("No such person."),
                    "409": _error("The change conflicts with another person."),
                    "422": _error("Bad fields, each named."),
                    **COMMON_ERRORS,
                },
            },
        },
        "/api/v1/persons/{person_id}/close": {
            "parameters": [_person_id],
            "post": {
                "tags": ["persons"],
                "summary": "Close a person (no longer screened)",
                "description": _roles(WRITERS),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "reason": {
                                        "type": "string",
                                        "minLength": 1,
                                        "maxLength": MAX_LENGTHS["close_reason"],
                                    }
                                },
                                "required": ["reason"],
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_ref("Person"), "Closed."),
                    "400": _error("The body is not a JSON object."),
                    "404": _error("No such person."),
                    "409": _error("The person is closed already."),
                    "422": _error("No reason given."),
                    **COMMON_ERRORS,
                },
            },
        },
        "/api/v1/openapi.json": {
            "get": {
                "tags": ["documentation"],
                "summary": "This document",
                "security": [],
                "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")},
            }
        },
        "/api/v1/docs": {
            "get": {
                "tags": ["documentation"],
                "summary": "This document as a page to read",
                "security": [],
                "responses": {
                    "200": {"description": "HTML.", "content": {"text/html": {"schema": {"type": "string"}}}}
                },
            }
        },
        **runs.openapi_paths(_error, COMMON_ERRORS),
        **alerts.openapi_paths(_error, COMMON_ERRORS),
        **audit.openapi_paths(_error, COMMON_ERRORS),
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API as it is."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Watchlist API",
            "version": API_VERSION,
            "description": (
                "Screen persons against the register of persons convicted in absentia, and maintain the "
                "register. Authenticate with `Authorization: Bearer <token>` (`watchlist users token …`); a "
                "token is never accepted in a URL. Calls made with the web login session instead must send "
                "the session's CSRF token in `X-CSRF-Token` on POST and PATCH. Every screening is written to "
                f"the audit log. When the service cannot answer it says 503 with `Retry-After` "
                f"(about {RETRY_AFTER_SECONDS} s)."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "tags": [
            {"name": "screening", "description": "Screen one person or a list (officials at checkpoints)."},
            {"name": "persons", "description": "The register of convicted persons (editors)."},
            {"name": "runs", "description": "The run history of incoming lists (admins, officers)."},
            {"name": "alerts", "description": "Alerts for enforcement officers: inbox and triage."},
            {"name": "audit", "description": "The audit log: who consulted or changed what (auditors)."},
            {"name": "health", "description": "Liveness and readiness for the load balancer."},
            {"name": "documentation", "description": "This document."},
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API token."}
            },
            "schemas": {
                "ScreeningQuery": SCREENING_QUERY,
                "ScreeningResult": SCREENING_RESULT,
                "Match": MATCH,
                "MatchedPerson": MATCHED_PERSON,
                "Name": NAME,
                "Conviction": CONVICTION,
                "Person": PERSON,
                "PersonInput": PERSON_INPUT,
                "Error": ERROR,
            },
        },
    }


@api.get("/openapi.json")
@public
def openapi_json() -> dict[str, Any]:
    """The OpenAPI document."""
    return openapi_document()


@api.get("/docs")
@public
def api_docs() -> str:
    """The API described for people: every call, who may make it, its body and its answers."""
    document = openapi_document()
    return render_template("api_docs.html", document=document, schemas=document["components"]["schemas"])
