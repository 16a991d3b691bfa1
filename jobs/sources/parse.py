"""Reading a delivery's bytes as rows of record fields, with the source's field mapping applied.

CSV, JSON, JSONL and XLSX go through `watchlist.imports.read_table` (its encodings, delimiter sniffing
and XLSX limits); XML through defusedxml, which refuses entity declarations (XML bombs) and external
references. A row that cannot be read as a row is kept for quarantine; a file that cannot be read at all,
or whose header lacks a mapped column, is a problem of the whole delivery.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from jobs.sources.config import Source
from watchlist.exc import FieldError, ValidationFailed
from watchlist.imports import EXTRA_CELLS, read_table
from watchlist.incoming import UnreadableRow, content_problem
from watchlist.screening import QUERY_FIELDS


@dataclass
class ParsedDelivery:
    """A delivery read: its rows (row number, {record field: cell}), rows unreadable as rows, or why the
    whole file cannot be used."""

    rows: list[tuple[int, dict[str, Any]]] | None = None
    unreadable: list[UnreadableRow] = field(default_factory=list)
    problem: str | None = None


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


def _decoded(content: bytes, encoding: str) -> bytes:
    # the shared reader detects UTF-8 / UTF-16 / cp1251 itself; a declared encoding is applied here
    return content if encoding == "auto" else content.decode(encoding).encode("utf-8")


def _table_rows(source: Source, content: bytes, max_bytes: int) -> ParsedDelivery:
    if source.format != "xlsx":
        try:
            content = _decoded(content, source.encoding)
        except UnicodeDecodeError as error:
            return ParsedDelivery(problem=f"is not valid {source.encoding} text: {error.reason}")
    with tempfile.TemporaryDirectory(prefix="watchlist-delivery-") as folder:
        path = Path(folder) / f"delivery.{source.format}"
        path.write_bytes(content)
        try:
            table = read_table(path, max_bytes)
            if table.errors:
                raise ValidationFailed("the header cannot be read", table.errors)
            parsed = ParsedDelivery(rows=[])
            seen_columns: set[str] = set(table.columns)
            for number, cells in table.rows:
                _take_row(parsed, number, cells, source.mapping, seen_columns)
        except ValidationFailed as error:
            return ParsedDelivery(problem=_problem(error))
    missing = sorted(column for column in source.mapping.values() if column.lower() not in seen_columns)
    if missing and parsed.rows:
        return ParsedDelivery(problem=f"lacks the mapped column(s) {', '.join(missing)}")
    return parsed


def _take_row(
    parsed: ParsedDelivery, number: int, cells: Any, mapping: Mapping[str, str], seen_columns: set[str]
) -> None:
    assert parsed.rows is not None
    if isinstance(cells, json.JSONDecodeError):
        parsed.unreadable.append(UnreadableRow(number, {}, [FieldError("line", f"is not JSON: {cells.msg}")]))
    elif not isinstance(cells, dict):
        parsed.unreadable.append(
            UnreadableRow(number, {"value": str(cells)[:200]}, [FieldError("row", "is not a JSON object")])
        )
    elif EXTRA_CELLS in cells:
        extra = cells.pop(EXTRA_CELLS)
        parsed.unreadable.append(
            UnreadableRow(
                number,
                {**cells, "extra_cells": [str(cell) for cell in extra]},
                [FieldError("row", f"has {len(extra)} more cells than the header has columns")],
            )
        )
    elif any(cell not in (None, "") and str(cell).strip() for cell in cells.values()):
        seen_columns.update(str(column).lower() for column in cells)
        parsed.rows.append((number, _apply_mapping(cells, mapping)))


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


def _xml_rows(source: Source, content: bytes) -> ParsedDelivery:
    try:
        root = fromstring(content, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        return ParsedDelivery(
            problem=f"is refused: the XML declares entities or external references ({type(error).__name__}), "
            f"as XML bombs and entity attacks do"
        )
    except ParseError as error:
        return ParsedDelivery(problem=f"is not well-formed XML: {error}")
    if root.tag.lower() == "html":
        return ParsedDelivery(problem="is an HTML page, not a list")
    assert source.record_path is not None
    parsed = ParsedDelivery(rows=[])
    elements: Iterable[Element] = root.findall(source.record_path)
    assert parsed.rows is not None
    for number, element in enumerate(elements, start=1):
        cells = _xml_cells(element)
        row: dict[str, Any] = {
            record_field: _xml_value(element, path) for record_field, path in source.mapping.items()
        }
        mapped = {path for path in source.mapping.values()}
        for key, value in cells.items():
            if key not in mapped:
                row[f"source_{key}" if key in QUERY_FIELDS else key.lstrip("@")] = value
        parsed.rows.append((number, row))
    return parsed


def parse_delivery(source: Source, content: bytes, content_type: str | None = None) -> ParsedDelivery:
    """Read a delivery of `source` as rows of record fields, or say why it cannot be used."""
    problem = content_problem(content, content_type)
    if problem is not None:
        return ParsedDelivery(problem=problem)
    if source.format == "xml":
        return _xml_rows(source, content)
    return _table_rows(source, content, source.limits.max_bytes)
