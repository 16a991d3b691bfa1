"""An officer in real Chromium sets his e-mail address and subscribes to prisoner-of-war alerts of high
severity; the next such alert is queued to be e-mailed to him, a low one is not."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.watchlist.delivery.factories import alert_with_outbox
from watchlist.db import session_scope
from watchlist.models import OutboxMessage

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def test_an_officer_subscribes_and_the_next_alert_is_queued_for_his_mailbox(
    live_server: LiveServer, page: Page, add_user: Callable[[str, str, str], None]
) -> None:
    add_user("taras", "officer", PASSWORD)
    page.goto(live_server.url + "/login")
    page.get_by_label("Ім'я користувача").fill("taras")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Увійти").click()
    page.get_by_role("link", name="Підписки").first.click()
    expect(page.get_by_role("heading", name="Підписки на тривоги")).to_be_visible()

    page.get_by_role("button", name="Підписатися").click()
    expect(page.locator("#email-error")).to_have_text(
        "Спершу вкажіть свою адресу або підпишіться лише на вхідні."
    )

    page.get_by_label("Ваша електронна адреса").fill("taras@prosecutor.example")
    page.get_by_role("button", name="Зберегти адресу").click()
    expect(page.get_by_role("status")).to_have_text("Адресу збережено.")

    page.get_by_label("Вид джерела").select_option("pow")
    page.get_by_label("Рівень не нижче").select_option("high")
    page.get_by_role("button", name="Підписатися").click()
    expect(page.get_by_role("status")).to_have_text("Підписку додано.")
    row = page.locator("table.subscriptions tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("реєстр військовополонених")
    expect(row).to_contain_text("високий")

    with session_scope(live_server.sessionmaker) as session:
        high = alert_with_outbox(session, severity="high", source_kind="pow")
        alert_with_outbox(session, severity="low", source_kind="pow")
        queued = session.scalars(select(OutboxMessage)).all()
        assert [(message.alert_id, message.email) for message in queued] == [
            (high, "taras@prosecutor.example")
        ]

    row.get_by_role("button", name="Вилучити").click()
    expect(page.get_by_text("Підписок немає.")).to_be_visible()
