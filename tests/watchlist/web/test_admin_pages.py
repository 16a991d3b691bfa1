"""/admin/runs: admins see the run history and a chart (inline SVG) of records received and alerts
raised per night and source, in Ukrainian or English; nobody else opens it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from jobs.runs import run_matching
from tests.login_sessions import log_in
from tests.watchlist.web.test_persons_pages import page_text
from watchlist.db import session_scope, utcnow
from watchlist.incoming import nightly_figures, receive_delivery
from watchlist.models import Delivery, Role, User
from watchlist.persons import add_person, require_person
from watchlist.settings import Settings


def sign_in(client: FlaskClient, user: User, language: str | None = None) -> None:
    log_in(client, user)
    with client.session_transaction() as cookie:
        if language:
            cookie["lang"] = language


def _nights(session_factory: sessionmaker[Session], settings: Settings) -> None:
    with session_scope(session_factory) as session:
        add_person(
            session,
            require_person(
                {"external_id": "T-1", "full_name": "Гнилицький Олег Петрович", "birth_date": "1993"}
            ),
            "t",
        )
        old = receive_delivery(
            session, "pow", "pow1.csv", b"1", [(2, {"record_id": "A", "full_name": "Марія Коваленко"})]
        )
        # delivered two nights ago
        session.execute(
            update(Delivery)
            .where(Delivery.id == old.delivery.id)
            .values(received_at=utcnow() - timedelta(days=2))
        )
        receive_delivery(
            session,
            "border",
            "border.csv",
            b"2",
            [
                (2, {"record_id": "B1", "full_name": "GNILITSKII OLEG"}),
                (3, {"record_id": "B2", "full_name": "Іван Петренко"}),
            ],
        )
    run_matching(session_factory, settings)


def test_the_nightly_figures_count_records_and_alerts_by_night_and_source(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    _nights(session_factory, settings)
    with session_factory() as session:
        figures = nightly_figures(session, nights=3)
    assert figures.sources == ["border", "pow"]
    assert figures.records == {"border": [0, 0, 2], "pow": [1, 0, 0]}
    assert figures.alerts == {"border": [0, 0, 1], "pow": [0, 0, 0]}


def test_an_admin_sees_the_chart_and_the_runs_in_both_languages(
    client: FlaskClient,
    make_user: Callable[..., User],
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    _nights(session_factory, settings)
    sign_in(client, make_user(Role.ADMIN))
    page = client.get("/admin/runs")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    charts = re.findall(r"<svg .*?</svg>", body, re.S)
    assert len(charts) == 2
    assert "<title>" in charts[0] and "border: 2</title>" in charts[0] and "pow: 1</title>" in charts[0]
    assert "border: 1</title>" in charts[1]
    assert "<script" not in body and "http://www.w3.org/2000/svg" in body
    text = page_text(page)
    assert "Історія запусків" in text and "зіставлення" in text and "успішно" in text
    sign_in(client, make_user(Role.ADMIN, username="admin-en"), language="en")
    text = page_text(client.get("/admin/runs"))
    assert "Run history" in text and "Records received per night" in text and "matching" in text


def test_only_admins_open_the_page(client: FlaskClient, make_user: Callable[..., User]) -> None:
    for role in (Role.SCREENER, Role.OFFICER, Role.EDITOR, Role.AUDITOR):
        sign_in(client, make_user(role, username=f"user-{role.value}"))
        assert client.get("/admin/runs").status_code == 403
    sign_in(client, make_user(Role.ADMIN, username="the-admin"))
    assert "Запуски" in page_text(client.get("/"))
