"""Reading a delivery's file as a stream of numbered rows of record fields, with the source's field mapping
applied, so a list of a million rows is never held in memory whole.

CSV and JSONL are read line by line (the encoding detected as `watchlist.imports` does: a byte-order mark,
else UTF-8 when the whole file is valid UTF-8, else cp1251; the delimiter sniffed from the header); XLSX
through openpyxl's read-only mode (its rows streamed, with the shared reader's row limit); XML with
defusedxml's iterparse, which refuses entity declarations (XML bombs) and external references, each record
element dropped once read. A JSON document (one array) is read an element at a time
(`watchlist.imports.json_array_items`). A row that cannot be read as a row is kept for quarantine; a file that
cannot be read at all, or whose header lacks a mapped column, is a problem of the whole delivery.

A delivery is read twice: once to count its rows and find a problem anywhere in it (a truncated XML
document, a stray byte at the end), before anything is written; then again as it is stored.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from jobs.sources.config import Source
from watchlist.exc import FieldError, ValidationFailed
from watchlist.imports import (
    EXTRA_CELLS,
    Table,
    _table,
    json_array_items,
    load_json,
    read_table,
    sniff_delimiter,
)
from watchlist.incoming import DeliveredRow, UnreadableRow, content_problem
from watchlist.screening import QUERY_FIELDS

# bytes read at a time when a file is checked, hashed or its encoding told
CHUNK_BYTES = 1024 * 1024
# how much of the file's start tells an HTML page from a list
HEAD_BYTES = 4096


class UnusableDelivery(Exception):
    """The whole delivery cannot be used; the message says why, as the delivery's reason."""


@dataclass(frozen=True)
class ParsedDelivery:
    """A delivery read: why the whole file cannot be used, or how many rows it has and how to read them
    (again and again, each time from the file)."""

    problem: str | None = None
    total: int = 0
    read: Callable[[], Iterator[DeliveredRow]] | None = None

    def rows(self) -> Iterator[DeliveredRow]:
        """The delivery's rows in file order: (row number, {record field: cell}) or an UnreadableRow."""
        return self.read() if self.read is not None else iter(())


def _problem(error: ValidationFailed) -> str:
    details = "; ".join(str(detail) for detail in error.details[:5])
    return f"cannot be read: {error.message}" + (f" ({details})" if details else "")


def _cell(cells: Mapping[str, Any], column: str) -> Any:
    if column in cells:
        return cells[column]
    return cells.get(column.lower())


