"""The alerts pages in real Chromium: an officer opens the inbox from the menu, opens the alert the nightly
matching raised, dismisses it as a different person; the next matching run over the same record raises
nothing new for that pair."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from jobs.retro import run_retro
from jobs.runs import run_matching
from watchlist.alerts import queue_retro
from watchlist.db import session_scope
from watchlist.delivery.subscriptions import add_subscription
from watchlist.incoming import receive_delivery
from watchlist.models import Alert, AlertEvent, AlertStatus, DismissReason, User
from watchlist.persons import add_person, require_person
from watchlist.settings import Settings

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
POW_ROW = {
    "record_id": "POW-17",
    "full_name": "GNILITSKII OLEG",
    "birth_date": "12.03.1975",
    "camp": "Olenivka",
}


def test_an_officer_dismisses_an_alert_and_the_pair_does_not_come_back(
    live_server: LiveServer, page: Page, add_user: Callable[[str, str, str], None], settings: Settings
) -> None:
    factory = live_server.sessionmaker
    add_user("olena", "officer", PASSWORD)
    with session_scope(factory) as session:
        # she sees the alerts her subscriptions ask for: every alert, in her inbox only
        olena = session.scalars(select(User).where(User.username == "olena")).one()
        add_subscription(session, olena, by_email=False)
        person_id = add_person(
            session,
            require_person(
                {
                    "external_id": "UA-0002",
                    "full_name": "Гнилицький Олег Петрович",
                    "birth_date": "1975-03-12",
                }
            ),
            "test",
        ).id
        receive_delivery(session, "pow", "pow-monday.csv", b"monday", [(2, POW_ROW)])
    first = run_matching(factory, settings, "pow")
    assert first.counts["alerts_raised"] == 1

    page.goto(live_server.url + "/login")
    page.get_by_label("Ім'я користувача").fill("olena")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Увійти").click()
    expect(page).to_have_url(live_server.url + "/")
    menu = page.get_by_role("navigation")
    expect(menu.locator(".nav-badge")).to_have_text("1")

    menu.get_by_role("link", name="Сповіщення").click()
    expect(page.get_by_role("heading", name="Сповіщення")).to_be_visible()
    row = page.locator("tr.alert-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("GNILITSKII OLEG")
    expect(row).to_contain_text("критична")
    row.get_by_role("link", name="Гнилицький Олег Петрович").click()

    # both sides, and why they matched
    expect(page.locator(".person-side")).to_contain_text("1975-03-12")
    expect(page.locator(".record-side")).to_contain_text("12.03.1975")
    expect(page.locator(".record-side")).to_contain_text("Olenivka")
    expect(page.get_by_role("heading", name="Чому це збіг")).to_be_visible()
    # opened: no longer unread
    expect(page.get_by_role("navigation").locator(".nav-badge")).to_have_count(0)

    page.locator("#reason").select_option("different_person")
    page.locator("#dismiss-comment").fill("Інша людина: у реєстрі полонених інше по батькові")
    page.get_by_role("button", name="Відхилити").click()
    expect(page.get_by_role("status")).to_have_text("Сповіщення відхилено.")
    expect(page.locator("#alert-status")).to_have_text("відхилено")
    expect(page.locator(".dismissed-because")).to_have_text("Відхилено: інша особа")
    expect(page.locator("table.history tbody tr").first).to_contain_text("olena")
    expect(page.locator("table.history tbody tr").first).to_contain_text(
        "у реєстрі полонених інше по батькові"
    )
    expect(page.get_by_role("button", name="Відхилити")).to_have_count(0)

    # tomorrow's list carries the same man again, with another camp: stored, not waiting to be matched
    # (the matcher reads name and birth date only), so the next run raises nothing
    with session_scope(factory) as session:
        receive_delivery(
            session, "pow", "pow-tuesday.csv", b"tuesday", [(2, {**POW_ROW, "camp": "Taganrog"})]
        )
    again = run_matching(factory, settings, "pow")
    assert again.counts["records_matched"] == 0 and again.counts["alerts_raised"] == 0
    # the person is matched against every stored record again (an editor changed him): the same pair
    # is found, and it stays dismissed
    with session_scope(factory) as session:
        queue_retro(session, [person_id])
    retro = run_retro(factory, settings)
    assert retro is not None
    assert retro.counts["alerts_raised"] == 0 and retro.counts["alerts_existing"] == 1
    with factory() as session:
        alert = session.scalars(select(Alert)).one()
        assert (
            alert.status is AlertStatus.DISMISSED and alert.dismiss_reason is DismissReason.DIFFERENT_PERSON
        )
        assert [e.action for e in session.scalars(select(AlertEvent).order_by(AlertEvent.id))] == [
            "raised",
            "dismissed",
        ]

    page.get_by_role("link", name="До сповіщень").click()
    page.locator("#status").select_option("new")
    page.get_by_role("button", name="Показати").click()
    expect(page.get_by_text("Сповіщень немає.")).to_be_visible()
    expect(page.get_by_role("navigation").locator(".nav-badge")).to_have_count(0)
