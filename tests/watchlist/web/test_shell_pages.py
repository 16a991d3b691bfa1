"""The web shell as a user sees it: login, logout, next redirects, CSRF, language, home, error pages."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from watchlist.access import allow
from watchlist.models import Role, User
from watchlist.users import create_token, disable_user

PASSWORD = "correct horse battery"


def csrf_of(page: bytes) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1).decode()


def login(
    client: FlaskClient, username: str, password: str = PASSWORD, next: str | None = None
) -> TestResponse:
    form = {"username": username, "password": password, "csrf_token": csrf_of(client.get("/login").data)}
    if next is not None:
        form["next"] = next
    return client.post("/login", data=form)


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def test_the_login_page_is_ukrainian_by_default(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    page = text_of(response)
    assert '<html lang="uk">' in page
    assert "Вхід" in page and "Ім&#39;я користувача" in page and "Пароль" in page


def test_anonymous_pages_redirect_to_login_and_back_after_it(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.EDITOR, username="oksana")
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/"
    form_page = text_of(client.get(response.headers["Location"]))
    assert 'name="next" value="/"' in form_page
    assert "Увійдіть, щоб продовжити." in form_page

    response = login(client, "oksana", next="/")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = text_of(client.get("/"))
    assert "Ви увійшли як oksana (oksana)." in home
    assert "редактор реєстру" in home


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
    ],
)
def test_next_only_ever_leads_to_a_local_path(
    client: FlaskClient, make_user: Callable[..., User], target: str
) -> None:
    make_user(Role.SCREENER, username="ihor")
    response = login(client, "ihor", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_wrong_password_says_so_without_telling_which_part_was_wrong(
    client: FlaskClient, make_user: Callable[..., User], session: Session
) -> None:
    make_user(Role.SCREENER, username="marta")
    make_user(Role.SCREENER, username="disabled")
    disable_user(session, "disabled")
    session.commit()
    answers = [
        text_of(login(client, "marta", "wrong password!!")),
        text_of(login(client, "nobody-at-all", PASSWORD)),
        text_of(login(client, "disabled", PASSWORD)),
    ]
    for page in answers:
        assert "Неправильне ім&#39;я користувача або пароль." in page
    assert client.get("/").status_code == 302  # still not logged in


def test_login_renews_the_session_and_its_csrf_token(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.AUDITOR, username="vira")
    before = csrf_of(client.get("/login").data)
    with client.session_transaction() as cookie:
        cookie["planted"] = "by an attacker before login"
    login(client, "vira")
    with client.session_transaction() as cookie:
        assert "planted" not in cookie
        after = cookie["csrf_token"]
    assert after != before
    # the token of the old session is worth nothing now
    response = client.post("/logout", data={"csrf_token": before})
    assert response.status_code == 400
    assert client.get("/").status_code == 200


def test_every_form_post_needs_the_session_csrf_token(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.SCREENER, username="roman")
    client.get("/login")
    response = client.post("/login", data={"username": "roman", "password": PASSWORD})
    assert response.status_code == 400
    assert "Форма застаріла" in text_of(response)
    response = client.post("/login", data={"username": "roman", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_logout_ends_the_session(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user(Role.OFFICER, username="andrii")
    login(client, "andrii")
    home = client.get("/")
    assert home.status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_of(home.data)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Ви вийшли з системи." in text_of(client.get("/login"))
    assert client.get("/").status_code == 302


def test_a_user_disabled_while_logged_in_is_out_at_the_next_request(
    client: FlaskClient, make_user: Callable[..., User], session: Session
) -> None:
    make_user(Role.EDITOR, username="sofiia")
    login(client, "sofiia")
    assert client.get("/").status_code == 200
    disable_user(session, "sofiia")
    session.commit()
    assert client.get("/").status_code == 302


def test_the_language_switch_keeps_the_page_and_survives_login(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.SCREENER, username="yurii")
    page = client.get("/login?next=/")
    response = client.post(
        "/language", data={"lang": "en", "next": "/login?next=/", "csrf_token": csrf_of(page.data)}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/"
    english = text_of(client.get("/login"))
    assert '<html lang="en">' in english and "Sign in" in english and "User name" in english
    login(client, "yurii")
    assert "You are signed in as yurii (yurii)." in text_of(client.get("/"))


def test_an_unknown_language_changes_nothing(client: FlaskClient) -> None:
    page = client.get("/login")
    client.post("/language", data={"lang": "xx", "csrf_token": csrf_of(page.data)})
    assert '<html lang="uk">' in text_of(client.get("/login"))


def test_the_home_page_shows_the_roles_duties_api_calls_and_tokens(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], session: Session
) -> None:
    @app.get("/api/v1/audit-only")
    @allow(Role.AUDITOR)
    def audit_only() -> dict[str, str]:
        return {}

    @app.get("/api/v1/editor-only")
    @allow(Role.EDITOR)
    def editor_only() -> dict[str, str]:
        return {}

    auditor = make_user(Role.AUDITOR, username="halyna", display_name="Галина Коваль")
    create_token(session, auditor, name="audit export")
    session.commit()
    login(client, "halyna")
    page = text_of(client.get("/"))
    assert "Ви увійшли як Галина Коваль (halyna)." in page
    assert "Ваша роль: аудитор." in page
    assert "Переглядати журнал аудиту" in page
    assert "GET /api/v1/audit-only" in page
    assert "/api/v1/editor-only" not in page
    assert "audit export" in page and "1 активний токен" in page


def test_the_navigation_shows_only_the_pages_of_the_role(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    from watchlist.i18n import catalogue_of
    from watchlist.web.navigation import add_nav_item

    @app.get("/editing")
    @allow(Role.EDITOR)
    def editing() -> str:
        return "editing"

    catalogue_of(app).add({"uk": {"nav.editing": "Редагування"}, "en": {"nav.editing": "Editing"}})
    add_nav_item(app, "editing", "nav.editing")
    make_user(Role.EDITOR, username="editor")
    make_user(Role.SCREENER, username="screener")

    login(client, "editor")
    assert 'href="/editing"' in text_of(client.get("/"))
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").data)})
    login(client, "screener")
    assert 'href="/editing"' not in text_of(client.get("/"))


def test_pages_are_never_cached(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user(Role.SCREENER, username="ostap")
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    login(client, "ostap")
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/no-such-page").headers["Cache-Control"] == "no-store"


def test_error_pages_are_html_in_the_users_language(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "Такої сторінки немає." in text_of(response)
    response = client.get("/logout")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_a_forbidden_page_is_a_403_page(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    @app.get("/admins")
    @allow(Role.ADMIN)
    def admins() -> str:
        return "admins"

    make_user(Role.SCREENER, username="lev")
    login(client, "lev")
    response = client.get("/admins")
    assert response.status_code == 403
    assert "У вас немає доступу до цієї сторінки." in text_of(response)
    assert "lev" in text_of(response)  # the page keeps the navigation of who is signed in


def test_a_crash_is_a_500_page_without_a_traceback(app: Flask, make_user: Callable[..., User]) -> None:
    @app.get("/crash")
    @allow(Role.SCREENER)
    def crash() -> str:
        raise RuntimeError("secret internals: /srv/watchlist/db.py line 42")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    make_user(Role.SCREENER, username="danylo")
    login(client, "danylo")
    response = client.get("/crash")
    assert response.status_code == 500
    page = text_of(response)
    assert "Сталася внутрішня помилка." in page
    assert "Traceback" not in page and "secret internals" not in page


def test_the_api_keeps_its_json_errors(client: FlaskClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json is not None and response.json["error"]["code"] == "not_found"
    response = client.get("/api/v1/persons")
    assert response.status_code == 401
    assert response.json is not None and response.json["error"]["code"] == "not_authenticated"


def test_the_api_called_with_the_session_cookie_needs_the_csrf_header(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    @app.post("/api/v1/editor-action")
    @allow(Role.EDITOR)
    def editor_action() -> dict[str, str]:
        return {"done": "yes"}

    make_user(Role.EDITOR, username="mykola")
    login(client, "mykola")
    response = client.post("/api/v1/editor-action", json={})
    assert response.status_code == 400
    assert response.json is not None and response.json["error"]["code"] == "bad_request"
    token = csrf_of(client.get("/").data)
    response = client.post("/api/v1/editor-action", json={}, headers={"X-CSRF-Token": token})
    assert response.status_code == 200
