"""Reading deliveries from their files as streams of rows: every format, with the field mapping."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from jobs.sources.config import FolderTransport, Source
from jobs.sources.parse import ParsedDelivery, parse_delivery
from watchlist.incoming import UnreadableRow

XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<persons><person id="1"><name>&lol3;</name></person></persons>"""

XML_EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE persons [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<persons><person id="1"><name>&secret;</name></person></persons>"""

EXTRADITION_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<list>
  <person id="DE-1">
    <name>Gnilizkij, Oleg</name><born>1993</born><citizenship>RU</citizenship>
    <passport number="AC6462168"/><warrant>2024/17</warrant>
  </person>
  <person id="DE-2"><name>Wladimir Deduch</name><born>20.03.1990</born></person>
</list>
"""


def source(format_: str = "csv", **changes: object) -> Source:
    base = Source("pow", "pow", format_, FolderTransport(Path("/nonexistent")))  # type: ignore[arg-type]
    return replace(base, **changes)  # type: ignore[arg-type]


@dataclass
class Read:
    """A delivery read to its end: the rows, the rows unreadable as rows, or the problem."""

    parsed: ParsedDelivery
    rows: list[tuple[int, Any]] | None = None
    unreadable: list[UnreadableRow] = field(default_factory=list)

    @property
    def problem(self) -> str | None:
        return self.parsed.problem


Parse = Callable[[Source, bytes], Read]


@pytest.fixture
def parse(tmp_path: Path) -> Parse:
    def read(src: Source, content: bytes) -> Read:
        path = tmp_path / f"delivery.{src.format}"
        path.write_bytes(content)
        parsed = parse_delivery(src, path)
        if parsed.problem is not None:
            return Read(parsed)
        rows = list(parsed.rows())
        assert len(rows) == parsed.total
        result = Read(parsed, [row for row in rows if not isinstance(row, UnreadableRow)])
        result.unreadable = [row for row in rows if isinstance(row, UnreadableRow)]
        return result

    return read


def test_csv_rows_keep_the_file_row_numbers_and_unmapped_columns(parse: Parse) -> None:
    content = "record_id;full_name;birth_date;camp\nP-1;Олег Гнилицький;1993;Camp 5\n\nP-2;Іван Петренко;;\n"
    parsed = parse(source(), content.encode("cp1251"))
    assert parsed.problem is None
    assert parsed.rows == [
        (2, {"record_id": "P-1", "full_name": "Олег Гнилицький", "birth_date": "1993", "camp": "Camp 5"}),
        (4, {"record_id": "P-2", "full_name": "Іван Петренко", "birth_date": "", "camp": ""}),
    ]


def test_the_mapping_renames_source_columns_and_keeps_a_clashing_one_apart(parse: Parse) -> None:
    content = b"Nr,FIO,DOB,name\n7,Oleg Gnilitskii,1993,nickname\n"
    parsed = parse(source(mapping={"record_id": "Nr", "full_name": "FIO", "birth_date": "DOB"}), content)
    assert parsed.rows == [
        (
            2,
            {
                "record_id": "7",
                "full_name": "Oleg Gnilitskii",
                "birth_date": "1993",
                "source_name": "nickname",
            },
        )
    ]


def test_a_declared_encoding_is_used_instead_of_guessing(parse: Parse) -> None:
    content = "record_id,full_name\n1,Олег Гнилицкий\n".encode("koi8_r")
    parsed = parse(source(encoding="koi8_r"), content)
    assert parsed.rows == [(2, {"record_id": "1", "full_name": "Олег Гнилицкий"})]


def test_a_header_without_a_mapped_column_is_a_problem_of_the_whole_delivery(parse: Parse) -> None:
    parsed = parse(source(mapping={"full_name": "FIO"}), b"record_id,name\n1,Oleg\n")
    assert parsed.rows is None
    assert parsed.problem == "lacks the mapped column(s) FIO"


def test_a_jsonl_line_that_is_not_json_is_kept_for_quarantine_and_the_rest_read(parse: Parse) -> None:
    content = b'{"record_id": "1", "full_name": "Oleg Gnilitskii"}\n{"record_id": "2", "full_na\n[1, 2]\n'
    parsed = parse(source("jsonl"), content)
    assert parsed.rows == [(1, {"record_id": "1", "full_name": "Oleg Gnilitskii"})]
    assert [(row.row_number, row.errors[0].field) for row in parsed.unreadable] == [(2, "line"), (3, "row")]


def test_a_truncated_json_document_cannot_be_used(parse: Parse) -> None:
    parsed = parse(source("json"), json.dumps([{"record_id": "1", "full_name": "O G"}]).encode()[:-5])
    assert parsed.rows is None
    assert parsed.problem is not None and "is not valid JSON" in parsed.problem


def test_a_json_array_is_read_element_by_element_as_json_reads_it(parse: Parse) -> None:
    # elements longer than a read of the file, numbers cut by a read, each value as json.loads gives it
    long_name = "Гнилицький " * 9000
    document = [
        {"record_id": 1, "full_name": long_name, "weight": 1.5},
        {"record_id": "2", "full_name": "O\\u2019Brien \\ud800", "born": None},
        "not an object",
        12345678901234567890,
    ]
    content = ("\ufeff [ " + " ,\n".join(json.dumps(item) for item in document) + " ]\n\n").encode()
    read = parse(source("json"), content)
    assert read.rows == [
        (1, {"record_id": 1, "full_name": long_name, "weight": 1.5}),
        (2, {"record_id": "2", "full_name": "O\\u2019Brien \\ud800", "born": None}),
    ]
    assert [(row.row_number, row.cells) for row in read.unreadable] == [
        (3, {"value": "not an object"}),
        (4, {"value": "12345678901234567890"}),
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"record_id": "1"}', "must hold a JSON array"),
        (b'[{"record_id": "1"} {"record_id": "2"}]', "element 2: Expecting ',' delimiter"),
        (b'[{"record_id": "1"},]', "element 2: Expecting value"),
        (b'[{"record_id": "1"}] [', "Extra data after the array"),
        (b"[" * 100_000, "nested too deeply"),
        (b'[{"a": ' + b"1" * 5000 + b"}]", "element 1"),
        (b'[{"a": "' + b"x" * (3 * 1024 * 1024) + b'"}]', "element 1 is longer than"),
        (b"   ", "is empty"),
    ],
)
def test_a_json_document_that_is_not_one_valid_array_cannot_be_used(
    parse: Parse, content: bytes, reason: str
) -> None:
    read = parse(source("json"), content)
    assert read.rows is None
    assert read.problem is not None and reason in read.problem, read.problem


