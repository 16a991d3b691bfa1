"""Operations on the watchlist: validate a person, add, update, close, get, list and import persons.

Every operation takes a Session, flushes and never commits; the request or CLI command that called it commits.
Every change writes a `PersonChange` row and bumps the one `WatchlistRevision` row in the same transaction,
so the match index of every web worker knows to reload.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matchers.normalize import normalize_name
from matchers.scripts import detect_script
from watchlist.alerts import queue_retro, screening_changed
from watchlist.audit import audit
from watchlist.db import utcnow
from watchlist.exc import Conflict, FieldError, NotFound, ValidationFailed
from watchlist.models import (
    ConvictedPerson,
    Conviction,
    DatePrecision,
    NameKind,
    PersonChange,
    PersonName,
    PersonStatus,
    WatchlistRevision,
)

# the columns of a persons file (DESIGN.md, "Contracts"); `full_name` and `external_id` are required
PERSON_COLUMNS = (
    "external_id",
    "full_name",
    "aliases",
    "birth_date",
    "birth_place",
    "citizenship",
    "case_number",
    "court",
    "article",
    "sentence",
    "verdict_date",
    "status",
    "notes",
)
# accepted beside the contract's columns: Latin spellings from identity documents, the reason a closed person
# was closed, and the conviction details the flat file form has no column for
EXTRA_COLUMNS = ("document_names", "close_reason", "in_absentia", "appeal_status")
# the API may give a person's convictions as a list instead of the flat columns of one conviction
CONVICTION_FIELDS = (
    "case_number",
    "court",
    "article",
    "sentence",
    "verdict_date",
    "in_absentia",
    "appeal_status",
)
INPUT_FIELDS = frozenset(PERSON_COLUMNS + EXTRA_COLUMNS + ("convictions",))
REQUIRED_FIELDS = ("external_id", "full_name")
_FIELD_ORDER = {
    name: position for position, name in enumerate(PERSON_COLUMNS + EXTRA_COLUMNS + ("convictions",))
}

ALIAS_SEPARATOR = ";"
EARLIEST_BIRTH_YEAR = 1900
# the lengths of the columns they are stored in (models/persons.py)
MAX_LENGTHS = {
    "external_id": 64,
    "name": 512,
    "birth_place": 255,
    "citizenship": 64,
    "case_number": 128,
    "court": 255,
    "article": 255,
    "sentence": 255,
    "appeal_status": 255,
    "notes": 20_000,
    "close_reason": 2_000,
}
MAX_NAMES = 100
# how much of a refused value an error message quotes
MAX_QUOTED = 60
MAX_CONVICTIONS = 50
MAX_PER_PAGE = 200
# the largest value of an INTEGER primary key on PostgreSQL
MAX_ID = 2**31 - 1

_BIRTH_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_FULL_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# control characters (Unicode category Cc) other than tab and newline, and lone UTF-16 surrogates (which JSON
# allows as escapes): neither belongs in a name, and neither can be stored in PostgreSQL text
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# tells `_Reader.text` to read the field from the mapping itself
_FROM_DATA = object()
_TRUE = {"1", "true", "yes", "y", "так", "да"}
_FALSE = {"0", "false", "no", "n", "ні", "нет"}


# --- typed input -----------------------------------------------------------------------------------------


def _quoted(value: Any) -> str:
    """A refused value as an error message quotes it: whole when short, else its start and its length
    (a million-character date must not come back in the answer)."""
    text = repr(value)
    if len(text) <= MAX_QUOTED:
        return text
    return f"{text[:MAX_QUOTED]}… ({len(str(value)):,} characters)"


@dataclass(frozen=True)
class ConvictionInput:
    """One conviction of a person, validated."""

    case_number: str | None = None
    court: str | None = None
    article: str | None = None
    sentence: str | None = None
    verdict_date: date | None = None
    in_absentia: bool = True
    appeal_status: str | None = None

    def to_mapping(self) -> dict[str, Any]:
        return {
            "case_number": self.case_number,
            "court": self.court,
            "article": self.article,
            "sentence": self.sentence,
            "verdict_date": self.verdict_date.isoformat() if self.verdict_date else None,
            "in_absentia": self.in_absentia,
            "appeal_status": self.appeal_status,
        }


@dataclass(frozen=True)
class PersonInput:
    """A person as the API, a file row or the CLI gave it, validated and typed."""

    external_id: str
    full_name: str
    aliases: tuple[str, ...] = ()
    document_names: tuple[str, ...] = ()
    birth_date: date | None = None
    birth_date_precision: DatePrecision | None = None
    birth_place: str | None = None
    citizenship: str | None = None
    status: PersonStatus = PersonStatus.WANTED
    notes: str | None = None
    close_reason: str | None = None
    convictions: tuple[ConvictionInput, ...] = ()
    # the fields the input carried: an import row without a `notes` column keeps the notes a person has
    given: frozenset[str] = field(default=INPUT_FIELDS, compare=False)

    def birth_date_text(self) -> str | None:
        return _date_text(self.birth_date, self.birth_date_precision)

    def to_mapping(self) -> dict[str, Any]:
        """The person as a JSON-ready mapping that `parse_person` reads back to an equal input."""
        return {
            "external_id": self.external_id,
            "full_name": self.full_name,
            "aliases": list(self.aliases),
            "document_names": list(self.document_names),
            "birth_date": self.birth_date_text(),
            "birth_place": self.birth_place,
            "citizenship": self.citizenship,
            "status": self.status.value,
            "notes": self.notes,
            "close_reason": self.close_reason,
            "convictions": [conviction.to_mapping() for conviction in self.convictions],
        }


def _date_text(value: date | None, precision: DatePrecision | None) -> str | None:
    if value is None:
        return None
    if precision is DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision is DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


# --- validation: the one place a person mapping is checked ------------------------------------------------


class _Reader:
    """Reads typed values out of one mapping, collecting every problem instead of stopping at the first."""

    def __init__(self, data: Mapping[str, Any], row: int | None, file: str | None) -> None:
        self.data = data
        self.row = row
        self.file = file
        self.errors: list[FieldError] = []

    def error(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message, self.row, self.file))

    def text(self, name: str, raw: Any = _FROM_DATA, limit_key: str | None = None) -> str | None:
        if raw is _FROM_DATA:
            raw = self.data.get(name)
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            self.error(name, "must be text")
            return None
        if isinstance(raw, float):
            # spreadsheets hand over numbers such as 123 as 123.0
            raw = str(int(raw)) if raw.is_integer() else str(raw)
        result = unicodedata.normalize("NFC", str(raw)).strip()
        if not result:
            return None
        if _CONTROL.search(result):
            self.error(name, "contains control characters or broken Unicode")
            return None
        limit = MAX_LENGTHS.get(limit_key or name)
        if limit is not None and len(result) > limit:
            self.error(name, f"is longer than {limit} characters")
            return None
        return result

    def name(self, label: str, raw: Any) -> str | None:
        value = self.text(label, raw, limit_key="name")
        if value is None:
            return None
        value = " ".join(value.split())
        if not any(char.isalpha() for char in value):
            self.error(label, f"{_quoted(value)} is not a name: it has no letters")
            return None
        return value

    def names(self, label: str) -> tuple[str, ...]:
        raw = self.data.get(label)
        if raw is None:
            return ()
        if isinstance(raw, str):
            parts: list[Any] = raw.split(ALIAS_SEPARATOR)
        elif isinstance(raw, list | tuple):
            parts = list(raw)
        else:
            self.error(label, f"must be a list of names or text separated by '{ALIAS_SEPARATOR}'")
            return ()
        result: list[str] = []
        for part in parts:
            if isinstance(part, str) and not part.strip():
                continue  # `a;;b` or a trailing `;`: an empty slot, not a name
            name = self.name(label, part)
            if name is not None and name not in result:
                result.append(name)
        if len(result) > MAX_NAMES:
            self.error(label, f"more than {MAX_NAMES} names")
        return tuple(result)

    def birth_date(self) -> tuple[date | None, DatePrecision | None]:
        raw = self.data.get("birth_date")
        if isinstance(raw, datetime | date):
            value = raw.date() if isinstance(raw, datetime) else raw
            return self._check_birth(value, DatePrecision.DAY), DatePrecision.DAY
        text = self.text("birth_date")
        if text is None:
            return None, None
        match = _BIRTH_DATE.fullmatch(text)
        if match is None:
            self.error("birth_date", f"{_quoted(text)} is not YYYY-MM-DD, YYYY-MM or YYYY")
            return None, None
        year, month, day = match.groups()
        precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
        try:
            value = date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            self.error("birth_date", f"{_quoted(text)} is not a real date")
            return None, None
        return self._check_birth(value, precision), precision

    def _check_birth(self, value: date, precision: DatePrecision) -> date | None:
        if value.year < EARLIEST_BIRTH_YEAR:
            self.error("birth_date", f"is before {EARLIEST_BIRTH_YEAR}")
            return None
        if value > utcnow().date():
            self.error("birth_date", "is in the future")
            return None
        return value

    def full_date(self, label: str, raw: Any) -> date | None:
        if isinstance(raw, datetime | date):
            value = raw.date() if isinstance(raw, datetime) else raw
        else:
            text = self.text(label, raw)
            if text is None:
                return None
            match = _FULL_DATE.fullmatch(text)
            if match is None:
                self.error(label, f"{_quoted(text)} is not a date YYYY-MM-DD")
                return None
            try:
                value = date(*(int(part) for part in match.groups()))
            except ValueError:
                self.error(label, f"{_quoted(text)} is not a real date")
                return None
        if value > utcnow().date():
            self.error(label, "is in the future")
            return None
        return value

    def flag(self, label: str, raw: Any, default: bool) -> bool:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return default
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.error(label, f"{_quoted(raw)} is not true or false")
        return default

    def conviction(self, source: Mapping[str, Any], prefix: str) -> ConvictionInput | None:
        values = {
            name: self.text(prefix + name, source.get(name))
            for name in ("case_number", "court", "article", "sentence", "appeal_status")
        }
        verdict_date = self.full_date(prefix + "verdict_date", source.get("verdict_date"))
        in_absentia = self.flag(prefix + "in_absentia", source.get("in_absentia"), default=True)
        if verdict_date is None and not any(values.values()):
            return None  # a row with no conviction details carries no conviction
        return ConvictionInput(verdict_date=verdict_date, in_absentia=in_absentia, **values)

    def convictions(self) -> tuple[ConvictionInput, ...]:
        flat = [name for name in CONVICTION_FIELDS if name in self.data]
        if "convictions" not in self.data:
            single = self.conviction(self.data, "")
            return (single,) if single else ()
        if flat:
            self.error("convictions", f"give either convictions or {', '.join(flat)}, not both")
            return ()
        raw = self.data["convictions"]
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.error("convictions", "must be a list of convictions")
            return ()
        if len(raw) > MAX_CONVICTIONS:
            self.error("convictions", f"more than {MAX_CONVICTIONS} convictions")
            return ()
        result: list[ConvictionInput] = []
        for index, item in enumerate(raw):
            prefix = f"convictions[{index}]."
            if not isinstance(item, Mapping):
                self.error(f"convictions[{index}]", "must be an object")
                continue
            errors_before = len(self.errors)
            for unknown in sorted(set(item) - set(CONVICTION_FIELDS)):
                self.error(prefix + str(unknown), "unknown field")
            conviction = self.conviction(item, prefix)
            if conviction is None and len(self.errors) == errors_before:
                self.error(f"convictions[{index}]", "is empty")
            elif conviction is not None:
                result.append(conviction)
        return tuple(result)


def parse_person(
    data: Mapping[str, Any], row: int | None = None, file: str | None = None
) -> PersonInput | list[FieldError]:
    """Validate one person mapping (an API body, a file row); the typed input, or every problem found.

    Empty text counts as absent. `aliases` and `document_names` are lists or `;`-separated text; one
    conviction may come as the flat file columns or several as `convictions`, a list of objects.
    """
    reader = _Reader(data, row, file)
    for unknown in sorted(set(data) - INPUT_FIELDS, key=str):
        reader.error(str(unknown), "unknown field")
    external_id = reader.text("external_id")
    full_name = reader.name("full_name", data.get("full_name"))
    for required, value in (("external_id", external_id), ("full_name", full_name)):
        if value is None and not any(error.field == required for error in reader.errors):
            reader.error(required, "is required")
    aliases = tuple(alias for alias in reader.names("aliases") if alias != full_name)
    document_names = reader.names("document_names")
    birth_date, precision = reader.birth_date()
    status_text = reader.text("status")
    status = PersonStatus.WANTED
    if status_text is not None:
        try:
            status = PersonStatus(status_text.lower())
        except ValueError:
            reader.error("status", f"must be one of {', '.join(s.value for s in PersonStatus)}")
    close_reason = reader.text("close_reason")
    if status is PersonStatus.CLOSED and close_reason is None:
        reader.error("close_reason", "closing a person needs a reason")
    convictions = reader.convictions()
    optional = {name: reader.text(name) for name in ("birth_place", "citizenship", "notes")}
    if reader.errors:
        # in the order of the file's columns, as a person reading the row sees them
        return sorted(reader.errors, key=lambda error: _FIELD_ORDER.get(error.field.split("[")[0], -1))
    assert external_id is not None and full_name is not None  # an error was recorded otherwise
    given = {name for name in data if name in INPUT_FIELDS}
    if given & set(CONVICTION_FIELDS):
        given.add("convictions")
    return PersonInput(
        external_id=external_id,
        full_name=full_name,
        aliases=aliases,
        document_names=document_names,
        birth_date=birth_date,
        birth_date_precision=precision,
        status=status,
        close_reason=close_reason if status is PersonStatus.CLOSED else None,
        convictions=convictions,
        given=frozenset(given),
        **optional,
    )


def require_person(data: Mapping[str, Any]) -> PersonInput:
    """`parse_person` for a single input (an API body): raises ValidationFailed with every problem found."""
    result = parse_person(data)
    if isinstance(result, list):
        raise ValidationFailed("invalid person", result)
    return result


# --- names and their scripts ------------------------------------------------------------------------------


# the length of the column the folded form is stored in (models/persons.py)
FOLDED_LENGTH = 512


def fold_name(text: str) -> str:
    """The form names are searched by: the matcher's normalised name (NFKC, case folded, zero-width and bidi
    characters dropped, look-alike letters of the other alphabet folded), cut to its column's length.

    A name an editor pasted with an invisible character, or typed with a Latin `o` in a Cyrillic word, is
    then found by the name as it reads. NFKC can make a name many times longer (one Arabic ligature is 18
    letters), so the form is cut: a substring search loses only the far end of such a name.
    """
    return normalize_name(text)[:FOLDED_LENGTH]


# --- reading a person back as input -----------------------------------------------------------------------


def person_input(person: ConvictedPerson) -> PersonInput:
    """The stored person as the input that would create it again."""
    primary = [n.name for n in person.names if n.kind is NameKind.PRIMARY]
    return PersonInput(
        external_id=person.external_id,
        full_name=primary[0] if primary else person.primary_name,
        aliases=tuple(n.name for n in person.names if n.kind is NameKind.ALIAS),
        document_names=tuple(n.name for n in person.names if n.kind is NameKind.DOCUMENT),
        birth_date=person.birth_date,
        birth_date_precision=person.birth_date_precision if person.birth_date else None,
        birth_place=person.birth_place,
        citizenship=person.citizenship,
        status=person.status,
        notes=person.notes,
        close_reason=person.close_reason if person.status is PersonStatus.CLOSED else None,
        convictions=tuple(
            ConvictionInput(
                case_number=c.case_number,
                court=c.court,
                article=c.article,
                sentence=c.sentence,
                verdict_date=c.verdict_date,
                in_absentia=c.in_absentia,
                appeal_status=c.appeal_status,
            )
            for c in person.convictions
        ),
    )


def person_to_dict(person: ConvictedPerson, with_changes: bool = False) -> dict[str, Any]:
    """The person as the API shows it."""
    data: dict[str, Any] = {"id": person.id, **person_input(person).to_mapping()}
    precision = person.birth_date_precision if person.birth_date else None
    data["birth_date_precision"] = precision.value if precision else None
    data["names"] = [{"name": n.name, "kind": n.kind.value, "script": n.script} for n in person.names]
    data["closed_at"] = person.closed_at.isoformat() if person.closed_at else None
    data["created_at"] = person.created_at.isoformat()
    data["updated_at"] = person.updated_at.isoformat()
    if with_changes:
        data["changes"] = [
            {
                "changed_at": change.changed_at.isoformat(),
                "changed_by": change.changed_by,
                "action": change.action,
                "changes": change.changes,
            }
            for change in person.changes
        ]
    return data


# --- writing ----------------------------------------------------------------------------------------------


def diff(before: PersonInput | None, after: PersonInput) -> dict[str, list[Any]]:
    """`{field: [before, after]}` for every field that differs; a new person is compared with nothing."""
    new = after.to_mapping()
    if before is None:
        return {name: [None, value] for name, value in new.items() if value not in (None, [], "")}
    old = before.to_mapping()
    return {name: [old[name], new[name]] for name in new if old[name] != new[name]}


def bump_revision(session: Session) -> int:
    """Raise the watchlist's version by one; returns the new version."""
    # FOR UPDATE: two transactions changing the watchlist at once must not both write the same version
    revision = session.get(WatchlistRevision, 1, with_for_update=True, populate_existing=True)
    if revision is None:
        revision = WatchlistRevision(id=1, version=0)
        session.add(revision)
    revision.version += 1
    revision.changed_at = utcnow()
    session.flush()
    return revision.version


