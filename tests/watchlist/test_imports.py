"""Reading persons files: encodings, delimiters, formats, every error with file:row:field, reject files."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchlist import imports
from watchlist.exc import ValidationFailed
from watchlist.imports import import_person_file, read_person_file, sniff_delimiter
from watchlist.models import ConvictedPerson, PersonStatus
from watchlist.persons import find_person, watchlist_version

FIXTURES = Path(__file__).parents[1] / "fixtures" / "persons"
LIMIT = 10 * 1024 * 1024
HEADER = ["external_id", "full_name", "aliases", "birth_date", "verdict_date", "status", "notes"]
ROWS = [
    [
        "E-1",
        "Гнилицький Олег Петрович",
        "Гнилицкий Олег; Hnylytskyi Oleh",
        "1975-03",
        "2023-01-30",
        "wanted",
        "",
    ],
    ["E-2", "Коваленко Петро", "", "1981", "", "detained", "фіктивна особа"],
]


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def count_persons(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ConvictedPerson)) or 0


def run_import(session: Session, path: Path, **options: object) -> imports.ImportReport:
    person_file = read_person_file(path, LIMIT)
    return import_person_file(session, person_file, "test", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "utf-16"])
def test_csv_in_each_encoding_reads_the_same_cyrillic(
    tmp_path: Path, encoding: str, session: Session
) -> None:
    path = write_csv(tmp_path / "persons.csv", [HEADER, *ROWS], encoding=encoding)
    report = run_import(session, path)
    assert report.summary.created == 2
    stored = find_person(session, "E-1")
    assert stored.primary_name == "Гнилицький Олег Петрович"
    assert [n.name for n in stored.names][1:] == ["Гнилицкий Олег", "Hnylytskyi Oleh"]
    assert find_person(session, "E-2").notes == "фіктивна особа"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_csv_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = write_csv(tmp_path / "persons.csv", [HEADER, *ROWS], delimiter=delimiter)
    person_file = read_person_file(path, LIMIT)
    assert person_file.errors == []
    assert [p.external_id for p in person_file.valid] == ["E-1", "E-2"]
    assert person_file.valid[0].aliases == ("Гнилицкий Олег", "Hnylytskyi Oleh")


def test_sniffing_picks_the_delimiter_of_the_header() -> None:
    assert sniff_delimiter("external_id;full_name;notes") == ";"
    assert sniff_delimiter("external_id\tfull_name") == "\t"
    assert sniff_delimiter("external_id") == ","


def test_json_array_and_jsonl_read_the_same_persons(tmp_path: Path) -> None:
    objects = [dict(zip(HEADER, row, strict=True)) for row in ROWS]
    objects[0]["aliases"] = ["Гнилицкий Олег", "Hnylytskyi Oleh"]  # JSON may give a real list
    (tmp_path / "persons.json").write_text(json.dumps(objects, ensure_ascii=False), encoding="utf-8")
    lines = "\n".join(json.dumps(o, ensure_ascii=False) for o in objects) + "\n\n"
    (tmp_path / "persons.jsonl").write_text(lines, encoding="utf-8")
    from_json = read_person_file(tmp_path / "persons.json", LIMIT)
    from_jsonl = read_person_file(tmp_path / "persons.jsonl", LIMIT)
    assert from_json.errors == from_jsonl.errors == []
    assert from_json.valid == from_jsonl.valid
    assert from_json.valid[0].aliases == ("Гнилицкий Олег", "Hnylytskyi Oleh")


def test_xlsx_cells_of_any_type_are_read(tmp_path: Path, session: Session) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["External_ID", "full_name", "birth_date", "verdict_date", "notes"])
    sheet.append([1001, "Гнилицький Олег", 1975, datetime(2023, 1, 30), '=HYPERLINK("http://x")'])
    sheet.append([None, None, None, None, None])
    sheet.append([1002, "Коваленко Петро", datetime(1981, 7, 3), None, "+380 50 000 00 00"])
    workbook.save(tmp_path / "persons.xlsx")
    report = run_import(session, tmp_path / "persons.xlsx")
    assert report.summary.created == 2
    first = find_person(session, "1001")
    assert first.birth_date_text() == "1975"
    assert first.convictions[0].verdict_date is not None
    # a formula is never evaluated, nor dropped: it is stored as the text it is
    assert first.notes == '=HYPERLINK("http://x")'
    second = find_person(session, "1002")
    assert (second.birth_date_text(), second.notes) == ("1981-07-03", "+380 50 000 00 00")


def test_formula_looking_csv_cells_are_stored_literally(tmp_path: Path, session: Session) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [["external_id", "full_name", "notes", "birth_place"], ["F-1", "Олег", "=1+2", "@SUM(A1)"]],
    )
    run_import(session, path)
    stored = find_person(session, "F-1")
    assert (stored.notes, stored.birth_place) == ("=1+2", "@SUM(A1)")


def test_every_error_of_a_bad_file_is_reported_and_nothing_is_written(session: Session) -> None:
    version = watchlist_version(session)
    person_file = read_person_file(FIXTURES / "persons_invalid.csv", LIMIT)
    with pytest.raises(ValidationFailed) as caught:
        import_person_file(session, person_file, "test")
    assert [str(error) for error in caught.value.details] == [
        "persons_invalid.csv:2:birth_date: '1975-13-01' is not a real date",
        "persons_invalid.csv:3:full_name: is required",
        "persons_invalid.csv:4:verdict_date: '30.01.2023' is not a date YYYY-MM-DD",
        "persons_invalid.csv:4:status: must be one of wanted, located, detained, serving, closed",
        "persons_invalid.csv:5:external_id: 'FX-0104' is also on row 6",
        "persons_invalid.csv:6:external_id: 'FX-0104' is also on row 5",
    ]
    assert "nothing was imported" in caught.value.message
    assert count_persons(session) == 0
    assert watchlist_version(session) == version


def test_skip_invalid_writes_the_valid_rows_and_rejects_the_others_with_reasons(
    tmp_path: Path, session: Session
) -> None:
    reject = tmp_path / "rejected.csv"
    report = run_import(session, FIXTURES / "persons_invalid.csv", skip_invalid=True, reject_file=reject)
    assert (report.summary.created, report.rejected, report.reject_file) == (0, 5, reject)
    with reject.open(encoding="utf-8-sig", newline="") as handle:
        rejected = list(csv.DictReader(handle))
    assert [row["external_id"] for row in rejected] == ["FX-0101", "FX-0102", "FX-0103", "FX-0104", "FX-0104"]
    assert list(rejected[0])[-1] == "error"
    assert rejected[0]["notes"] == "bad month"
    assert rejected[2]["error"] == (
        "persons_invalid.csv:4:verdict_date: '30.01.2023' is not a date YYYY-MM-DD; "
        "persons_invalid.csv:4:status: must be one of wanted, located, detained, serving, closed"
    )


def test_a_csv_cell_longer_than_the_csv_modules_default_limit_is_an_error_of_its_field(
    tmp_path: Path,
) -> None:
    # Python's csv refuses cells over 131,072 characters, which made the whole file "not readable CSV"
    path = write_csv(tmp_path / "p.csv", [HEADER, ["E-1", "Олег" * 50_000, *ROWS[0][2:]], ROWS[1]])
    read = imports.read_person_file(path, 10**8)
    assert read.file_errors == [] and [person.external_id for person in read.valid] == [ROWS[1][0]]
    assert [(error.row, error.field) for error in read.rejected[0].errors] == [(2, "full_name")]
    assert "is longer than 512 characters" in read.rejected[0].errors[0].message


def test_skip_invalid_imports_the_good_rows(tmp_path: Path, session: Session) -> None:
    path = write_csv(tmp_path / "p.csv", [HEADER, ROWS[0], ["E-9", "", "", "", "", "", ""]])
    report = run_import(session, path, skip_invalid=True, reject_file=tmp_path / "r.csv")
    assert (report.summary.created, report.rejected) == (1, 1)
    assert find_person(session, "E-1").status is PersonStatus.WANTED


def test_reimporting_the_same_file_changes_nothing(session: Session) -> None:
    first = run_import(session, FIXTURES / "persons_valid.csv")
    version = watchlist_version(session)
    second = run_import(session, FIXTURES / "persons_valid.csv")
    assert (first.summary.created, second.summary.created, second.summary.unchanged) == (3, 0, 3)
    assert watchlist_version(session) == version
    assert all(len(find_person(session, key).changes) == 1 for key in ("FX-0001", "FX-0002", "FX-0003"))


def test_a_changed_row_updates_its_conviction_by_case_number(tmp_path: Path, session: Session) -> None:
    header = ["external_id", "full_name", "case_number", "sentence"]
    run_import(session, write_csv(tmp_path / "a.csv", [header, ["C-1", "Олег", "1/23", "8 years"]]))
    run_import(session, write_csv(tmp_path / "b.csv", [header, ["C-1", "Олег", "1/23", "10 years"]]))
    run_import(session, write_csv(tmp_path / "c.csv", [header, ["C-1", "Олег", "2/24", "5 years"]]))
    stored = find_person(session, "C-1")
    assert [(c.case_number, c.sentence) for c in stored.convictions] == [
        ("1/23", "10 years"),
        ("2/24", "5 years"),
    ]
    assert stored.changes[1].changes["convictions"][1][0]["sentence"] == "10 years"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty: no header row"),
        ("external_id,full_name,nickname\nA,B,C\n", "p.csv:1:nickname: unknown column"),
        ("external_id,notes\nA,B\n", "p.csv:1:full_name: missing column"),
        ("external_id,full_name,full_name\nA,B,C\n", "p.csv:1:full_name: appears twice in the header"),
        ("external_id,full_name\nA,B,C\n", "p.csv:2:row: has 1 more cells than the header has columns"),
    ],
)
def test_problems_of_the_table_itself_are_reported(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "p.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        person_file = read_person_file(path, LIMIT)
        import_person_file(None, person_file, "test")  # type: ignore[arg-type]
    reported = [str(error) for error in caught.value.details]
    assert any(line.startswith(message) or line.endswith(message) for line in reported), reported


def test_skip_invalid_does_not_skip_an_unknown_column(tmp_path: Path, session: Session) -> None:
    path = write_csv(tmp_path / "p.csv", [["external_id", "full_name", "nickname"], ["A", "Олег", "Alik"]])
    with pytest.raises(ValidationFailed, match="nothing was imported"):
        run_import(session, path, skip_invalid=True, reject_file=tmp_path / "r.csv")
    assert count_persons(session) == 0


def test_json_problems_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"external_id": "A", "full_name": "Олег"}\n{broken\n[1]\n', encoding="utf-8")
    person_file = read_person_file(path, LIMIT)
    assert [str(error) for error in person_file.errors] == [
        "p.jsonl:2:line: is not valid JSON: Expecting property name enclosed in double quotes",
        "p.jsonl:3:row: must be a JSON object",
    ]
    (tmp_path / "p.json").write_text('{"external_id": "A"}', encoding="utf-8")
    with pytest.raises(ValidationFailed, match="must hold a JSON array"):
        read_person_file(tmp_path / "p.json", LIMIT)


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [HEADER, *ROWS])
    with pytest.raises(ValidationFailed, match="more than the 100 allowed"):
        read_person_file(path, 100)


def test_an_unknown_file_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ValidationFailed, match="unknown file type .xls"):
        read_person_file(path, LIMIT)


def test_a_broken_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(ValidationFailed, match="is not a readable XLSX workbook"):
        read_person_file(path, LIMIT)


def test_an_xlsx_with_too_many_rows_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "MAX_XLSX_ROWS", 3)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["external_id", "full_name"])
    for number in range(5):
        sheet.append([f"X-{number}", "Олег"])
    workbook.save(tmp_path / "p.xlsx")
    with pytest.raises(ValidationFailed, match="has more than 3 rows"):
        read_person_file(tmp_path / "p.xlsx", LIMIT)


# --- the same readers for other lists (incoming lists for screening) -------------------------------------


def test_read_rows_gives_any_table_as_numbered_mappings_without_blank_rows(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "incoming.csv",
        [
            ["Record_ID", "full_name", "camp"],
            ["R-1", "Гнилицкий Олег", "5"],
            ["", "", ""],
            ["R-3", "Коваленко", ""],
        ],
        delimiter=";",
        encoding="cp1251",
    )
    rows = imports.read_rows(path)
    assert rows == [
        (2, {"record_id": "R-1", "full_name": "Гнилицкий Олег", "camp": "5"}),
        (4, {"record_id": "R-3", "full_name": "Коваленко", "camp": ""}),
    ]


def test_read_rows_refuses_rows_it_cannot_read_with_every_reason(tmp_path: Path) -> None:
    path = tmp_path / "incoming.jsonl"
    path.write_text('{"record_id": "R-1"}\n"just text"\n{oops\n', encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        imports.read_rows(path)
    assert [str(error) for error in caught.value.details] == [
        "incoming.jsonl:2:row: must be a JSON object",
        "incoming.jsonl:3:line: is not valid JSON: Expecting property name enclosed in double quotes",
    ]


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(
    elements=st.lists(_JSON_VALUES, max_size=8),
    indent=st.sampled_from([None, 0, 2]),
    read_chars=st.integers(min_value=1, max_value=40),
)
def test_a_json_array_read_a_window_at_a_time_gives_what_json_loads_gives(
    elements: list[object], indent: int | None, read_chars: int
) -> None:
    # a window of a few characters cuts elements, strings, numbers and escapes anywhere
    document = json.dumps(elements, indent=indent)
    original = imports._JSON_READ_CHARS
    imports._JSON_READ_CHARS = read_chars
    try:
        read = list(imports.json_array_items(io.StringIO(document), "list.json"))
    finally:
        imports._JSON_READ_CHARS = original
    assert read == list(enumerate(json.loads(document), start=1))
