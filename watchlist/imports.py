"""Reading persons files (CSV, JSON, JSONL, XLSX) and checking every row before anything is written.

`read_table` / `read_rows` open any such file (other lists use them too); `read_person_file` checks each
row as a person; `import_person_file` writes a checked file, or refuses it with every error.

Row numbers are the ones a person looking at the file sees: in CSV and XLSX the header is row 1 and the
first person row 2; in JSONL the line number; in JSON the position of the object in the array, from 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.orm import Session

from watchlist.exc import FieldError, ValidationFailed
from watchlist.persons import (
    INPUT_FIELDS,
    REQUIRED_FIELDS,
    ImportSummary,
    PersonInput,
    import_persons,
    parse_person,
)

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
XLSX_SUFFIXES = {".xlsx"}
SUFFIXES = CSV_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES | XLSX_SUFFIXES
# a sheet can claim a million rows in a few kilobytes of zipped XML; stop reading long before memory runs out
MAX_XLSX_ROWS = 200_000
# no list has more columns than this; a row of 16,384 cells is someone testing the reader
MAX_XLSX_COLUMNS = 500
# A zip bomb: a few kilobytes that inflate to gigabytes. Real workbooks' XML packs 5 to 30 times; Apache POI
# refuses a part packed more than 100 times, and so do we (parts under a megabyte are let through, since
# tiny repetitive parts pack that well), and a workbook that inflates beyond a gigabyte altogether.
MAX_XLSX_INFLATE_RATIO = 100
MAX_XLSX_INFLATED_BYTES = 1024 * 1024 * 1024
SMALL_XLSX_PART_BYTES = 1024 * 1024
DELIMITERS = (",", ";", "\t")
ERROR_COLUMN = "error"
# the size limit of `read_rows` when the caller names none: the default of `imports_max_file_bytes`
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
# the longest CSV cell read (Python's csv refuses longer ones, by default over 131,072 characters, and the
# file then fails whole as unreadable); a long cell is read so that its row's check names its field. The
# limit is the csv module's, for every reader in the process
MAX_CSV_CELL_CHARS = 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), MAX_CSV_CELL_CHARS))


@dataclass(frozen=True)
class RejectedRow:
    """A row that failed validation, with its original cells and every reason."""

    row: int
    cells: dict[str, Any]
    errors: list[FieldError]


@dataclass
class PersonFile:
    """A persons file read and checked: the valid rows, the rejected ones, and problems of the file itself."""

    name: str
    columns: list[str]
    valid: list[PersonInput] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    # problems not tied to one person row, such as an unknown column; any of them rejects the whole file
    file_errors: list[FieldError] = field(default_factory=list)

    @property
    def errors(self) -> list[FieldError]:
        return self.file_errors + [error for row in self.rejected for error in row.errors]


def _file_error(name: str, message: str, row: int | None = None, column: str = "file") -> ValidationFailed:
    error = FieldError(column, message, row, name)
    return ValidationFailed(f"{name}: {message}", [error])


# --- reading cells ----------------------------------------------------------------------------------------


def decode_text(data: bytes, name: str) -> str:
    """Text of a file in UTF-8 (with or without BOM), UTF-16 with BOM, or else cp1251."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16")
    except UnicodeDecodeError as error:
        raise _file_error(
            name, f"is not valid text in the encoding its byte-order mark names: {error}"
        ) from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Windows-1251, the usual encoding of Cyrillic CSV files saved by older Excel
        return data.decode("cp1251")
    except UnicodeDecodeError as error:
        raise _file_error(name, "is neither UTF-8, UTF-16 with a byte-order mark, nor cp1251") from error


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a CSV file from its header: the one of `,` `;` tab that occurs most often there."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _header(cells: list[Any], number: int, name: str, errors: list[FieldError]) -> list[str]:
    columns = [str(cell).strip().lower() if cell is not None else "" for cell in cells]
    while columns and not columns[-1]:
        columns.pop()
    seen: set[str] = set()
    for position, column in enumerate(columns, start=1):
        if not column:
            errors.append(FieldError(f"column {position}", "has no name in the header", number, name))
        elif column in seen:
            errors.append(FieldError(column, "appears twice in the header", number, name))
        seen.add(column)
    return columns


