"""The screening pages in real Chromium over the demo watchlist: a screener screens a Cyrillic name and a
Latin transliteration, uploads a demo incoming list, downloads its results, and switches the language."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from watchlist.db import session_scope
from watchlist.demo import INCOMING, load_demo_persons

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture
def demo_server(live_server: LiveServer, add_user: Callable[[str, str, str], None]) -> LiveServer:
    """The live server with the demo watchlist and a screener `petro`."""
    with session_scope(live_server.sessionmaker) as session:
        load_demo_persons(session)
    add_user("petro", "screener", PASSWORD)
    return live_server


def log_in(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("Ім'я користувача").fill("petro")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Увійти").click()
    expect(page.get_by_role("heading", name="Головна")).to_be_visible()


def expected_matches(file: str) -> dict[str, str]:
    with (INCOMING / "expected_matches.csv").open(encoding="utf-8") as handle:
        return {row["record_id"]: row["external_id"] for row in csv.DictReader(handle) if row["file"] == file}


def test_screen_one_person_in_cyrillic_and_in_latin(demo_server: LiveServer, page: Page) -> None:
    log_in(page, demo_server)
    page.get_by_role("link", name="Перевірити особу").first.click()
    expect(page.get_by_role("heading", name="Перевірка особи")).to_be_visible()

    page.get_by_label("Ім'я (прізвище, ім'я, по батькові)").fill("Мазурок Євген Іванович")
    page.get_by_label("Дата народження").fill("12.12.1990")
    page.get_by_role("button", name="Перевірити").click()
    expect(page.locator(".decision")).to_contain_text("ЗБІГ")
    expect(page.locator(".decision")).to_have_class("decision decision-hit")
    candidate = page.locator("article.candidate").first
    expect(candidate.locator("h3")).to_contain_text("Мазурок Євген Іванович")
    # the Latin spelling of his Russian passport, shown as a name from a document
    expect(candidate.locator(".names li", has_text="MAZUROK EVGENII")).to_contain_text("з документа")
    expect(candidate.locator("mark")).to_have_count(1)
    expect(candidate).to_contain_text("Mykolaiv Central District Court")
    expect(candidate).to_contain_text("FICT-2024-0033")
    expect(page.locator(".instruction")).to_contain_text("Не повідомляйте особу про збіг.")

    page.get_by_label("Ім'я (прізвище, ім'я, по батькові)").fill("Ostapchuk Oleksandr Pavlovych")
    page.get_by_label("Дата народження").fill("1957")
    page.get_by_role("button", name="Перевірити").click()
    expect(page.locator(".decision")).to_have_class("decision decision-hit")
    candidate = page.locator("article.candidate").first
    expect(candidate.locator("h3")).to_contain_text("Остапчук Олександр Павлович")
    expect(candidate).to_contain_text("DEMO-F-0100")
    expect(candidate.locator(".status")).to_have_text("відбуває покарання")
    expect(candidate.locator(".why")).to_contain_text("прізвище: «")


def test_upload_a_demo_list_download_results_and_switch_language(
    demo_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    log_in(page, demo_server)
    page.get_by_role("link", name="Перевірити список").first.click()
    page.get_by_label("Файл зі списком").set_input_files(INCOMING / "border_log.csv")
    page.get_by_role("button", name="Завантажити").click()
    # the page's script screens the list chunk by chunk, then shows the results
    expect(page.locator(".summary")).to_contain_text("Файл «border_log.csv»", timeout=60_000)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Завантажити CSV").click()
    target = tmp_path / "results.csv"
    download_info.value.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    by_record = {row["Запис"]: row for row in rows}
    with (INCOMING / "border_log.csv").open(encoding="utf-8") as handle:
        assert sorted(by_record) == sorted(row["record_id"] for row in csv.DictReader(handle))
    expected = expected_matches("border_log.csv")
    found = {record: external for record, external in expected.items() if external}
    assert found, "the demo list has expected matches"
    for record, external_id in found.items():
        assert by_record[record]["Номер у реєстрі"] == external_id, by_record[record]

    page.get_by_label("Результат").select_option("hit")
    page.get_by_role("button", name="Показати").click()
    first_hit = sorted(found)[0]
    expect(page.locator("table.results")).to_contain_text(first_hit)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Screen a list")).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("File «border_log.csv»")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download XLSX").click()
    target = tmp_path / "results.xlsx"
    download_info.value.save_as(target)
    workbook = load_workbook(target, read_only=True)
    sheet = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    header = list(sheet[0])
    assert header[:5] == ["Row", "Record", "Name", "Birth date", "Result"]
    records = {line[1]: line for line in sheet[1:]}
    for record, external_id in found.items():
        assert records[record][header.index("Register number")] == external_id


def test_a_list_with_other_headers_is_mapped_then_a_row_opened(
    demo_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    listing = tmp_path / "extradition.csv"
    listing.write_text(
        "Nr;Name of the person;DOB;Requested by\n"
        "1;Mazurok Yevhen Ivanovych;12 Dec 1990;DE\n"
        "2;;1980;PL\n"
        "3;Ткаченко Тарас Богданович;01.01.2001;CZ\n",
        encoding="utf-8",
    )
    log_in(page, demo_server)
    page.get_by_role("button", name="English").click()
    page.get_by_role("link", name="Screen a list").first.click()
    page.get_by_label("List file").set_input_files(listing)
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", name="Which column holds what")).to_be_visible()
    expect(page.locator("table.sample")).to_contain_text("Mazurok Yevhen Ivanovych")
    # the birth date column is recognised by its header; the name is not, and is needed
    expect(page.get_by_label("Birth date")).to_have_value("dob")
    page.get_by_role("button", name="Screen with this mapping").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Full name: choose the column of the full name or of the name parts"
    )
    page.get_by_label("Full name").select_option("name of the person")
    page.get_by_label("Record id").select_option("nr")
    page.get_by_role("button", name="Screen with this mapping").click()

    expect(page.locator(".summary")).to_contain_text("3 rows; 1 hits", timeout=60_000)
    expect(page.locator(".summary")).to_contain_text("1 could not be screened")
    invalid = page.locator("table.results tr.row-invalid")
    expect(invalid).to_contain_text("no name")

    page.locator("table.results tr.row-hit").get_by_role("link", name="HIT").click()
    expect(page.get_by_role("heading", name="Row 2 of «extradition.csv»")).to_be_visible()
    expect(page.locator(".decision")).to_have_class("decision decision-hit")
    expect(page.locator("article.candidate mark")).to_have_count(1)
    expect(page.locator("article.candidate")).to_contain_text("DEMO-F-0033")
    expect(page.locator(".instruction")).to_contain_text("Do not tell the person about the match.")