def watchlist_version(session: Session) -> int:
    """The watchlist's current version; it changes whenever a person does."""
    version = session.scalar(select(WatchlistRevision.version).where(WatchlistRevision.id == 1))
    return version or 0


def _person_values(data: PersonInput, closed_at: datetime | None) -> dict[str, Any]:
    """The persons-table columns for `data`; `closed_at` is used only when the person is closed."""
    closed = data.status is PersonStatus.CLOSED
    return {
        "external_id": data.external_id,
        "status": data.status,
        "birth_date": data.birth_date,
        "birth_date_precision": data.birth_date_precision,
        "birth_place": data.birth_place,
        "citizenship": data.citizenship,
        "notes": data.notes,
        "close_reason": data.close_reason if closed else None,
        "closed_at": closed_at if closed else None,
    }


def _names_of(data: PersonInput) -> list[tuple[NameKind, str]]:
    return [
        (NameKind.PRIMARY, data.full_name),
        *((NameKind.ALIAS, alias) for alias in data.aliases),
        *((NameKind.DOCUMENT, name) for name in data.document_names),
    ]


def _name_values(kind: NameKind, name: str) -> dict[str, Any]:
    return {"name": name, "folded": fold_name(name), "kind": kind, "script": detect_script(name)}


def _conviction_values(conviction: ConvictionInput) -> dict[str, Any]:
    return {
        "case_number": conviction.case_number,
        "court": conviction.court,
        "article": conviction.article,
        "sentence": conviction.sentence,
        "verdict_date": conviction.verdict_date,
        "in_absentia": conviction.in_absentia,
        "appeal_status": conviction.appeal_status,
    }


