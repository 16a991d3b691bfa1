"""The web shell in real Chromium: log in, read the home page in Ukrainian, switch to English, log out."""

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


def test_login_home_language_and_logout(
    live_server: LiveServer, page: Page, add_user: Callable[[str, str, str], None]
) -> None:
    add_user("olha", "screener", PASSWORD)

    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("heading", name="Вхід")).to_be_visible()

    page.get_by_label("Ім'я користувача").fill("olha")
    page.get_by_label("Пароль").fill("not the password")
    page.get_by_role("button", name="Увійти").click()
    expect(page.get_by_role("alert")).to_have_text("Неправильне ім'я користувача або пароль.")

    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Увійти").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", name="Головна")).to_be_visible()
    expect(page.locator(".greeting")).to_have_text("Ви увійшли як olha (olha).")
    expect(page.get_by_text("Ваша роль: перевіряльник.")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".greeting")).to_have_text("You are signed in as olha (olha).")
    expect(page.get_by_text("Your role: screener.")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(live_server.url + "/login")
    expect(page.get_by_role("status")).to_have_text("You have logged out.")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
