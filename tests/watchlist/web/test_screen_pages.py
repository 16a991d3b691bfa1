"""The screening pages as an official sees them: one person, a list with its mapping step, filters, files."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from watchlist.db import get_session
from watchlist.demo import INCOMING, load_demo_persons
from watchlist.exc import Unavailable
from watchlist.list_screening import CHUNK_SIZE, FORMULA_TRIGGERS, LIST_MAX_ROWS, escape_formula
from watchlist.models import AuditEvent, Role, User
from watchlist.models.list_screenings import ListScreening
from watchlist.screening import screening_service
from watchlist.users import create_user

PASSWORD = "correct horse battery"
GNILITSKYI = "Гнилицький Олег Юрійович"


def csrf_of(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1).decode()


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def demo(session: Session) -> None:
    load_demo_persons(session)
    session.commit()


@pytest.fixture
def signed_in(client: FlaskClient, make_user: Callable[..., User]) -> Callable[[Role], str]:
    """Factory: log the client in as a new user of `role`; returns the CSRF token of the session."""

    def sign_in(role: Role) -> str:
        user = make_user(role)
        token = csrf_of(client.get("/login").data)
        client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
        return csrf_of(client.get("/").data)

    return sign_in


def screen(client: FlaskClient, csrf: str, **form: str) -> TestResponse:
    return client.post("/screen", data={"csrf_token": csrf, **form})


def upload(client: FlaskClient, csrf: str, name: str, data: bytes) -> TestResponse:
    return client.post(
        "/screen/lists",
        data={"csrf_token": csrf, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def screen_to_the_end(client: FlaskClient, csrf: str, location: str) -> str:
    """Drive a list's screening as the page's script does; returns the results page."""
    for _ in range(100):
        response = client.post(
            location + "/next", headers={"Accept": "application/json", "X-CSRF-Token": csrf}
        )
        assert response.status_code == 200, text_of(response)
        if response.get_json()["state"] != "screening":
            break
    return text_of(client.get(location))


# --- one person ------------------------------------------------------------------------------------------


def test_the_form_is_ukrainian_by_default_and_open_to_those_who_screen(
    client: FlaskClient, signed_in: Callable[[Role], str]
) -> None:
    signed_in(Role.OFFICER)
    page = text_of(client.get("/screen"))
    assert '<html lang="uk">' in page
    assert "Перевірка особи" in page and "Дата народження" in page
    assert 'href="/screen"' in page and 'href="/screen/lists"' in page  # in the menu


def test_an_auditor_may_not_screen(client: FlaskClient, signed_in: Callable[[Role], str]) -> None:
    signed_in(Role.AUDITOR)
    assert client.get("/screen").status_code == 403
    assert 'href="/screen"' not in text_of(client.get("/"))


@pytest.mark.usefixtures("demo")
def test_a_cyrillic_name_is_a_hit_with_the_latin_passport_spelling_conviction_and_instruction(
    client: FlaskClient, signed_in: Callable[[Role], str], session: Session
) -> None:
    csrf = signed_in(Role.SCREENER)
    response = screen(client, csrf, name=GNILITSKYI, birth_date="18.06.1993")
    assert response.status_code == 200
    page = text_of(response)
    assert 'class="decision decision-hit"' in page and "<strong>ЗБІГ</strong>" in page
    assert "<mark>Гнилицький Олег Юрійович</mark>" in page
    assert "GNILITSKII OLEG" in page and "з документа" in page  # the passport spelling, named as such
    assert "DEMO-F-0060" in page and "у розшуку" in page
    assert "Mykolaiv Central District Court" in page and "FICT-2023-0060" in page
    assert "Part 5 of Art. 111-1" in page and "11 years" in page and "2023-03-02" in page
    assert "Не повідомляйте особу про збіг." in page
    assert "Дата народження: у запиті 1993-06-18, в особи 1993-06-18 — та сама дата." in page
    assert "прізвище: «" in page and "подібність 100 %" in page
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "screen")).one()
    assert event.subject["records"][0]["name"] == GNILITSKYI


@pytest.mark.usefixtures("demo")
def test_a_latin_transliteration_finds_the_ukrainian_name_explained_in_english(
    client: FlaskClient, signed_in: Callable[[Role], str]
) -> None:
    csrf = signed_in(Role.SCREENER)
    client.post("/language", data={"lang": "en", "csrf_token": csrf})
    page = text_of(screen(client, csrf, name="Hnylytskyi Oleh Yuriiovych", birth_date="1993"))
    assert "<strong>HIT</strong>" in page
    assert "DEMO-F-0060" in page and "Гнилицький Олег Юрійович" in page
    assert "Birth date: 1993 in the query, 1993-06-18 on the register — agrees as far as known." in page
    assert "Name score" in page and "weighted mean" in page and "Alert threshold 0.86" in page
    assert "Do not tell the person about the match." in page


@pytest.mark.usefixtures("demo")
def test_a_name_not_on_the_register_says_no_hit_and_gives_no_instruction(
    client: FlaskClient, signed_in: Callable[[Role], str]
) -> None:
    csrf = signed_in(Role.SCREENER)
    page = text_of(screen(client, csrf, name="Зеленко Тарас Богданович", birth_date="2001-01-01"))
    assert 'class="decision decision-no_hit"' in page and "ЗБІГУ НЕМАЄ" in page
    assert "Не повідомляйте" not in page


@pytest.mark.parametrize(
    ("form", "shown"),
    [
        ({"name": "", "birth_date": "1990"}, "Повне ім&#39;я: немає імені"),
        ({"name": "A" * 301}, "довше за 300 символів"),
    ],
)
def test_a_query_that_cannot_be_screened_names_the_field(
    client: FlaskClient, signed_in: Callable[[Role], str], form: dict[str, str], shown: str
) -> None:
    csrf = signed_in(Role.SCREENER)
    response = screen(client, csrf, **form)
    assert response.status_code == 422
    assert "Перевірку не виконано" in text_of(response) and shown in text_of(response)


def test_screening_needs_the_forms_csrf_token(client: FlaskClient, signed_in: Callable[[Role], str]) -> None:
    signed_in(Role.SCREENER)
    assert screen(client, "forged", name="Іваненко Іван").status_code == 400


# --- lists -----------------------------------------------------------------------------------------------


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode()), "Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.usefixtures("demo")
def test_a_demo_list_is_screened_and_downloaded_as_csv_and_xlsx(
    client: FlaskClient, signed_in: Callable[[Role], str], session: Session
) -> None:
    csrf = signed_in(Role.SCREENER)
    data = (INCOMING / "pow_registry.csv").read_bytes()
    response = upload(client, csrf, "pow_registry.csv", data)
    assert response.status_code == 303
    location = response.headers["Location"]
    page = text_of(client.get(location))
    assert "Перевірено 0 з" in page and "Продовжити перевірку" in page

    page = screen_to_the_end(client, csrf, location)
    assert "Файл «pow_registry.csv»" in page and "Завантажити CSV" in page
    expected = [
        row
        for row in csv.DictReader(io.StringIO((INCOMING / "expected_matches.csv").read_text("utf-8")))
        if row["file"] == "pow_registry.csv"
    ]
    rows = read_csv(client.get(location + "/results.csv").data)
    assert len(rows) == len(list(csv.DictReader(io.StringIO(data.decode("utf-8")))))
    by_record = {row["Запис"]: row for row in rows}
    for want in expected:
        assert by_record[want["record_id"]]["Номер у реєстрі"] == want["external_id"], want
        shown = by_record[want["record_id"]]["Результат"]
        assert shown in (("ЗБІГ", "МОЖЛИВИЙ ЗБІГ") if want["external_id"] else ("ЗБІГУ НЕМАЄ",)), want
    assert by_record["POW-001"]["Що робити"].startswith("Не повідомляйте")

    workbook = load_workbook(io.BytesIO(client.get(location + "/results.xlsx").data), read_only=True)
    sheet = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert sheet[0][:5] == ("Рядок", "Запис", "Ім'я", "Дата народження", "Результат")
    assert [line[1] for line in sheet[1:]] == [row["Запис"] for row in rows]

    batches = session.scalars(select(AuditEvent).where(AuditEvent.action == "screen_batch")).all()
    assert sum(event.outcome["records"] for event in batches) == len(rows)
    assert all(event.subject["file"] == "pow_registry.csv" for event in batches)


@pytest.mark.usefixtures("demo")
def test_the_results_table_filters_by_decision_and_text(
    client: FlaskClient, signed_in: Callable[[Role], str]
) -> None:
    csrf = signed_in(Role.SCREENER)
    data = "record_id,full_name,birth_date\nA-1,Гнилицький Олег Юрійович,1993-06-18\nA-2,Зеленко Тарас,2001\n"
    location = upload(client, csrf, "two.csv", data.encode()).headers["Location"]
    screen_to_the_end(client, csrf, location)
    hits = text_of(client.get(location + "?decision=hit"))
    assert "A-1" in hits and "A-2" not in hits
    misses = text_of(client.get(location + "?decision=no_hit"))
    assert "A-2" in misses and "A-1" not in misses
    # the text filter is case-blind in Cyrillic, and finds a row by the matched person too
    assert "A-2" in text_of(client.get(location, query_string={"q": "ЗЕЛЕНКО"}))
    found = text_of(client.get(location, query_string={"q": "gnilitskii"}))
    assert "A-1" in found and "A-2" not in found


def test_a_list_with_other_headers_goes_through_the_mapping_step(
    client: FlaskClient, signed_in: Callable[[Role], str]
) -> None:
    csrf = signed_in(Role.SCREENER)
    data = "Nr;Прізвище;Ім'я;Born;Camp\n7;Іваненко;Іван;1980;5\n8;Петренко;Петро;1981;4\n"
    response = upload(client, csrf, "табір.csv", data.encode())
    location = response.headers["Location"]
    page = text_of(client.get(location))
    assert "Який стовпець що містить" in page and "табір.csv" in page
    # the proposed choices: the Ukrainian headers are recognised, the others left for the official
    assert re.search(
        r'name="surname">\s*<option value="">[^<]*</option>\s*(<option[^>]*>[^<]*</option>\s*)*'
        r'<option value="прізвище" selected>',
        page,
    )
    assert "<td>Іваненко</td>" in page  # a sample of the file

    refused = client.post(location + "/mapping", data={"csrf_token": csrf, "birth_date": "born"})
    assert refused.status_code == 422
    assert "виберіть стовпець повного імені або частин імені" in text_of(refused)

    twice = client.post(
        location + "/mapping", data={"csrf_token": csrf, "surname": "прізвище", "given_name": "прізвище"}
    )
    assert twice.status_code == 422 and "вибрано для кількох полів" in text_of(twice)

    chosen = {"record_id": "nr", "surname": "прізвище", "given_name": "ім'я", "birth_date": "born"}
    response = client.post(location + "/mapping", data={"csrf_token": csrf, **chosen})
    assert response.status_code == 303
    screen_to_the_end(client, csrf, location)
    rows = read_csv(client.get(location + "/results.csv").data)
    assert [(row["Запис"], row["Ім'я"], row["Дата народження"]) for row in rows] == [
        ("7", "Іваненко Іван", "1980"),
        ("8", "Петренко Петро", "1981"),
    ]


def test_rows_that_cannot_be_screened_are_shown_with_row_and_reason(
    client: FlaskClient, signed_in: Callable[[Role], str]
) -> None:
    csrf = signed_in(Role.SCREENER)
    data = "record_id,full_name,birth_date\nR-1,Іваненко Іван,1980\nR-2,,1981\nR-3,Петренко,1982,extra\n"
    location = upload(client, csrf, "bad-rows.csv", data.encode()).headers["Location"]
    page = screen_to_the_end(client, csrf, location)
    assert "не вдалося перевірити 2" in page
    invalid = text_of(client.get(location + "?decision=invalid"))
    assert "Повне ім&#39;я: немає імені" in invalid
    assert "Рядок: клітинок на 1 більше, ніж стовпців у заголовку" in invalid
    rows = read_csv(client.get(location + "/results.csv").data)
    assert [(row["Рядок"], row["Результат"]) for row in rows] == [
        ("2", "ЗБІГУ НЕМАЄ"),
        ("3", "не перевірено"),
        ("4", "не перевірено"),
    ]
    assert rows[1]["Запис"] == "R-2" and "немає імені" in rows[1]["Чому не перевірено"]


@pytest.mark.parametrize(
    ("name", "data", "shown"),
    [
        ("empty.csv", b"", "немає рядків для перевірки"),
        ("header-only.csv", b"record_id,full_name\n", "немає рядків для перевірки"),
        ("list.pdf", b"%PDF-1.4", "непідтримуваний тип файлу"),
        ("broken.xlsx", b"PK not really a workbook", "«broken.xlsx» Файл: це не книга XLSX"),
        ("twice.csv", b"full_name,full_name\nA,B\n", "стовпець повторюється в заголовку"),
    ],
)
def test_a_file_that_is_no_list_is_refused_with_the_reason(
    client: FlaskClient,
    signed_in: Callable[[Role], str],
    session: Session,
    name: str,
    data: bytes,
    shown: str,
) -> None:
    csrf = signed_in(Role.SCREENER)
    response = upload(client, csrf, name, data)
    assert response.status_code == 422
    assert "Файл не прийнято" in text_of(response) and shown in text_of(response)
    assert session.scalars(select(ListScreening)).all() == []


def test_an_upload_without_a_file_is_refused(client: FlaskClient, signed_in: Callable[[Role], str]) -> None:
    csrf = signed_in(Role.SCREENER)
    response = client.post("/screen/lists", data={"csrf_token": csrf}, content_type="multipart/form-data")
    assert response.status_code == 422 and "виберіть файл" in text_of(response)


def test_too_many_rows_or_bytes_are_refused(client: FlaskClient, signed_in: Callable[[Role], str]) -> None:
    csrf = signed_in(Role.SCREENER)
    rows = "".join(f"{n},Іваненко Іван\n" for n in range(LIST_MAX_ROWS + 1))
    response = upload(client, csrf, "long.csv", ("record_id,full_name\n" + rows).encode())
    assert response.status_code == 422 and f"понад {LIST_MAX_ROWS} рядків" in text_of(response)

    # refused on its declared length, before the body is read
    response = client.post(
        "/screen/lists",
        data=b"x" * (11 * 1024 * 1024),
        content_type="multipart/form-data; boundary=b",
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 413 and "Файл або запит завеликий." in text_of(response)


def test_an_xlsx_list_is_read_with_its_dates(client: FlaskClient, signed_in: Callable[[Role], str]) -> None:
    from datetime import datetime

    csrf = signed_in(Role.SCREENER)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["record_id", "full_name", "birth_date"])
    sheet.append(["X-1", "Іваненко Іван", datetime(1980, 5, 17)])
    out = io.BytesIO()
    workbook.save(out)
    location = upload(client, csrf, "list.xlsx", out.getvalue()).headers["Location"]
    screen_to_the_end(client, csrf, location)
    rows = read_csv(client.get(location + "/results.csv").data)
    assert [(row["Запис"], row["Дата народження"]) for row in rows] == [("X-1", "1980-05-17")]


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-3+4", "@SUM(A1)", "\tTAB", "\rCR"]


def test_downloads_escape_cells_that_a_spreadsheet_would_run_as_formulas(
    client: FlaskClient, signed_in: Callable[[Role], str]
) -> None:
    csrf = signed_in(Role.SCREENER)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["record_id", "full_name"])
    for number, formula in enumerate(FORMULAS):
        # the formula as the record id, and as a name that still can be screened
        writer.writerow([formula, f"=Іваненко{number} Іван"])
    location = upload(client, csrf, "formulas.csv", out.getvalue().encode()).headers["Location"]
    screen_to_the_end(client, csrf, location)

    rows = read_csv(client.get(location + "/results.csv").data)
    # screening trims the tab and CR away; the others are kept and escaped
    assert [row["Запис"] for row in rows] == ["'" + formula for formula in FORMULAS[:4]] + ["TAB", "CR"]
    assert not any(cell.startswith(FORMULA_TRIGGERS) for row in rows for cell in row.values())
    assert [row["Ім'я"][:2] for row in rows] == ["'="] * len(FORMULAS)
    workbook = load_workbook(io.BytesIO(client.get(location + "/results.xlsx").data))
    cells = [row[:3] for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert [record for _, record, _ in cells] == [row["Запис"] for row in rows]
    assert all(isinstance(name, str) and name.startswith("'=") for _, _, name in cells)
    assert all(cell.data_type != "f" for row in workbook.worksheets[0].iter_rows() for cell in row)


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+7", "'+7"),
        ("-2", "'-2"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Іваненко", "Іваненко"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_escape_formula(value: str, safe: str) -> None:
    assert escape_formula(value) == safe


def test_a_list_is_seen_only_by_who_uploaded_it(
    client: FlaskClient, signed_in: Callable[[Role], str], app: Any
) -> None:
    csrf = signed_in(Role.SCREENER)
    location = upload(client, csrf, "mine.csv", "record_id,full_name\n1,Іваненко Іван\n".encode()).headers[
        "Location"
    ]
    other = app.test_client()
    user_csrf = csrf_of(other.get("/login").data)
    with app.app_context():
        create_user(get_session(), "someone", Role.SCREENER, password=PASSWORD)
        get_session().commit()
    other.post("/login", data={"username": "someone", "password": PASSWORD, "csrf_token": user_csrf})
    assert other.get(location).status_code == 404
    assert other.get(location + "/results.csv").status_code == 404
    assert client.get(location).status_code == 200
    assert "mine.csv" in text_of(client.get("/screen/lists"))
    assert "mine.csv" not in text_of(other.get("/screen/lists"))


def test_the_pages_speak_english_when_chosen(client: FlaskClient, signed_in: Callable[[Role], str]) -> None:
    csrf = signed_in(Role.SCREENER)
    client.post("/language", data={"lang": "en", "csrf_token": csrf})
    assert "Screen a person" in text_of(client.get("/screen"))
    assert "Upload a CSV or XLSX file" in text_of(client.get("/screen/lists"))


def test_without_the_script_the_continue_button_screens_a_chunk_and_comes_back(
    client: FlaskClient, signed_in: Callable[[Role], str]
) -> None:
    csrf = signed_in(Role.SCREENER)
    rows = "".join(f"{n},Іваненко{n} Іван\n" for n in range(CHUNK_SIZE + 1))
    location = upload(client, csrf, "long.csv", ("record_id,full_name\n" + rows).encode()).headers["Location"]
    response = client.post(location + "/next", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["Location"] == location
    page = text_of(client.get(location))
    assert f"Перевірено {CHUNK_SIZE} з {CHUNK_SIZE + 1} рядків" in page
    assert "Завантажити CSV" not in page  # no results file before the list is done
    progress = client.post(location + "/next", headers={"Accept": "application/json", "X-CSRF-Token": csrf})
    assert progress.get_json() == {
        "state": "done",
        "total_rows": CHUNK_SIZE + 1,
        "done_rows": CHUNK_SIZE + 1,
        "text": f"Перевірено {CHUNK_SIZE + 1} з {CHUNK_SIZE + 1} рядків",
    }


def test_each_chunk_is_audited_with_who_screened_which_rows(
    client: FlaskClient, signed_in: Callable[[Role], str], session: Session
) -> None:
    csrf = signed_in(Role.OFFICER)
    data = "record_id,full_name,birth_date\nA-1,Іваненко Іван,1980\n"
    location = upload(client, csrf, "one.csv", data.encode()).headers["Location"]
    screen_to_the_end(client, csrf, location)
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "screen_batch")).all()
    assert (event.role, event.via) == ("officer", "session") and event.actor.startswith("officer")
    assert event.subject["records"] == [
        {"row": 2, "record_id": "A-1", "name": "Іваненко Іван", "birth_date": "1980"}
    ]
    assert event.outcome["records"] == 1


def test_an_unreadable_watchlist_is_an_error_page_never_no_hit(
    client: FlaskClient, signed_in: Callable[[Role], str], app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    csrf = signed_in(Role.SCREENER)

    def unreadable(work: Any) -> Any:
        raise Unavailable("the watchlist cannot be read right now; try again shortly")

    monkeypatch.setattr(screening_service(app), "with_index", unreadable)
    response = screen(client, csrf, name="Іваненко Іван")
    assert response.status_code == 503
    page = text_of(response)
    assert "Служба тимчасово недоступна" in page and "ЗБІГУ НЕМАЄ" not in page


def test_an_admin_may_open_any_list(
    client: FlaskClient, signed_in: Callable[[Role], str], app: Any, make_user: Callable[..., User]
) -> None:
    csrf = signed_in(Role.SCREENER)
    location = upload(client, csrf, "theirs.csv", "full_name\nІваненко Іван\n".encode()).headers["Location"]
    admin = make_user(Role.ADMIN)
    other = app.test_client()
    token = csrf_of(other.get("/login").data)
    other.post("/login", data={"username": admin.username, "password": PASSWORD, "csrf_token": token})
    assert other.get(location).status_code == 200
