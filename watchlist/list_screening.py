"""Screening an uploaded list: read it, map its columns, screen it a chunk at a time, export the results.

A list is stored with its rows as soon as it is uploaded, and screened `CHUNK_SIZE` rows per request.
Everything about its progress is in the database, so with several web workers any of them can screen the
next chunk or report how far the list has got; no worker holds a list in memory or runs a thread for it,
and a worker restarted mid-list loses nothing (the next request carries on where the last one stopped).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from watchlist.db import utcnow
from watchlist.exc import FieldError, NotFound, ValidationFailed
from watchlist.imports import EXTRA_CELLS, read_table
from watchlist.models import Role
from watchlist.models.list_screenings import ListScreening, ListScreeningRow, ListState, RowState
from watchlist.screening import (
    NAME_PART_COLUMNS,
    QUERY_FIELDS,
    IncomingRecord,
    ScreeningService,
    incoming_record,
    screen_records,
)

# an upload is refused above these, like a batch of the API
LIST_MAX_BYTES = 10 * 1024 * 1024
LIST_MAX_ROWS = 10_000
# rows screened per request: well under a second of matching, so no request nears a worker timeout
CHUNK_SIZE = 500

# the fields of an incoming list a file's columns can be mapped to, in the order the mapping form shows them
LIST_FIELDS = ("record_id", "full_name", *NAME_PART_COLUMNS, "birth_date", "nationality", "document_number")
NAME_FIELDS = ("full_name", *NAME_PART_COLUMNS)

# header spellings met in lists from other registries, for the mapping form to propose (lower case)
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "record_id": ("record_id", "id", "no", "№", "number", "номер", "номер запису", "record"),
    "full_name": (
        "full_name",
        "name",
        "full name",
        "fullname",
        "піб",
        "п.і.б.",
        "прізвище ім'я по батькові",
        "фио",
        "ф.и.о.",
        "фамилия имя отчество",
        "имя",
    ),
    "surname": ("surname", "last_name", "last name", "family_name", "family name", "прізвище", "фамилия"),
    "given_name": ("given_name", "first_name", "first name", "forename", "ім'я", "імя"),
    "patronymic": ("patronymic", "middle_name", "middle name", "по батькові", "отчество"),
    "birth_date": (
        "birth_date",
        "date_of_birth",
        "date of birth",
        "birthdate",
        "dob",
        "born",
        "дата народження",
        "дата рождения",
    ),
    "nationality": ("nationality", "citizenship", "country", "громадянство", "гражданство"),
    "document_number": (
        "document_number",
        "document",
        "passport",
        "passport_number",
        "passport no",
        "номер документа",
        "паспорт",
    ),
}


def guess_mapping(columns: Sequence[str]) -> dict[str, str]:
    """Which of the file's columns each incoming-list field probably is, by its header."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for target in LIST_FIELDS:
        for synonym in COLUMN_SYNONYMS[target]:
            found = next((c for c in columns if c.strip().lower() == synonym and c not in taken), None)
            if found is not None:
                mapping[target] = found
                taken.add(found)
                break
    return mapping


def needs_mapping(mapping: Mapping[str, str]) -> bool:
    """Whether the uploader must confirm the columns: no name column, or one found under another header."""
    named = [target for target in NAME_FIELDS if target in mapping]
    return not named or any(mapping[target] != target for target in mapping)


def check_mapping(mapping: Mapping[str, str], columns: Sequence[str]) -> dict[str, str]:
    """The mapping with empty choices left out; raises ValidationFailed naming every bad choice."""
    errors: list[FieldError] = []
    chosen = {target: source for target, source in mapping.items() if source}
    for target, source in chosen.items():
        if target not in LIST_FIELDS:
            errors.append(FieldError(target, "is not a field of an incoming list"))
        elif source not in columns:
            errors.append(FieldError(target, f"the file has no column {source!r}"))
    sources = list(chosen.values())
    for target, source in chosen.items():
        if sources.count(source) > 1:
            errors.append(FieldError(target, f"the column {source!r} is chosen for more than one field"))
    if not any(target in chosen for target in NAME_FIELDS):
        errors.append(FieldError("full_name", "choose the column of the full name, or of the name parts"))
    if errors:
        raise ValidationFailed("the column mapping is not usable", errors)
    return chosen


def _cell_text(value: Any) -> str:
    # cells are kept as text: the matcher reads text, and JSON cannot hold a spreadsheet's dates
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def _errors_of(details: Iterable[FieldError]) -> list[dict[str, str]]:
    return [{"field": error.field, "message": error.message} for error in details]


