"""The watchlist pages in real Chromium: an editor adds a person, finds him, edits him, reads the history and
closes him with a reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def test_an_editor_adds_finds_edits_and_closes_a_person(
    live_server: LiveServer, page: Page, add_user: Callable[[str, str, str], None]
) -> None:
    add_user("oksana", "editor", PASSWORD)
    page.goto(live_server.url + "/login")
    page.get_by_label("Ім'я користувача").fill("oksana")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Увійти").click()
    expect(page).to_have_url(live_server.url + "/")

    # add: a Cyrillic name as in the verdict, a Latin spelling from his passport, a partial birth date
    page.get_by_role("navigation").get_by_role("link", name="Додати особу").click()
    expect(page.get_by_role("heading", name="Нова особа")).to_be_visible()
    page.get_by_label("Ідентифікатор").fill("BR-0001")
    page.get_by_label("Повне ім'я").fill("Гнилицький Олег Петрович")
    page.get_by_label("Написання в документах").fill("HNYLYTSKYI OLEH")
    page.get_by_label("Дата народження").fill("1975-13")
    page.get_by_label("Номер справи").fill("FX/1/23")
    page.get_by_label("Суд").fill("Fictitious District Court")
    page.get_by_label("Стаття").fill("ч. 1 ст. 438 КК України")
    page.get_by_role("button", name="Зберегти").click()
    # a wrong month is shown next to its field, and what was typed stays
    expect(page.locator("#birth_date-error")).to_have_text("'1975-13' — такої дати не існує")
    expect(page.get_by_label("Повне ім'я")).to_have_value("Гнилицький Олег Петрович")
    page.get_by_label("Дата народження").fill("1975-03")
    page.get_by_role("button", name="Зберегти").click()

    expect(page.get_by_role("heading", name="Гнилицький Олег Петрович")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Запис збережено.")
    names = page.locator("table.names")
    expect(names.get_by_role("row", name=re.compile("HNYLYTSKYI OLEH"))).to_contain_text(
        "написання в документі"
    )
    expect(names.get_by_role("row", name=re.compile("HNYLYTSKYI OLEH"))).to_contain_text("Latn")
    expect(page.get_by_text("1975-03 (відомі рік і місяць)")).to_be_visible()

    # find him: by the Latin spelling, lower case, as an officer might type it
    page.get_by_role("navigation").get_by_role("link", name="Реєстр", exact=True).click()
    page.get_by_label("Ім'я або його частина").fill("hnylytskyi")
    page.get_by_role("button", name="Шукати").click()
    expect(page.get_by_text("Знайдено 1 особу")).to_be_visible()
    page.get_by_role("link", name="Гнилицький Олег Петрович").click()

    # edit: one more name, and the exact birth date found later
    page.get_by_role("link", name="Змінити").click()
    expect(page.get_by_label("Ідентифікатор")).to_have_attribute("readonly", "")
    page.get_by_label("Інші імена").fill("Гнилицкий Олег Петрович")
    page.get_by_label("Дата народження").fill("1975-03-12")
    page.get_by_role("button", name="Зберегти").click()
    expect(page.get_by_role("status")).to_have_text("Запис збережено.")

    history = page.locator("table.history")
    latest = history.locator("tbody tr").first
    expect(latest).to_contain_text("oksana")
    expect(latest).to_contain_text("змінено")
    expect(latest).to_contain_text("Дата народження: 1975-03 → 1975-03-12")
    expect(latest).to_contain_text("Інші імена: — → Гнилицкий Олег Петрович")
    expect(history.locator("tbody tr").last).to_contain_text("внесено")

    # close: a reason is required, and the record stays
    page.get_by_role("link", name="Закрити запис").click()
    page.get_by_role("button", name="Закрити запис").click()
    expect(page.locator("#reason-error")).to_have_text("закриття запису потребує підстави")
    page.get_by_label("Підстава закриття").fill("Затримано, відбуває покарання")
    page.get_by_role("button", name="Закрити запис").click()
    expect(page.get_by_role("status")).to_have_text(re.compile("^Запис закрито."))
    expect(page.locator("p.status")).to_contain_text("закрито")
    expect(history.locator("tbody tr").first).to_contain_text("закрито")
    expect(history.locator("tbody tr").first).to_contain_text("Затримано, відбуває покарання")
    expect(page.get_by_role("link", name="Закрити запис")).to_have_count(0)

    # the same record in English
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="History of changes")).to_be_visible()
    expect(page.locator("p.status")).to_contain_text("closed")