def test_a_csv_row_with_more_cells_than_the_header_is_kept_for_quarantine(parse: Parse) -> None:
    parsed = parse(source(), b"record_id,full_name\n1,Oleg G\n2,Ivan P,extra\n")
    assert parsed.rows == [(2, {"record_id": "1", "full_name": "Oleg G"})]
    assert parsed.unreadable[0].row_number == 3
    assert parsed.unreadable[0].cells["extra_cells"] == ["extra"]


def test_xlsx_is_read_through_the_shared_reader(tmp_path: Path, parse: Parse) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["record_id", "full_name", "birth_date"])
    sheet.append(["X-1", "Гнилицький Олег Петрович", "1993-01-02"])
    workbook.save(tmp_path / "list.xlsx")
    parsed = parse(source("xlsx"), (tmp_path / "list.xlsx").read_bytes())
    assert parsed.rows == [
        (2, {"record_id": "X-1", "full_name": "Гнилицький Олег Петрович", "birth_date": "1993-01-02"})
    ]


def test_xml_records_are_read_by_path_with_attributes_and_unmapped_elements_kept(parse: Parse) -> None:
    mapping = {
        "record_id": "@id",
        "full_name": "name",
        "birth_date": "born",
        "nationality": "citizenship",
        "document_number": "passport/@number",
    }
    parsed = parse(source("xml", record_path="person", mapping=mapping), EXTRADITION_XML)
    assert parsed.problem is None
    assert parsed.rows == [
        (
            1,
            {
                "record_id": "DE-1",
                "full_name": "Gnilizkij, Oleg",
                "birth_date": "1993",
                "nationality": "RU",
                "document_number": "AC6462168",
                "warrant": "2024/17",
            },
        ),
        (
            2,
            {
                "record_id": "DE-2",
                "full_name": "Wladimir Deduch",
                "birth_date": "20.03.1990",
                "nationality": None,
                "document_number": None,
            },
        ),
    ]


