"""The auditors' page: search the audit log (who, event kind, subject, dates), page through it, export it.

Reading the log is itself a consultation of personal data: every search and export writes its audit row.
"""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from werkzeug.datastructures import MultiDict

from watchlist.access import allow
from watchlist.audit import EVENT_CLASSES, audit_query, event_dict, export_audit_log, search_audit_log
from watchlist.db import get_session
from watchlist.exc import ValidationFailed
from watchlist.i18n import catalogue_of
from watchlist.models import Role
from watchlist.web import navigation, web

MESSAGES: dict[str, dict[str, str]] = {
    "uk": {
        "nav.audit": "Журнал аудиту",
        "nav.audit.description": "Хто, коли, звідки і кого шукав, що було показано; пошук і вивантаження.",
        "audit.title": "Журнал аудиту",
        "audit.who": "Хто (ім'я користувача)",
        "audit.action": "Вид події",
        "audit.any_action": "будь-яка",
        "audit.subject": "Що шукали (текст)",
        "audit.from": "Від (дата, UTC)",
        "audit.to": "До (дата включно, UTC)",
        "audit.search": "Шукати",
        "audit.export": "Вивантажити CSV",
        "audit.total": "Знайдено записів: {total}",
        "audit.none": "Записів не знайдено.",
        "audit.id": "№",
        "audit.occurred_at": "Коли (UTC)",
        "audit.actor": "Хто",
        "audit.via": "Як",
        "audit.remote_addr": "Звідки",
        "audit.what": "Що шукали",
        "audit.shown": "Що показано",
        "audit.page": "Сторінка {page} з {pages}",
        "audit.previous": "Попередня",
        "audit.next": "Наступна",
    },
    "en": {
        "nav.audit": "Audit log",
        "nav.audit.description": "Who searched whom, when, from where, what was shown; search and export.",
        "audit.title": "Audit log",
        "audit.who": "Who (username)",
        "audit.action": "Event kind",
        "audit.any_action": "any",
        "audit.subject": "What was searched (text)",
        "audit.from": "From (date, UTC)",
        "audit.to": "To (date, inclusive, UTC)",
        "audit.search": "Search",
        "audit.export": "Export CSV",
        "audit.total": "Rows found: {total}",
        "audit.none": "No rows found.",
        "audit.id": "No.",
        "audit.occurred_at": "When (UTC)",
        "audit.actor": "Who",
        "audit.via": "How",
        "audit.remote_addr": "From where",
        "audit.what": "What was searched",
        "audit.shown": "What was shown",
        "audit.page": "Page {page} of {pages}",
        "audit.previous": "Previous",
        "audit.next": "Next",
    },
}

FILTERS = ("who", "action", "subject", "from", "to")


@web.get("/audit")
@allow(Role.AUDITOR)
def audit_log() -> tuple[str, int]:
    """The log, newest first, filtered; the search is audited."""
    session = get_session()
    given = {name: request.args.get(name, "") for name in FILTERS}
    try:
        wanted, page, per_page = audit_query(request.args)
    except ValidationFailed as error:
        return _render(given, None, 1, 1, {d.field: d.message for d in error.details}), 422
    found = search_audit_log(session, wanted, page, per_page)
    session.commit()
    pages = max(1, -(-found.total // per_page))
    return _render(given, [event_dict(e) for e in found.items], page, pages, {}, found.total), 200


def _render(
    given: dict[str, str],
    rows: list[dict[str, object]] | None,
    page: int,
    pages: int,
    errors: dict[str, str],
    total: int = 0,
) -> str:
    query = MultiDict({name: value for name, value in given.items() if value})
    return render_template(
        "audit_log.html",
        given=given,
        rows=rows,
        page=page,
        pages=pages,
        total=total,
        errors=errors,
        actions=sorted(EVENT_CLASSES),
        query=query,
    )


@web.get("/audit/export.csv")
@allow(Role.AUDITOR)
def audit_log_export() -> Response:
    """The rows matching the filters as CSV, oldest first; the export is audited."""
    session = get_session()
    wanted, _page, _per_page = audit_query(request.args)
    body = export_audit_log(session, wanted)
    session.commit()
    response = Response(body, content_type="text/csv; charset=utf-8")
    response.headers.set("Content-Disposition", "attachment", filename="audit.csv")
    return response


def init_app(app: Flask) -> None:
    """Add the page's texts to the catalogue and its entry to the menu."""
    catalogue_of(app).add(MESSAGES)
    navigation.add_nav_item(app, "web.audit_log", "nav.audit", "nav.audit.description")