def _apply(person: ConvictedPerson, data: PersonInput) -> None:
    # a person closed already keeps the moment he was closed
    keep_closed_at = person.status is PersonStatus.CLOSED and person.closed_at is not None
    closed_at = person.closed_at if keep_closed_at else utcnow()
    for name, value in _person_values(data, closed_at).items():
        setattr(person, name, value)

    # keep the rows of names that stay, so an unchanged name keeps its id
    existing = {(row.kind, row.name): row for row in person.names}
    person.names = [existing.get(key) or PersonName(**_name_values(*key)) for key in _names_of(data)]

    rows = list(person.convictions)
    for index, conviction in enumerate(data.convictions):
        if index >= len(rows):
            rows.append(Conviction())
        for name, value in _conviction_values(conviction).items():
            setattr(rows[index], name, value)
    person.convictions = rows[: len(data.convictions)]


def _insert_new(session: Session, rows: Sequence[PersonInput], actor: str) -> list[int]:
    """Insert persons known to be new with a few multi-row INSERTs instead of one ORM object per row.

    An import of thousands of new persons spends most of its time building ORM objects otherwise; the
    columns written are the same `_apply` writes.
    """
    if not rows:
        return []
    now = utcnow()
    values = [{**_person_values(row, now), "created_at": now, "updated_at": now} for row in rows]
    inserted = session.execute(
        insert(ConvictedPerson).returning(ConvictedPerson.id, sort_by_parameter_order=True), values
    )
    names: list[dict[str, Any]] = []
    convictions: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    person_ids = list(inserted.scalars().all())
    for person_id, row in zip(person_ids, rows, strict=True):
        names += [{"person_id": person_id, **_name_values(kind, name)} for kind, name in _names_of(row)]
        convictions += [{"person_id": person_id, **_conviction_values(c)} for c in row.convictions]
        changes.append(
            {
                "person_id": person_id,
                "changed_at": now,
                "changed_by": actor[:128],
                "action": "imported",
                "changes": diff(None, row),
            }
        )
    for model, batch in ((PersonName, names), (Conviction, convictions), (PersonChange, changes)):
        if batch:
            session.execute(insert(model), batch)
    return person_ids