@pytest.mark.parametrize(
    "content", [XML_BOMB, XML_EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"]
)
def test_xml_bombs_and_external_entities_are_refused_with_a_clear_reason(
    content: bytes, parse: Parse
) -> None:
    parsed = parse(source("xml", record_path="person", mapping={"full_name": "name"}), content)
    assert parsed.rows is None
    assert parsed.problem is not None
    assert "declares entities or external references" in parsed.problem


def test_html_is_refused_before_any_reader_sees_it(parse: Parse) -> None:
    parsed = parse(source(), b"<!doctype html>\n<html><title>Login</title></html>")
    assert parsed.problem == "is an HTML page, not a list"
    xml_html = parse(source("xml", record_path="person"), b"<?xml version='1.0'?><html><body/></html>")
    assert xml_html.problem == "is an HTML page, not a list"


def _peak_bytes(read: Callable[[], int]) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = read()
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("format_", ["csv", "jsonl", "json", "xml"])
def test_a_large_delivery_is_read_as_a_stream_of_rows_not_held_whole(tmp_path: Path, format_: str) -> None:
    rows = 30_000
    path = tmp_path / f"big.{format_}"
    with path.open("w", encoding="utf-8") as handle:
        if format_ == "csv":
            handle.write("record_id,full_name,birth_date,crossing_point\n")
        if format_ == "xml":
            handle.write("<list>\n")
        if format_ == "json":
            handle.write("[\n")
        for number in range(rows):
            values = (f"B-{number:06}", f"Гнилицький Олег {number}", "1993-01-02", "Chonhar")
            if format_ == "csv":
                handle.write(",".join(values) + "\n")
            elif format_ in ("jsonl", "json"):
                keys = ("record_id", "full_name", "birth_date", "crossing_point")
                separator = "\n" if format_ == "jsonl" or number == rows - 1 else ",\n"
                handle.write(json.dumps(dict(zip(keys, values, strict=True)), ensure_ascii=False) + separator)
            else:
                handle.write(
                    f'<person id="{values[0]}"><name>{values[1]}</name><born>{values[2]}</born>'
                    f"<point>{values[3]}</point></person>\n"
                )
        if format_ == "xml":
            handle.write("</list>\n")
        if format_ == "json":
            handle.write("]\n")
    mapping = {"record_id": "@id", "full_name": "name"} if format_ == "xml" else {}
    src = source(format_, mapping=mapping, record_path="person" if format_ == "xml" else None)

    parsed = parse_delivery(src, path)
    assert parsed.problem is None and parsed.total == rows
    count, peak = _peak_bytes(lambda: sum(1 for _row in parsed.rows()))
    assert count == rows
    # the rows as dicts would take several times the file's size; a stream holds a few rows and a buffer
    assert peak < path.stat().st_size / 4, f"peak {peak} bytes for a file of {path.stat().st_size}"


def test_a_truncated_xml_delivery_is_a_problem_found_before_any_row_is_used(parse: Parse) -> None:
    content = EXTRADITION_XML[: EXTRADITION_XML.index(b'<person id="DE-2">') + 30]
    read = parse(source("xml", record_path="person", mapping={"full_name": "name"}), content)
    assert read.rows is None
    assert read.problem is not None and read.problem.startswith("is not well-formed XML")


def test_xml_records_below_the_root_and_at_any_depth_are_found_by_their_path(parse: Parse) -> None:
    content = (
        b"<export><meta><person id='no'>not a record</person></meta>"
        b"<records><person id='A'><name>Oleg G</name></person>"
        b"<person id='B'><name>Ivan P</name></person></records></export>"
    )
    below = parse(source("xml", record_path="records/person", mapping={"record_id": "@id"}), content)
    assert [row[1]["record_id"] for row in below.rows or []] == ["A", "B"]
    anywhere = parse(source("xml", record_path=".//person", mapping={"record_id": "@id"}), content)
    assert [row[1]["record_id"] for row in anywhere.rows or []] == ["no", "A", "B"]


def test_a_csv_in_cp1251_with_a_stray_byte_late_in_the_file_is_still_read_as_cp1251(parse: Parse) -> None:
    # the encoding is judged on the whole file, not its first block: UTF-8 would break at the last row
    body = "".join(f"{n},Person {n}\n" for n in range(1, 40_000)) + "40000,Олег Гнилицький\n"
    read = parse(source(), ("record_id,full_name\n" + body).encode("cp1251"))
    assert read.rows is not None and read.rows[-1] == (
        40_001,
        {"record_id": "40000", "full_name": "Олег Гнилицький"},
    )
