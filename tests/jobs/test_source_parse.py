"""Reading deliveries: every format through the shared readers or defusedxml, with the field mapping."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import Workbook

from jobs.sources.config import FolderTransport, Source
from jobs.sources.parse import parse_delivery

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


def test_csv_rows_keep_the_file_row_numbers_and_unmapped_columns() -> None:
    content = "record_id;full_name;birth_date;camp\nP-1;Олег Гнилицький;1993;Camp 5\n\nP-2;Іван Петренко;;\n"
    parsed = parse_delivery(source(), content.encode("cp1251"))
    assert parsed.problem is None
    assert parsed.rows == [
        (2, {"record_id": "P-1", "full_name": "Олег Гнилицький", "birth_date": "1993", "camp": "Camp 5"}),
        (4, {"record_id": "P-2", "full_name": "Іван Петренко", "birth_date": "", "camp": ""}),
    ]


def test_the_mapping_renames_source_columns_and_keeps_a_clashing_one_apart() -> None:
    content = b"Nr,FIO,DOB,name\n7,Oleg Gnilitskii,1993,nickname\n"
    parsed = parse_delivery(
        source(mapping={"record_id": "Nr", "full_name": "FIO", "birth_date": "DOB"}), content
    )
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


def test_a_declared_encoding_is_used_instead_of_guessing() -> None:
    content = "record_id,full_name\n1,Олег Гнилицкий\n".encode("koi8_r")
    parsed = parse_delivery(source(encoding="koi8_r"), content)
    assert parsed.rows == [(2, {"record_id": "1", "full_name": "Олег Гнилицкий"})]


def test_a_header_without_a_mapped_column_is_a_problem_of_the_whole_delivery() -> None:
    parsed = parse_delivery(source(mapping={"full_name": "FIO"}), b"record_id,name\n1,Oleg\n")
    assert parsed.rows is None
    assert parsed.problem == "lacks the mapped column(s) FIO"


def test_a_jsonl_line_that_is_not_json_is_kept_for_quarantine_and_the_rest_read() -> None:
    content = b'{"record_id": "1", "full_name": "Oleg Gnilitskii"}\n{"record_id": "2", "full_na\n[1, 2]\n'
    parsed = parse_delivery(source("jsonl"), content)
    assert parsed.rows == [(1, {"record_id": "1", "full_name": "Oleg Gnilitskii"})]
    assert [(row.row_number, row.errors[0].field) for row in parsed.unreadable] == [(2, "line"), (3, "row")]


def test_a_truncated_json_document_cannot_be_used() -> None:
    parsed = parse_delivery(
        source("json"), json.dumps([{"record_id": "1", "full_name": "O G"}]).encode()[:-5]
    )
    assert parsed.rows is None
    assert parsed.problem is not None and "is not valid JSON" in parsed.problem


def test_a_csv_row_with_more_cells_than_the_header_is_kept_for_quarantine() -> None:
    parsed = parse_delivery(source(), b"record_id,full_name\n1,Oleg G\n2,Ivan P,extra\n")
    assert parsed.rows == [(2, {"record_id": "1", "full_name": "Oleg G"})]
    assert parsed.unreadable[0].row_number == 3
    assert parsed.unreadable[0].cells["extra_cells"] == ["extra"]


def test_xlsx_is_read_through_the_shared_reader(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["record_id", "full_name", "birth_date"])
    sheet.append(["X-1", "Гнилицький Олег Петрович", "1993-01-02"])
    workbook.save(tmp_path / "list.xlsx")
    parsed = parse_delivery(source("xlsx"), (tmp_path / "list.xlsx").read_bytes())
    assert parsed.rows == [
        (2, {"record_id": "X-1", "full_name": "Гнилицький Олег Петрович", "birth_date": "1993-01-02"})
    ]


def test_xml_records_are_read_by_path_with_attributes_and_unmapped_elements_kept() -> None:
    mapping = {
        "record_id": "@id",
        "full_name": "name",
        "birth_date": "born",
        "nationality": "citizenship",
        "document_number": "passport/@number",
    }
    parsed = parse_delivery(source("xml", record_path="person", mapping=mapping), EXTRADITION_XML)
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
def test_xml_bombs_and_external_entities_are_refused_with_a_clear_reason(content: bytes) -> None:
    parsed = parse_delivery(source("xml", record_path="person", mapping={"full_name": "name"}), content)
    assert parsed.rows is None
    assert parsed.problem is not None
    assert "declares entities or external references" in parsed.problem


def test_html_is_refused_before_any_reader_sees_it() -> None:
    parsed = parse_delivery(source(), b"<!doctype html>\n<html><title>Login</title></html>")
    assert parsed.problem == "is an HTML page, not a list"
    xml_html = parse_delivery(
        source("xml", record_path="person"), b"<?xml version='1.0'?><html><body/></html>"
    )
    assert xml_html.problem == "is an HTML page, not a list"