def read_list(session: Session, path: Path, file_name: str, owner: str) -> ListScreening:
    """Store an uploaded list and every row of it; raises ValidationFailed when the file cannot be a list.

    Rows that cannot be read as rows (more cells than columns, a JSON value that is not an object) are
    kept as rows that cannot be screened, with the reason, so the results account for every row.
    """
    table = read_table(path, LIST_MAX_BYTES)
    if table.errors:
        raise ValidationFailed(f"{file_name}: the header cannot be read", table.errors)
    screening = ListScreening(owner=owner, file_name=file_name[:255], state=ListState.MAPPING)
    rows: list[dict[str, Any]] = []
    for number, cells in table.rows:
        if len(rows) >= LIST_MAX_ROWS:
            message = f"has more than {LIST_MAX_ROWS} rows; split it into smaller lists"
            raise ValidationFailed(f"{file_name}: too many rows", [FieldError("file", message, number)])
        row: dict[str, Any] = {"position": len(rows), "row_number": number, "state": RowState.PENDING}
        if isinstance(cells, dict):
            extra = cells.pop(EXTRA_CELLS, None)
            texts = {str(key).strip().lower(): _cell_text(value) for key, value in cells.items()}
            if not any(texts.values()) and not extra:
                continue  # a blank row is no record
            row["cells"] = texts
            if extra:
                message = f"has {len(extra)} more cells than the header has columns"
                row.update(state=RowState.INVALID, errors=[{"field": "row", "message": message}])
        else:
            message = "is not valid JSON" if isinstance(cells, json.JSONDecodeError) else "is not an object"
            row.update(cells={}, state=RowState.INVALID, errors=[{"field": "row", "message": message}])
        rows.append(row)
    if not rows:
        raise ValidationFailed(f"{file_name}: no rows", [FieldError("file", "has no rows to screen")])
    # JSON files have no header: their columns are the keys of their objects
    screening.columns = list(table.columns) or sorted({key for row in rows for key in row.get("cells", {})})
    screening.mapping = guess_mapping(screening.columns)
    screening.total_rows = len(rows)
    if not needs_mapping(screening.mapping):
        # the standard columns: checked here in one pass, ready to screen with no mapping step
        screening.state = ListState.SCREENING
        for row in rows:
            if row["state"] is RowState.PENDING:
                row.update(_checked(row["cells"], row["row_number"], screening.mapping, file_name))
    session.add(screening)
    session.flush()
    session.execute(
        insert(ListScreeningRow),
        [{"screening_id": screening.id, "cells": {}, **row} for row in rows],
    )
    _count(session, screening)
    return screening