def _is_blank(cells: Iterable[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


@dataclass
class Table:
    """The rows of a CSV, JSON, JSONL or XLSX file, before any check of what they mean."""

    name: str
    # the header's column names, lower case; for JSON the keys of the objects in order of appearance
    columns: list[str]
    # the header's row number; None for JSON, which has no header
    header_row: int | None
    # (row number, cells): a dict of column -> cell for a table row or a JSON object; anything else for a
    # JSON value that is not an object, or the JSONDecodeError of a JSONL line that is not JSON
    rows: Iterator[tuple[int, Any]]
    # problems of the header: a column without a name, a column twice
    errors: list[FieldError] = field(default_factory=list)


# the key under which a table row keeps cells beyond the header's last column
EXTRA_CELLS = "\0extra"


def _table(name: str, rows: Iterator[tuple[int, list[Any]]]) -> Table:
    """A table from numbered rows of cells: the first row that is not blank is the header."""
    errors: list[FieldError] = []
    for number, cells in rows:
        if not _is_blank(cells):
            header_row, columns = number, _header(cells, number, name, errors)
            break
    else:
        raise _file_error(name, "is empty: no header row")

    def body() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, cells in rows:
            mapping = {column: cell for column, cell in zip(columns, cells, strict=False) if column}
            extra = cells[len(columns) :]
            if not _is_blank(extra):
                mapping[EXTRA_CELLS] = extra
            yield number, mapping

    return Table(name, columns, header_row, body(), errors)


def _csv_table(data: bytes, name: str) -> Table:
    text = decode_text(data, name)
    delimiter = sniff_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        number = 0
        try:
            for cells in reader:
                number += 1
                yield number, cells
        except csv.Error as error:
            raise _file_error(name, f"is not readable CSV: {error}", number + 1) from error

    return _table(name, numbered())


def load_json(text: str) -> Any:
    """`json.loads`, with a document nested too deeply or an integer too long for Python to read raised as
    the JSONDecodeError of any other unreadable JSON (they would be a RecursionError and a ValueError)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError as error:
        raise json.JSONDecodeError("nested too deeply", text, 0) from error
    except ValueError as error:
        # int("1" * 5000) is refused by Python (CVE-2020-10735), and so is such a number in JSON
        raise json.JSONDecodeError(str(error).split(";", 1)[0], text, 0) from error


# a JSON array is read an element (a row) at a time; none may be longer than this
MAX_JSON_ELEMENT_CHARS = 1024 * 1024
_JSON_READ_CHARS = 64 * 1024
_JSON_WHITESPACE = " \t\n\r"
_JSON_NUMBER_CHARACTERS = "0123456789.eE+-"


class _JsonStream:
    """A text stream read through a window that keeps only what is not yet decoded."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.text = ""
        self.position = 0  # in `text`
        self.offset = 0  # characters of the stream before `text`

    def read_more(self) -> bool:
        chunk = self.handle.read(_JSON_READ_CHARS)
        if not chunk:
            return False
        self.offset += self.position
        self.text = self.text[self.position :] + chunk
        self.position = 0
        return True

    def next_character(self) -> str:
        """The next character that is not whitespace, not consumed; "" at the end."""
        while True:
            while self.position < len(self.text) and self.text[self.position] in _JSON_WHITESPACE:
                self.position += 1
            if self.position < len(self.text):
                return self.text[self.position]
            if not self.read_more():
                return ""


def _json_error(name: str, message: str) -> ValidationFailed:
    return _file_error(name, f"is not valid JSON: {message}")


def _json_element(stream: _JsonStream, decoder: json.JSONDecoder, number: int, name: str) -> Any:
    while True:
        try:
            value, end = decoder.raw_decode(stream.text, stream.position)
        except json.JSONDecodeError as error:
            # most often the element goes on in the part of the file not read yet
            if len(stream.text) - stream.position > MAX_JSON_ELEMENT_CHARS:
                raise _json_error(
                    name, f"element {number} is longer than {MAX_JSON_ELEMENT_CHARS} characters"
                ) from error
            if stream.read_more():
                continue
            at = stream.offset + error.pos
            raise _json_error(name, f"element {number}: {error.msg} (character {at})") from error
        except RecursionError as error:
            raise _json_error(name, f"element {number} is nested too deeply") from error
        except ValueError as error:
            # an integer too long for Python (CVE-2020-10735)
            raise _json_error(name, f"element {number}: {str(error).split(';', 1)[0]}") from error
        # a number may go on in the part not read yet: "12" of "123", "1" of "1.5" read as far as "1."
        if not stream.text[end:].strip(_JSON_NUMBER_CHARACTERS) and stream.read_more():
            continue
        stream.position = end
        return value


def json_array_items(handle: TextIO, name: str) -> Iterator[tuple[int, Any]]:
    """The elements of a JSON document that is one array, numbered from 1, each as `json.loads` reads it,
    from a text stream read a window at a time: a list of a million objects is never held whole.

    Raises ValidationFailed, naming the element, when the document is not one valid JSON array or an
    element is longer than MAX_JSON_ELEMENT_CHARS (no row is).
    """
    stream = _JsonStream(handle)
    decoder = json.JSONDecoder()
    if stream.next_character() != "[":
        raise _file_error(name, "must hold a JSON array of objects, one a row")
    stream.position += 1
    number = 0
    if stream.next_character() == "]":
        stream.position += 1
    else:
        while True:
            number += 1
            stream.next_character()  # the decoder takes no whitespace before a value
            yield number, _json_element(stream, decoder, number, name)
            following = stream.next_character()
            at = stream.offset + stream.position
            stream.position += 1
            if following == "]":
                break
            if following == "":
                raise _json_error(name, f"the array is not closed (character {at})")
            if following != ",":
                raise _json_error(name, f"element {number + 1}: Expecting ',' delimiter (character {at})")
    if stream.next_character() != "":
        at = stream.offset + stream.position
        raise _json_error(name, f"Extra data after the array (character {at})")


def _check_zip(path: Path, name: str) -> None:
    """Refuse a workbook whose parts inflate far beyond what its size allows (a zip bomb), before any
    part of it is inflated. A part's declared size is what the zip reader inflates at most, so a zip
    that lies about it is cut short there (and fails its checksum) rather than inflating more."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _file_error(name, f"is not a readable XLSX workbook: {error}") from error
    inflated = 0
    for part in parts:
        inflated += part.file_size
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > SMALL_XLSX_PART_BYTES and ratio > MAX_XLSX_INFLATE_RATIO:
            raise _file_error(
                name,
                f"is refused: its part {part.filename} inflates {ratio:,.0f} times, to {part.file_size:,} "
                f"bytes (at most {MAX_XLSX_INFLATE_RATIO} times), as zip bombs do",
            )
    if inflated > MAX_XLSX_INFLATED_BYTES:
        raise _file_error(
            name,
            f"is refused: it inflates to {inflated:,} bytes, more than the {MAX_XLSX_INFLATED_BYTES:,} "
            "a workbook may",
        )


def _xlsx_table(path: Path, name: str) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_zip(path, name)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and data validation it cannot read; they carry no person data
            warnings.simplefilter("ignore", UserWarning)
            # read_only streams rows; without data_only a formula cell reads as its text `=…`, kept literally
            workbook = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise _file_error(name, f"is not a readable XLSX workbook: {error}") from error
    sheet = workbook.worksheets[0]
    if (sheet.max_column or 0) > MAX_XLSX_COLUMNS:
        # the sheet's own claim of its size would pad every row to it; its real rows are checked instead
        sheet.reset_dimensions()

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > MAX_XLSX_ROWS + 1:
                    raise _file_error(name, f"has more than {MAX_XLSX_ROWS} rows", number)
                if len(cells) > MAX_XLSX_COLUMNS and not _is_blank(cells[MAX_XLSX_COLUMNS:]):
                    raise _file_error(name, f"has more than {MAX_XLSX_COLUMNS} columns", number)
                yield number, list(cells[:MAX_XLSX_COLUMNS])
        finally:
            workbook.close()

    return _table(name, numbered())


def _json_table(data: bytes, name: str, lines: bool) -> Table:
    text = decode_text(data, name)
    columns: list[str] = []

    def note_columns(value: Any) -> Any:
        if isinstance(value, dict):
            columns.extend(key for key in value if key not in columns)
        return value

    def numbered_lines() -> Iterator[tuple[int, Any]]:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    value = load_json(line)
                except json.JSONDecodeError as error:
                    yield number, error
                    continue
                yield number, note_columns(value)

    if lines:
        return Table(name, columns, None, numbered_lines())
    try:
        document = load_json(text)
    except json.JSONDecodeError as error:
        raise _file_error(name, f"is not valid JSON: {error}") from error
    if not isinstance(document, list):
        raise _file_error(name, "must hold a JSON array of objects, one a row")
    return Table(name, columns, None, ((n, note_columns(v)) for n, v in enumerate(document, start=1)))


def read_table(path: Path, max_bytes: int) -> Table:
    """Open a CSV (any of our encodings and delimiters), JSON, JSONL or XLSX file as a table of rows.

    Raises ValidationFailed when the file cannot be read at all: unknown type, too large, not decodable.
    """
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise _file_error(name, f"unknown file type {suffix or '(none)'}: use {', '.join(sorted(SUFFIXES))}")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise _file_error(name, f"cannot be read: {error.strerror}") from error
    if size > max_bytes:
        raise _file_error(
            name, f"is {size} bytes, more than the {max_bytes} allowed (imports_max_file_bytes)"
        )
    if suffix in XLSX_SUFFIXES:
        return _xlsx_table(path, name)
    data = path.read_bytes()
    if suffix in CSV_SUFFIXES:
        return _csv_table(data, name)
    return _json_table(data, name, lines=suffix in JSONL_SUFFIXES)


def read_rows(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list[tuple[int, dict[str, Any]]]:
    """Every row of a CSV, JSON, JSONL or XLSX file as (row number, {column: cell}), for lists that are not
    persons files.

    The row number is the file's own (the line of a CSV or JSONL file, the sheet row, the position in a
    JSON array), so an error about a row points where a person looking at the file finds it. Blank rows
    carry nothing and are left out. Raises ValidationFailed, with every problem, when the header or a row
    cannot be read as one (a JSON line that is not an object, more cells than columns).
    """
    table = read_table(path, max_bytes)
    errors = list(table.errors)
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, cells in table.rows:
        if isinstance(cells, json.JSONDecodeError):
            errors.append(FieldError("line", f"is not valid JSON: {cells.msg}", number, table.name))
        elif not isinstance(cells, dict):
            errors.append(FieldError("row", "must be a JSON object", number, table.name))
        elif EXTRA_CELLS in cells:
            extra = len(cells[EXTRA_CELLS])
            errors.append(
                FieldError("row", f"has {extra} more cells than the header has columns", number, table.name)
            )
        elif not _is_blank(cells.values()):
            rows.append((number, cells))
    if errors:
        raise ValidationFailed(f"{table.name}: {len(errors)} row(s) cannot be read", errors)
    return rows


# --- checking ---------------------------------------------------------------------------------------------


def _check_columns(table: Table) -> list[FieldError]:
    errors: list[FieldError] = []
    for column in table.columns:
        if column and column not in INPUT_FIELDS:
            message = "unknown column (see the persons file in DESIGN.md)"
            errors.append(FieldError(column, message, table.header_row, table.name))
    for required in REQUIRED_FIELDS:
        if required not in table.columns:
            errors.append(FieldError(required, "missing column", table.header_row, table.name))
    return errors


def _check_row(number: int, cells: Mapping[str, Any], table: Table) -> PersonInput | list[FieldError]:
    errors: list[FieldError] = []
    extra = cells.get(EXTRA_CELLS)
    if extra is not None:
        message = f"has {len(extra)} more cells than the header has columns"
        errors.append(FieldError("row", message, number, table.name))
    # a table's unknown columns were reported once, on the header row; JSON has them reported per object
    known = {
        key: value
        for key, value in cells.items()
        if key != EXTRA_CELLS and (key in INPUT_FIELDS or table.header_row is None)
    }
    result = parse_person(known, number, table.name)
    if isinstance(result, list):
        return errors + result
    return errors or result


def read_person_file(path: Path, max_bytes: int) -> PersonFile:
    """Read a persons file and check every row; raises ValidationFailed when the file itself is unreadable."""
    table = read_table(path, max_bytes)
    name = table.name
    checked: list[tuple[int, dict[str, Any], PersonInput | list[FieldError]]] = []
    for number, cells in table.rows:
        if isinstance(cells, json.JSONDecodeError):
            error = FieldError("line", f"is not valid JSON: {cells.msg}", number, name)
            checked.append((number, {}, [error]))
        elif not isinstance(cells, dict):
            checked.append((number, {}, [FieldError("row", "must be a JSON object", number, name)]))
        elif not _is_blank(cells.values()):
            checked.append((number, cells, _check_row(number, cells, table)))
    file_errors = table.errors + (_check_columns(table) if table.header_row is not None else [])
    result = PersonFile(name=name, columns=list(table.columns), file_errors=file_errors)
    _reject_duplicates(checked, name)
    for number, cells, outcome in checked:
        if isinstance(outcome, list):
            kept = {key: value for key, value in cells.items() if key != EXTRA_CELLS}
            result.rejected.append(RejectedRow(number, kept, outcome))
        else:
            result.valid.append(outcome)
    return result


def _external_id(cells: Mapping[str, Any]) -> str | None:
    value = cells.get("external_id")
    if value is None or isinstance(value, bool | list | dict):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def _reject_duplicates(
    checked: list[tuple[int, dict[str, Any], PersonInput | list[FieldError]]], name: str
) -> None:
    """Every row of an external_id that occurs twice is an error: which of them is right is unknowable."""
    rows_of: dict[str, list[int]] = defaultdict(list)
    for index, (_number, cells, _outcome) in enumerate(checked):
        external_id = _external_id(cells)
        if external_id is not None:
            rows_of[external_id].append(index)
    for external_id, indexes in rows_of.items():
        if len(indexes) < 2:
            continue
        numbers = [checked[index][0] for index in indexes]
        for index in indexes:
            number, cells, outcome = checked[index]
            others = ", ".join(str(n) for n in numbers if n != number)
            error = FieldError("external_id", f"{external_id!r} is also on row {others}", number, name)
            errors = outcome if isinstance(outcome, list) else []
            checked[index] = (number, cells, [*errors, error])


# --- writing ----------------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_reject_file(person_file: PersonFile, target: Path) -> None:
    """Write the rejected rows as CSV: the original columns plus `error` with every reason."""
    columns = [column for column in person_file.columns if column and column != ERROR_COLUMN]
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*columns, ERROR_COLUMN])
        for rejected in person_file.rejected:
            reasons = "; ".join(str(error) for error in rejected.errors)
            writer.writerow([*(_cell_text(rejected.cells.get(column)) for column in columns), reasons])


@dataclass(frozen=True)
class ImportReport:
    summary: ImportSummary
    rejected: int
    reject_file: Path | None


def import_person_file(
    session: Session,
    person_file: PersonFile,
    actor: str,
    skip_invalid: bool = False,
    reject_file: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Write the valid rows of a checked file; raises ValidationFailed with every error when any row is bad.

    With `skip_invalid` the valid rows are written and the rejected ones go to `reject_file`; problems of the
    file itself (an unknown column) still stop the import, since every row would be read wrongly.
    """
    errors = person_file.errors
    if person_file.file_errors or (errors and not skip_invalid):
        rows = len({error.row for error in errors})
        raise ValidationFailed(
            f"{person_file.name}: {len(errors)} error(s) on {rows} row(s); nothing was imported", errors
        )
    if person_file.rejected and reject_file is None:
        raise ValueError("skip_invalid needs a reject file for the rejected rows")
    summary = import_persons(session, person_file.valid, actor, progress)
    # written after the rows, so a failed import leaves no reject file that suggests the rest went in
    if person_file.rejected and reject_file is not None:
        write_reject_file(person_file, reject_file)
    return ImportReport(summary, len(person_file.rejected), reject_file if person_file.rejected else None)