def _action(before: PersonInput | None, after: PersonInput) -> str:
    if before is None:
        return "created"
    if after.status is PersonStatus.CLOSED and before.status is not PersonStatus.CLOSED:
        return "closed"
    if before.status is PersonStatus.CLOSED and after.status is not PersonStatus.CLOSED:
        return "reopened"
    return "updated"


def _record(person: ConvictedPerson, actor: str, action: str, changes: dict[str, list[Any]]) -> None:
    person.changes.append(PersonChange(changed_by=actor[:128], action=action, changes=changes))
    # a change to names or convictions alone leaves the persons row untouched; match indexes find the
    # persons to reload by updated_at, so it must move with every change
    person.updated_at = utcnow()


def _audit_change(session: Session, person: ConvictedPerson, action: str, changes: Mapping[str, Any]) -> None:
    # who changed which person's which fields; the values are in the person's own history
    audit(
        session,
        f"person.{action}",
        subject={"person_id": person.id, "external_id": person.external_id},
        outcome={"fields": sorted(changes)},
    )


def add_person(session: Session, data: PersonInput, actor: str) -> ConvictedPerson:
    """Add a person to the watchlist; Conflict when the external_id is taken."""
    if session.scalar(select(ConvictedPerson.id).where(ConvictedPerson.external_id == data.external_id)):
        raise Conflict(f"a person with external_id {data.external_id!r} exists already")
    person = ConvictedPerson()
    _apply(person, data)
    changes = diff(None, data)
    _record(person, actor, "created", changes)
    try:
        # a savepoint, so a concurrent insert of the same external_id is a Conflict, not a broken session
        with session.begin_nested():
            session.add(person)
            session.flush()
    except IntegrityError as error:
        raise Conflict(f"a person with external_id {data.external_id!r} exists already") from error
    bump_revision(session)
    _audit_change(session, person, "created", changes)
    # retro-matching hook: old incoming records are matched against him by the scheduler's retro job
    queue_retro(session, [person.id])
    return person