def _record_row(cells: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {target: cells.get(source) for target, source in mapping.items()}
    used = set(mapping.values())
    # other columns ride along as raw attributes; one named like a field but not chosen must not act as it
    row.update({key: value for key, value in cells.items() if key not in used and key not in QUERY_FIELDS})
    return row


def _incoming(row: ListScreeningRow, mapping: Mapping[str, str], file_name: str) -> IncomingRecord:
    return incoming_record(_record_row(row.cells, mapping), row.row_number, file_name)


def _checked(
    cells: Mapping[str, Any], row_number: int, mapping: Mapping[str, str], file_name: str
) -> dict[str, Any]:
    """A row's state under `mapping`: pending with its record id, name and birth date, or invalid and why."""
    try:
        record = incoming_record(_record_row(cells, mapping), row_number, file_name)
    except ValidationFailed as error:
        return {
            "state": RowState.INVALID,
            "errors": _errors_of(error.details),
            "record_id": None,
            "name": None,
            "birth_date": None,
        }
    return {
        "state": RowState.PENDING,
        "errors": None,
        "record_id": record.record_id,
        "name": record.name,
        "birth_date": record.birth_date,
    }


def _unreadable(state: RowState, errors: Sequence[Mapping[str, str]] | None) -> bool:
    # a row that could not be read as a row (see read_list) stays so whatever the mapping
    return state is RowState.INVALID and any(error["field"] == "row" for error in errors or [])


def apply_mapping(session: Session, screening: ListScreening, mapping: Mapping[str, str]) -> None:
    """Fix which column is which, check every row with it, and make the list ready to screen."""
    screening.mapping = check_mapping(mapping, screening.columns)
    rows = session.execute(
        select(
            ListScreeningRow.id,
            ListScreeningRow.row_number,
            ListScreeningRow.cells,
            ListScreeningRow.state,
            ListScreeningRow.errors,
        ).where(ListScreeningRow.screening_id == screening.id, ListScreeningRow.state != RowState.SCREENED)
    ).all()
    changes = [
        {"id": id_, **_checked(cells, number, screening.mapping, screening.file_name)}
        for id_, number, cells, state, errors in rows
        if not _unreadable(state, errors)
    ]
    if changes:
        # an UPDATE by primary key for many rows at once, without loading them as objects
        session.execute(update(ListScreeningRow), changes)
    screening.state = ListState.SCREENING
    session.flush()
    _count(session, screening)


def _count(session: Session, screening: ListScreening) -> None:
    # counted from the rows rather than incremented, so a chunk screened twice (two tabs) counts once
    counts = dict(
        session.execute(
            select(func.coalesce(ListScreeningRow.decision, ListScreeningRow.state), func.count())
            .where(ListScreeningRow.screening_id == screening.id)
            .group_by(func.coalesce(ListScreeningRow.decision, ListScreeningRow.state))
        ).all()
    )
    screening.invalid_rows = counts.get(RowState.INVALID.value, 0)
    screening.hits = counts.get("hit", 0)
    screening.possible_hits = counts.get("possible_hit", 0)
    screening.screened_rows = screening.hits + screening.possible_hits + counts.get("no_hit", 0)
    if screening.state is ListState.SCREENING and not counts.get(RowState.PENDING.value):
        screening.state = ListState.DONE
        screening.finished_at = utcnow()
    session.flush()


@dataclass(frozen=True)
class Caller:
    """Who asks for a list screening, as the audit log records them."""

    username: str
    role: Role
    via: str
    remote_addr: str | None = None
    language: str = "uk"


def screen_next_chunk(
    session: Session,
    service: ScreeningService,
    screening: ListScreening,
    caller: Caller,
    size: int = CHUNK_SIZE,
) -> int:
    """Screen the next `size` rows still pending and write their audit row; returns how many were screened."""
    if screening.state is not ListState.SCREENING:
        return 0
    query = (
        select(ListScreeningRow)
        .where(ListScreeningRow.screening_id == screening.id, ListScreeningRow.state == RowState.PENDING)
        .order_by(ListScreeningRow.position)
        .limit(size)
    )
    if session.get_bind().dialect.name == "postgresql":
        # two requests for the same list (two tabs) take different rows instead of waiting on each other
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    if not rows:
        _count(session, screening)
        return 0
    records = [_incoming(row, screening.mapping, screening.file_name) for row in rows]
    subject = {
        "list_screening_id": screening.id,
        "file": screening.file_name,
        "records": [
            {"row": row.row_number, "record_id": r.record_id, "name": r.name, "birth_date": r.birth_date}
            for row, r in zip(rows, records, strict=True)
        ],
    }
    results = screen_records(
        session,
        service,
        records,
        action="screen_batch",
        actor=caller.username,
        via=caller.via,
        role=caller.role.value,
        remote_addr=caller.remote_addr,
        language=caller.language,
        subject=subject,
    )
    for row, result in zip(rows, results, strict=True):
        row.state = RowState.SCREENED
        row.decision = result["decision"]
        row.best_score = result["matches"][0]["score"] if result["matches"] else None
        # the instruction is left out: it is shown in the language of whoever reads the result later
        row.result = {key: value for key, value in result.items() if key != "instruction"}
    session.flush()
    _count(session, screening)
    return len(rows)


def get_list_screening(session: Session, screening_id: int, username: str, role: Role) -> ListScreening:
    """The list `screening_id` if the caller uploaded it (an admin sees every list); else NotFound."""
    screening = session.get(ListScreening, screening_id)
    if screening is None or (screening.owner != username and role is not Role.ADMIN):
        # the same answer whether the list is someone else's or does not exist
        raise NotFound(f"no list screening {screening_id}")
    return screening


def recent_list_screenings(session: Session, username: str, limit: int = 20) -> list[ListScreening]:
    """The caller's latest uploaded lists, newest first."""
    return list(
        session.scalars(
            select(ListScreening)
            .where(ListScreening.owner == username)
            .order_by(ListScreening.created_at.desc(), ListScreening.id.desc())
            .limit(limit)
        )
    )


ROW_FILTERS = ("hit", "possible_hit", "no_hit", "invalid")


def row_outcome(row: ListScreeningRow) -> str:
    """hit / possible_hit / no_hit for a screened row, invalid or pending otherwise."""
    return row.decision or row.state.value


def best_match(row: ListScreeningRow) -> dict[str, Any] | None:
    """The row's best candidate, with the person's details."""
    if not row.result or not row.result.get("matches"):
        return None
    match: dict[str, Any] = row.result["matches"][0]
    return match


def _searchable(row: ListScreeningRow) -> str:
    parts = [row.record_id or "", row.name or "", row.birth_date or "", *row.cells.values()]
    match = best_match(row)
    if match is not None:
        person = match.get("person", {})
        parts += [match.get("external_id") or "", person.get("primary_name", "")]
        parts += [name["name"] for name in person.get("names", [])]
    return " ".join(str(part) for part in parts).casefold()


def _filtered(query: Any, screening: ListScreening, outcome: str | None) -> Any:
    query = query.where(ListScreeningRow.screening_id == screening.id)
    if outcome == "invalid":
        return query.where(ListScreeningRow.state == RowState.INVALID)
    if outcome in ROW_FILTERS:
        return query.where(ListScreeningRow.decision == outcome)
    return query


def list_rows(
    session: Session,
    screening: ListScreening,
    outcome: str | None = None,
    text: str | None = None,
    limit: int | None = None,
) -> list[ListScreeningRow]:
    """The list's rows in file order: only those with the given outcome and containing `text`, if given,
    and the first `limit` of them."""
    query = _filtered(select(ListScreeningRow), screening, outcome).order_by(ListScreeningRow.position)
    if not (text and text.strip()):
        return list(session.scalars(query.limit(limit)))
    # case-insensitive for Cyrillic too, which SQLite's LIKE is not; the rows of one list are few enough
    needle = text.strip().casefold()
    rows = [row for row in session.scalars(query) if needle in _searchable(row)]
    return rows[:limit] if limit is not None else rows


def count_rows(session: Session, screening: ListScreening, outcome: str | None = None) -> int:
    """How many of the list's rows have the given outcome (all rows when none is given)."""
    query = _filtered(select(func.count()).select_from(ListScreeningRow), screening, outcome)
    return session.scalar(query) or 0


def get_row(session: Session, screening: ListScreening, position: int) -> ListScreeningRow:
    """One row of the list by its position; NotFound if there is none."""
    row = session.scalars(
        select(ListScreeningRow).where(
            ListScreeningRow.screening_id == screening.id, ListScreeningRow.position == position
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"no row {position} in list screening {screening.id}")
    return row


# --- export -----------------------------------------------------------------------------------------------

# a spreadsheet runs a cell starting with one of these as a formula (CSV injection); a leading ' makes it text
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

CONVICTION_FIELDS = ("court", "case_number", "article", "sentence", "verdict_date")

EXPORT_COLUMNS = (
    "row",
    "record_id",
    "name",
    "birth_date",
    "decision",
    "score",
    "external_id",
    "person_name",
    "matched_name",
    "person_birth_date",
    "status",
    "convictions",
    "candidates",
    "instruction",
    "errors",
)


def escape_formula(value: str) -> str:
    """`value` made safe to open in a spreadsheet: a cell that would start a formula is prefixed with '."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def export_rows(
    rows: Iterable[ListScreeningRow],
    mapping: Mapping[str, str],
    translate: Callable[[str], str],
    describe_errors: Callable[[Sequence[Mapping[str, str]]], str],
    instruction: str,
) -> list[list[str | float | int | None]]:
    """One line per row of the list, in the order of `EXPORT_COLUMNS`, texts in the caller's language."""
    lines: list[list[str | float | int | None]] = []
    for row in rows:
        match = best_match(row)
        person: dict[str, Any] = match.get("person", {}) if match else {}
        convictions = "; ".join(
            ", ".join(str(c[key]) for key in CONVICTION_FIELDS if c[key])
            for c in person.get("convictions", [])
        )
        outcome = row_outcome(row)
        lines.append(
            [
                row.row_number,
                row.record_id or row.cells.get(mapping.get("record_id", ""), "") or None,
                row.name,
                row.birth_date,
                translate(f"screen.decision.{outcome}"),
                match["score"] if match else None,
                match.get("external_id") if match else None,
                person.get("primary_name"),
                match["explanation"].get("matched_name") if match else None,
                person.get("birth_date"),
                translate(f"screen.status.{person['status']}") if person.get("status") else None,
                convictions or None,
                len(row.result["matches"]) if row.result else None,
                instruction if outcome in ("hit", "possible_hit") else None,
                describe_errors(row.errors) if row.errors else None,
            ]
        )
    return lines


def _safe(value: str | float | int | None) -> str | float | int | None:
    return escape_formula(value) if isinstance(value, str) else value


def write_csv(headers: Sequence[str], lines: Iterable[Sequence[str | float | int | None]]) -> bytes:
    """The results as CSV in UTF-8 with a byte-order mark (so Excel reads the Cyrillic right)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([escape_formula(header) for header in headers])
    for line in lines:
        writer.writerow(["" if value is None else _safe(value) for value in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(
    headers: Sequence[str], lines: Iterable[Sequence[str | float | int | None]], sheet_title: str
) -> bytes:
    """The results as an XLSX workbook of one sheet."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([escape_formula(header) for header in headers])
    for line in lines:
        sheet.append([_safe(value) for value in line])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