def _apply_mapping(cells: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    if not mapping:
        return dict(cells)
    mapped_columns = {column.lower() for column in mapping.values()}
    row: dict[str, Any] = {record_field: _cell(cells, column) for record_field, column in mapping.items()}
    for column, value in cells.items():
        if column.lower() in mapped_columns:
            continue
        # an unmapped column named like a record field must not be taken for one
        key = f"source_{column}" if column.lower() in QUERY_FIELDS else column
        row[key] = value
    return row


# --- text files -------------------------------------------------------------------------------------------


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def text_encoding(path: Path, declared: str = "auto") -> str:
    """The codec to read a text delivery with: the declared one, else as `watchlist.imports.decode_text`
    guesses (a byte-order mark; UTF-8 when all of the file is; else Windows-1251)."""
    if declared != "auto":
        return declared
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8" if _is_utf8(path) else "cp1251"


def _csv_table(path: Path, encoding: str) -> Table:
    with path.open(encoding=encoding, newline="") as handle:
        delimiter = sniff_delimiter(handle.readline())

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        number = 0
        with path.open(encoding=encoding, newline="") as handle:
            try:
                for cells in csv.reader(handle, delimiter=delimiter):
                    number += 1
                    yield number, cells
            except csv.Error as error:
                raise ValidationFailed(
                    f"{path.name}: is not readable CSV",
                    [FieldError("file", str(error), number + 1, path.name)],
                ) from error

    return _table(path.name, numbered())


def _jsonl_values(handle: TextIO, name: str) -> Iterator[tuple[int, Any]]:
    # a line that is not JSON is handed on as its error, for quarantine
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            yield number, load_json(line)
        except json.JSONDecodeError as error:
            yield number, error


def _json_values_table(
    path: Path, encoding: str, values: Callable[[TextIO, str], Iterator[tuple[int, Any]]]
) -> Table:
    """A table of the numbered JSON values `values` reads from the file, its columns the objects' keys in
    order of appearance."""
    columns: list[str] = []

    def numbered() -> Iterator[tuple[int, Any]]:
        with path.open(encoding=encoding) as handle:
            for number, value in values(handle, path.name):
                if isinstance(value, dict):
                    columns.extend(key for key in value if key not in columns)
                yield number, value

    return Table(path.name, columns, None, numbered())


def _open_table(source: Source, path: Path, encoding: str) -> Table:
    if source.format == "csv":
        return _csv_table(path, encoding)
    if source.format == "jsonl":
        return _json_values_table(path, encoding, _jsonl_values)
    if source.format == "json":
        return _json_values_table(path, encoding, json_array_items)
    # XLSX streams through openpyxl's read-only mode
    return read_table(path, source.limits.max_bytes)


def _row(
    number: int, cells: Any, mapping: Mapping[str, str], seen_columns: set[str] | None
) -> DeliveredRow | None:
    if isinstance(cells, json.JSONDecodeError):
        return UnreadableRow(number, {}, [FieldError("line", f"is not JSON: {cells.msg}")])
    if not isinstance(cells, dict):
        return UnreadableRow(number, {"value": str(cells)[:200]}, [FieldError("row", "is not a JSON object")])
    if EXTRA_CELLS in cells:
        extra = cells.pop(EXTRA_CELLS)
        return UnreadableRow(
            number,
            {**cells, "extra_cells": [str(cell) for cell in extra]},
            [FieldError("row", f"has {len(extra)} more cells than the header has columns")],
        )
    if any(cell not in (None, "") and str(cell).strip() for cell in cells.values()):
        if seen_columns is not None:
            seen_columns.update(str(column).lower() for column in cells)
        return number, _apply_mapping(cells, mapping)
    return None


def _table_rows(source: Source, path: Path, encoding: str, seen_columns: set[str]) -> Iterator[DeliveredRow]:
    try:
        table = _open_table(source, path, encoding)
        if table.errors:
            raise ValidationFailed("the header cannot be read", table.errors)
        seen_columns.update(table.columns)
        # a table's rows have the header's columns; JSON objects bring their own keys
        row_columns = seen_columns if table.header_row is None else None
        for number, cells in table.rows:
            row = _row(number, cells, source.mapping, row_columns)
            if row is not None:
                yield row
    except ValidationFailed as error:
        raise UnusableDelivery(_problem(error)) from error
    except UnicodeDecodeError as error:
        raise UnusableDelivery(f"is not valid {encoding} text: {error.reason}") from error


def _table_delivery(source: Source, path: Path) -> ParsedDelivery:
    encoding = "utf-8"
    if source.format != "xlsx":
        encoding = text_encoding(path, source.encoding)
    seen_columns: set[str] = set()
    total = _count(lambda: _table_rows(source, path, encoding, seen_columns))
    if isinstance(total, str):
        return ParsedDelivery(problem=total)
    missing = sorted(column for column in source.mapping.values() if column.lower() not in seen_columns)
    if missing and total:
        return ParsedDelivery(problem=f"lacks the mapped column(s) {', '.join(missing)}")
    return ParsedDelivery(total=total, read=lambda: _table_rows(source, path, encoding, set()))


# --- XML --------------------------------------------------------------------------------------------------


def _xml_value(element: Element, path: str) -> str | None:
    if path.startswith("@"):
        return element.get(path[1:])
    if "/@" in path:
        inner, attribute = path.rsplit("/@", 1)
        found = element.find(inner)
        return found.get(attribute) if found is not None else None
    text = element.findtext(path)
    return text.strip() if text is not None else None


def _xml_cells(element: Element) -> dict[str, Any]:
    cells: dict[str, Any] = {f"@{name}": value for name, value in element.attrib.items()}
    for child in element:
        if len(child) == 0 and child.text and child.text.strip():
            cells[child.tag] = child.text.strip()
    return cells


def _xml_row(element: Element, mapping: Mapping[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {record_field: _xml_value(element, path) for record_field, path in mapping.items()}
    mapped = set(mapping.values())
    for key, value in _xml_cells(element).items():
        if key not in mapped:
            row[f"source_{key}" if key in QUERY_FIELDS else key.lstrip("@")] = value
    return row


def _record_path(record_path: str) -> tuple[list[str], bool]:
    # "person", "records/person" (below the root), or ".//person" (at any depth)
    anywhere = record_path.startswith((".//", "//"))
    parts = [part for part in record_path.removeprefix(".").split("/") if part and part != "."]
    return parts, anywhere


def _xml_rows(source: Source, path: Path) -> Iterator[DeliveredRow]:
    assert source.record_path is not None
    parts, anywhere = _record_path(source.record_path)
    # the open elements from the root down; a record element is dropped from its parent once read
    stack: list[Element] = []
    number = 0
    try:
        events = iterparse(
            str(path), events=("start", "end"), forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
        for event, element in events:
            if event == "start":
                if not stack and element.tag.lower() == "html":
                    raise UnusableDelivery("is an HTML page, not a list")
                stack.append(element)
                continue
            stack.pop()
            tags = [open_element.tag for open_element in stack[1:]] + [element.tag]
            if not stack or not (tags == parts or (anywhere and tags[-len(parts) :] == parts)):
                continue
            number += 1
            yield number, _xml_row(element, source.mapping)
            stack[-1].remove(element)
    except DefusedXmlException as error:
        raise UnusableDelivery(
            f"is refused: the XML declares entities or external references ({type(error).__name__}), "
            f"as XML bombs and entity attacks do"
        ) from error
    except ParseError as error:
        raise UnusableDelivery(f"is not well-formed XML: {error}") from error


# --- any format -------------------------------------------------------------------------------------------


def _count(read: Callable[[], Iterator[DeliveredRow]]) -> int | str:
    """The rows a reading yields, or why the file cannot be used."""
    total = 0
    try:
        for _row in read():
            total += 1
    except UnusableDelivery as error:
        return str(error)
    return total


def file_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first bytes of a file."""
    with path.open("rb") as handle:
        return handle.read(size)


def parse_delivery(source: Source, path: Path, content_type: str | None = None) -> ParsedDelivery:
    """Read a delivery of `source` (a file) as a stream of rows of record fields, or say why it cannot
    be used; the whole file is read once here, to count its rows and find any problem in it."""
    problem = content_problem(file_head(path), content_type)
    if problem is not None:
        return ParsedDelivery(problem=problem)
    if source.format == "xml":
        total = _count(lambda: _xml_rows(source, path))
        if isinstance(total, str):
            return ParsedDelivery(problem=total)
        return ParsedDelivery(total=total, read=lambda: _xml_rows(source, path))
    return _table_delivery(source, path)