def update_person(session: Session, person: ConvictedPerson, data: PersonInput, actor: str) -> bool:
    """Make the person what `data` says; whether anything changed (nothing is written when not)."""
    before = person_input(person)
    if data.external_id != before.external_id:
        raise ValidationFailed(
            "invalid person", [FieldError("external_id", "cannot be changed; it identifies the person")]
        )
    changes = diff(before, data)
    if not changes:
        return False
    _apply(person, data)
    _record(person, actor, _action(before, data), changes)
    bump_revision(session)
    _audit_change(session, person, _action(before, data), changes)
    if screening_changed(changes):
        queue_retro(session, [person.id])
    return True


def close_person(session: Session, person: ConvictedPerson, reason: str, actor: str) -> ConvictedPerson:
    """Close a person (he stays in the history, never deleted); closing needs a reason."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationFailed("invalid close", [FieldError("reason", "closing a person needs a reason")])
    limit = MAX_LENGTHS["close_reason"]
    if len(reason) > limit:
        raise ValidationFailed("invalid close", [FieldError("reason", f"is longer than {limit} characters")])
    if person.status is PersonStatus.CLOSED:
        raise Conflict(f"person {person.id} is closed already")
    before = person_input(person)
    update_person(
        session, person, dataclasses.replace(before, status=PersonStatus.CLOSED, close_reason=reason), actor
    )
    return person


def get_person(session: Session, person_id: int) -> ConvictedPerson:
    """The person with this id; NotFound when there is none."""
    # ids beyond the column's range would make PostgreSQL fail the query instead of finding nothing
    person = session.get(ConvictedPerson, person_id) if 0 < person_id <= MAX_ID else None
    if person is None:
        raise NotFound(f"no person {person_id}")
    return person


def find_person(session: Session, key: str) -> ConvictedPerson:
    """The person with this external_id, or else with this numeric id; NotFound when there is none."""
    person = session.scalar(select(ConvictedPerson).where(ConvictedPerson.external_id == key))
    if person is None and key.isdigit() and 0 < int(key) <= MAX_ID:
        person = session.get(ConvictedPerson, int(key))
    if person is None:
        raise NotFound(f"no person {key!r}")
    return person


@dataclass(frozen=True)
class PersonPage:
    items: list[ConvictedPerson]
    total: int
    page: int
    per_page: int


def _like_literal(text: str) -> str:
    # `%` and `_` typed by a user are letters he is looking for, not wildcards
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_persons(
    session: Session,
    page: int = 1,
    per_page: int = 50,
    status: PersonStatus | None = None,
    q: str | None = None,
) -> PersonPage:
    """One page of persons in id order, optionally only those of a status or with a name containing `q`."""
    errors = []
    if q is not None and _CONTROL.search(q):
        errors.append(FieldError("q", "contains control characters or broken Unicode"))
    # the offset of a page beyond MAX_ID would overflow PostgreSQL's bigint and fail the query
    if not 1 <= page <= MAX_ID:
        errors.append(FieldError("page", f"must be 1 to {MAX_ID}"))
    if not 1 <= per_page <= MAX_PER_PAGE:
        errors.append(FieldError("per_page", f"must be 1 to {MAX_PER_PAGE}"))
    if errors:
        raise ValidationFailed("invalid listing", errors)
    query = select(ConvictedPerson)
    if status is not None:
        query = query.where(ConvictedPerson.status == status)
    if q and q.strip():
        pattern = f"%{_like_literal(fold_name(q.strip()))}%"
        named = select(PersonName.person_id).where(PersonName.folded.like(pattern, escape="\\"))
        query = query.where(ConvictedPerson.id.in_(named))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.options(selectinload(ConvictedPerson.names), selectinload(ConvictedPerson.convictions))
        .order_by(ConvictedPerson.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return PersonPage(list(items), total, page, per_page)


# --- import -----------------------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def merge_row(current: PersonInput, row: PersonInput) -> PersonInput:
    """What a stored person becomes after an import row: the row's fields win, fields the file lacks stay.

    A row carries at most one conviction: it replaces the person's conviction with the same case number
    (or, without a case number, his conviction without one) and is added otherwise.
    """
    changes: dict[str, Any] = {
        name: getattr(row, name)
        for name in ("aliases", "document_names", "birth_place", "citizenship", "notes")
        if name in row.given
    }
    if "birth_date" in row.given:
        changes["birth_date"] = row.birth_date
        changes["birth_date_precision"] = row.birth_date_precision
    if "status" in row.given:
        changes["status"] = row.status
        changes["close_reason"] = row.close_reason
    convictions = list(current.convictions)
    for conviction in row.convictions:
        same = [i for i, c in enumerate(convictions) if c.case_number == conviction.case_number]
        if same:
            convictions[same[0]] = conviction
        else:
            convictions.append(conviction)
    changes["convictions"] = tuple(convictions)
    return dataclasses.replace(current, full_name=row.full_name, **changes)


IMPORT_BATCH = 500


def import_persons(
    session: Session,
    rows: Sequence[PersonInput],
    actor: str,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Upsert validated persons by external_id; persons the rows leave as they are get no change row.

    The watchlist's version goes up once if anything changed. `progress` is called with the number of rows
    done after each batch.
    """
    ids = [row.external_id for row in rows]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("duplicate external_id among the rows to import")
    summary = ImportSummary()
    for start in range(0, len(rows), IMPORT_BATCH):
        batch = rows[start : start + IMPORT_BATCH]
        existing = {
            person.external_id: person
            for person in session.scalars(
                select(ConvictedPerson)
                .where(ConvictedPerson.external_id.in_([row.external_id for row in batch]))
                .options(selectinload(ConvictedPerson.names), selectinload(ConvictedPerson.convictions))
            )
        }
        new = [row for row in batch if row.external_id not in existing]
        retro = _insert_new(session, new, actor)
        summary.created += len(new)
        for row in batch:
            person = existing.get(row.external_id)
            if person is None:
                continue
            before = person_input(person)
            after = merge_row(before, row)
            changes = diff(before, after)
            if not changes:
                summary.unchanged += 1
                continue
            _apply(person, after)
            _record(person, actor, "imported", changes)
            summary.updated += 1
            if screening_changed(changes):
                retro.append(person.id)
        session.flush()
        queue_retro(session, retro)
        if progress is not None:
            progress(len(batch))
    if summary.created or summary.updated:
        bump_revision(session)
        audit(
            session,
            "person.imported",
            subject={"rows": len(rows)},
            outcome={"created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged},
        )
    return summary
