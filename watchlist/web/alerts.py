"""The alerts pages for enforcement officers: the inbox (`/alerts`) with its filters and the unread count in
the menu, and one alert (`/alerts/<id>`) with both records side by side, the explanation in words, the
sightings, the history and the triage buttons.

Officers and admins read and act; screeners, editors and auditors do not see alerts. An officer sees the
alerts assigned to him or asked for by one of his subscriptions; any other answers 404 (audited). Every
rule lives in `watchlist.alerts`; these views turn form fields into its arguments and its errors into
messages.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from watchlist import i18n
from watchlist.access import Principal, allow, current_principal
from watchlist.alerts import (
    CONFIRMED_PERSON_STATUSES,
    acknowledge_alert,
    alert_filters,
    assign_alert,
    comment_alert,
    confirm_alert,
    dismiss_alert,
    list_alerts,
    officers,
    source_kinds,
    unread_count,
)
from watchlist.api.alerts import ALERT_ROLES, audit_alert_view, reader, visible_alert
from watchlist.db import get_session
from watchlist.exc import Conflict, FieldError, ValidationFailed
from watchlist.models import Alert, AlertStatus, DismissReason, Severity
from watchlist.web import navigation, web

PER_PAGE = 25


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # the access policy lets only signed-in users through
    return principal


@web.get("/alerts")
@allow(*ALERT_ROLES)
def alerts_inbox() -> tuple[str, int]:
    """The inbox: newest first, filtered by status, severity, source kind and "assigned to me"."""
    principal = _principal()
    session = get_session()
    args = {key: request.args.get(key, "") for key in ("status", "severity", "source_kind", "mine", "page")}
    errors: list[FieldError] = []
    try:
        filters, page, _ = alert_filters({**args, "per_page": str(PER_PAGE)}, principal.user_id)
    except ValidationFailed as error:
        errors = error.details
        filters, page, _ = alert_filters({"per_page": str(PER_PAGE)}, principal.user_id)
    found = list_alerts(session, filters, reader(), page, PER_PAGE)
    page_html = render_template(
        "alerts_inbox.html",
        found=found,
        args=args,
        errors={e.field: e.message for e in errors},
        statuses=[m.value for m in AlertStatus],
        severities=[m.value for m in Severity],
        kinds=source_kinds(session, reader()),
    )
    return page_html, 422 if errors else 200


def _detail(alert: Alert, problems: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    session = get_session()
    page = render_template(
        "alerts_detail.html",
        alert=alert,
        person=alert.person,
        record=alert.record,
        officers=officers(session),
        reasons=[m.value for m in DismissReason],
        person_statuses=[s.value for s in CONFIRMED_PERSON_STATUSES],
        problems=problems or [],
        open=alert.status in (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED),
    )
    return page, status


@web.get("/alerts/<int:alert_id>")
@allow(*ALERT_ROLES)
def alerts_detail(alert_id: int) -> tuple[str, int]:
    """One alert: both sides, why it matched, sightings, history and the triage buttons; audited."""
    session = get_session()
    alert = visible_alert(alert_id)
    audit_alert_view(alert, _principal(), request.remote_addr)
    page = _detail(alert)
    # the page goes out only once the audit row of who saw it is stored
    session.commit()
    return page


def _step(alert_id: int, action: str, run: Any) -> Response | tuple[str, int]:
    session = get_session()
    alert = visible_alert(alert_id)
    try:
        run(alert, request.form, _principal().username)
    except ValidationFailed as error:
        session.rollback()
        alert = visible_alert(alert_id)
        problems = [
            i18n.gettext("alerts.problem", field=_field_label(d.field), message=_problem_text(d.message))
            for d in error.details
        ]
        return _detail(alert, problems, 422)
    except Conflict:
        session.rollback()
        return _detail(visible_alert(alert_id), [i18n.gettext("alerts.conflict")], 409)
    session.commit()
    flash(f"alerts.done.{action}")
    return redirect(url_for("web.alerts_detail", alert_id=alert_id))


# the operations speak English to the API; the pages say the same in the user's language
_PROBLEMS = {
    "is required": "alerts.problem.required",
    "is required (a username)": "alerts.problem.required",
    "must be the username of an active officer": "alerts.problem.not_officer",
    "contains control characters or broken Unicode": "alerts.problem.control",
}


def _problem_text(message: str) -> str:
    if message in _PROBLEMS:
        return i18n.gettext(_PROBLEMS[message])
    if message.startswith("must be one of"):
        return i18n.gettext("alerts.problem.choose")
    if message.startswith("is longer than"):
        return i18n.gettext("alerts.problem.too_long")
    return message


def _field_label(field: str) -> str:
    key = f"alerts.field.{field}"
    known = key in i18n.catalogue_of(current_app).messages[i18n.current_language()]
    return i18n.gettext(key) if known else field


@web.post("/alerts/<int:alert_id>/acknowledge")
@allow(*ALERT_ROLES)
def alerts_acknowledge(alert_id: int) -> Response | tuple[str, int]:
    """Take a new alert up."""
    return _step(alert_id, "acknowledged", lambda a, form, actor: acknowledge_alert(get_session(), a, actor))


@web.post("/alerts/<int:alert_id>/assign")
@allow(*ALERT_ROLES)
def alerts_assign(alert_id: int) -> Response | tuple[str, int]:
    """Give an open alert to an officer."""
    return _step(
        alert_id,
        "assigned",
        lambda a, form, actor: assign_alert(get_session(), a, form.get("assignee"), actor),
    )


@web.post("/alerts/<int:alert_id>/comment")
@allow(*ALERT_ROLES)
def alerts_comment(alert_id: int) -> Response | tuple[str, int]:
    """Add a comment to the alert's history."""
    return _step(
        alert_id,
        "commented",
        lambda a, form, actor: comment_alert(get_session(), a, form.get("comment"), actor),
    )


@web.post("/alerts/<int:alert_id>/confirm")
@allow(*ALERT_ROLES)
def alerts_confirm(alert_id: int) -> Response | tuple[str, int]:
    """It is him: the person is moved to located or detained."""
    return _step(
        alert_id,
        "confirmed",
        lambda a, form, actor: confirm_alert(
            get_session(), a, form.get("person_status"), actor, form.get("comment")
        ),
    )


@web.post("/alerts/<int:alert_id>/dismiss")
@allow(*ALERT_ROLES)
def alerts_dismiss(alert_id: int) -> Response | tuple[str, int]:
    """It is not him: dismissed with a reason and a comment."""
    return _step(
        alert_id,
        "dismissed",
        lambda a, form, actor: dismiss_alert(
            get_session(), a, form.get("reason"), form.get("comment"), actor
        ),
    )


def _unread_badge() -> int | None:
    principal = current_principal()
    if principal is None or principal.role not in ALERT_ROLES:
        return None
    return unread_count(get_session(), reader()) or None


def init_app(app: Flask) -> None:
    """Add the pages' texts to the catalogue, their menu entry and its unread count."""
    i18n.catalogue_of(app).add(MESSAGES)
    navigation.add_nav_item(app, "web.alerts_inbox", "nav.alerts", "nav.alerts.description")
    navigation.add_nav_badge(app, "web.alerts_inbox", _unread_badge, "alerts.unread")


MESSAGES: dict[str, dict[str, str]] = {
    "uk": {
        "nav.alerts": "Сповіщення",
        "nav.alerts.description": (
            "Збіги з реєстром у вхідних списках і перевірках: порівняти, підтвердити чи відхилити."
        ),
        "alerts.unread": "{count} непрочитане|{count} непрочитані|{count} непрочитаних",
        "alerts.inbox.title": "Сповіщення",
        "alerts.filter.status": "Стан",
        "alerts.filter.severity": "Важливість",
        "alerts.filter.source_kind": "Тип джерела",
        "alerts.filter.mine": "Лише призначені мені",
        "alerts.filter.any": "будь-який",
        "alerts.filter.submit": "Показати",
        "alerts.inbox.found": "{count} сповіщення|{count} сповіщення|{count} сповіщень",
        "alerts.inbox.none": "Сповіщень немає.",
        "alerts.inbox.page": "Сторінка {page} з {pages}",
        "alerts.inbox.previous": "Попередня",
        "alerts.inbox.next": "Наступна",
        "alerts.inbox.unread": "нове для вас",
        "alerts.column.raised_at": "Піднято",
        "alerts.column.person": "Особа з реєстру",
        "alerts.column.found_as": "Знайдено як",
        "alerts.column.source": "Джерело",
        "alerts.column.score": "Оцінка",
        "alerts.column.severity": "Важливість",
        "alerts.column.status": "Стан",
        "alerts.column.assigned_to": "Призначено",
        "alerts.status.new": "нове",
        "alerts.status.acknowledged": "взято в роботу",
        "alerts.status.confirmed": "підтверджено",
        "alerts.status.dismissed": "відхилено",
        "alerts.severity.critical": "критична",
        "alerts.severity.high": "висока",
        "alerts.severity.medium": "середня",
        "alerts.severity.low": "низька",
        "alerts.origin.record": "вхідний список",
        "alerts.origin.screening": "перевірка посадовою особою",
        "alerts.reason.different_person": "інша особа",
        "alerts.reason.duplicate": "дублікат",
        "alerts.reason.data_error": "помилка в даних",
        "alerts.detail.title": "Сповіщення №{id}",
        "alerts.detail.back": "До сповіщень",
        "alerts.detail.person": "Особа з реєстру",
        "alerts.detail.found": "Знайдений запис",
        "alerts.detail.screened": "Що перевіряли",
        "alerts.detail.names": "Усі імена",
        "alerts.detail.birth_date": "Дата народження",
        "alerts.detail.status": "Статус особи",
        "alerts.detail.convictions": "Вироки",
        "alerts.detail.no_convictions": "Вироків не записано.",
        "alerts.detail.name": "Ім'я",
        "alerts.detail.record_id": "Номер запису",
        "alerts.detail.source": "Джерело",
        "alerts.detail.fields": "Усі поля запису",
        "alerts.detail.first_seen_at": "Уперше отримано",
        "alerts.detail.why": "Чому це збіг",
        "alerts.detail.score": "Оцінка {score}",
        "alerts.detail.dismissed_because": "Відхилено: {reason}",
        "alerts.detail.assigned_to": "Призначено: {name}",
        "alerts.detail.unassigned": "Нікому не призначено",
        "alerts.detail.sightings": "Повторні появи",
        "alerts.detail.no_sightings": "Особа більше не з'являлася.",
        "alerts.detail.history": "Історія",
        "alerts.detail.when": "Коли",
        "alerts.detail.who": "Хто",
        "alerts.detail.what": "Що",
        "alerts.detail.comment": "Коментар",
        "alerts.action.raised": "піднято",
        "alerts.action.acknowledged": "взято в роботу",
        "alerts.action.assigned": "призначено",
        "alerts.action.commented": "прокоментовано",
        "alerts.action.confirmed": "підтверджено",
        "alerts.action.dismissed": "відхилено",
        "alerts.action.reopened": "відкрито знову (змінилися дані збігу)",
        "alerts.action.sighted": "нова поява",
        "alerts.triage": "Дії",
        "alerts.triage.acknowledge": "Взяти в роботу",
        "alerts.triage.assign": "Призначити",
        "alerts.triage.assignee": "Офіцер",
        "alerts.triage.comment": "Додати коментар",
        "alerts.triage.confirm": "Підтвердити: це він",
        "alerts.triage.person_status": "Новий статус особи",
        "alerts.triage.dismiss": "Відхилити",
        "alerts.triage.reason": "Причина",
        "alerts.person_status.located": "місцеперебування встановлено",
        "alerts.person_status.detained": "затримано",
        "alerts.field.comment": "Коментар",
        "alerts.field.reason": "Причина",
        "alerts.field.assignee": "Офіцер",
        "alerts.field.person_status": "Новий статус особи",
        "alerts.problem": "{field}: {message}",
        "alerts.problem.required": "обов'язкове поле",
        "alerts.problem.not_officer": "виберіть активного офіцера виконання",
        "alerts.problem.control": "містить керівні символи або пошкоджений Юнікод",
        "alerts.problem.choose": "виберіть одне зі значень списку",
        "alerts.problem.too_long": "задовгий текст",
        "alerts.conflict": "Стан сповіщення вже змінився; цю дію зробити не можна. Оновіть сторінку.",
        "alerts.done.acknowledged": "Сповіщення взято в роботу.",
        "alerts.done.assigned": "Сповіщення призначено.",
        "alerts.done.commented": "Коментар додано.",
        "alerts.done.confirmed": "Сповіщення підтверджено, статус особи змінено.",
        "alerts.done.dismissed": "Сповіщення відхилено.",
    },
    "en": {
        "nav.alerts": "Alerts",
        "nav.alerts.description": (
            "Watchlist hits in incoming lists and screenings: compare, confirm or dismiss."
        ),
        "alerts.unread": "{count} unread|{count} unread",
        "alerts.inbox.title": "Alerts",
        "alerts.filter.status": "Status",
        "alerts.filter.severity": "Severity",
        "alerts.filter.source_kind": "Source kind",
        "alerts.filter.mine": "Assigned to me only",
        "alerts.filter.any": "any",
        "alerts.filter.submit": "Show",
        "alerts.inbox.found": "{count} alert|{count} alerts",
        "alerts.inbox.none": "No alerts.",
        "alerts.inbox.page": "Page {page} of {pages}",
        "alerts.inbox.previous": "Previous",
        "alerts.inbox.next": "Next",
        "alerts.inbox.unread": "new to you",
        "alerts.column.raised_at": "Raised",
        "alerts.column.person": "Watchlist person",
        "alerts.column.found_as": "Found as",
        "alerts.column.source": "Source",
        "alerts.column.score": "Score",
        "alerts.column.severity": "Severity",
        "alerts.column.status": "Status",
        "alerts.column.assigned_to": "Assigned to",
        "alerts.status.new": "new",
        "alerts.status.acknowledged": "acknowledged",
        "alerts.status.confirmed": "confirmed",
        "alerts.status.dismissed": "dismissed",
        "alerts.severity.critical": "critical",
        "alerts.severity.high": "high",
        "alerts.severity.medium": "medium",
        "alerts.severity.low": "low",
        "alerts.origin.record": "incoming list",
        "alerts.origin.screening": "screening by an official",
        "alerts.reason.different_person": "a different person",
        "alerts.reason.duplicate": "duplicate",
        "alerts.reason.data_error": "data error",
        "alerts.detail.title": "Alert #{id}",
        "alerts.detail.back": "Back to alerts",
        "alerts.detail.person": "Watchlist person",
        "alerts.detail.found": "Record found",
        "alerts.detail.screened": "What was screened",
        "alerts.detail.names": "All names",
        "alerts.detail.birth_date": "Birth date",
        "alerts.detail.status": "Person's status",
        "alerts.detail.convictions": "Convictions",
        "alerts.detail.no_convictions": "No convictions recorded.",
        "alerts.detail.name": "Name",
        "alerts.detail.record_id": "Record id",
        "alerts.detail.source": "Source",
        "alerts.detail.fields": "All fields of the record",
        "alerts.detail.first_seen_at": "First received",
        "alerts.detail.why": "Why it matched",
        "alerts.detail.score": "Score {score}",
        "alerts.detail.dismissed_because": "Dismissed: {reason}",
        "alerts.detail.assigned_to": "Assigned to {name}",
        "alerts.detail.unassigned": "Not assigned",
        "alerts.detail.sightings": "Seen again",
        "alerts.detail.no_sightings": "The person has not turned up again.",
        "alerts.detail.history": "History",
        "alerts.detail.when": "When",
        "alerts.detail.who": "Who",
        "alerts.detail.what": "What",
        "alerts.detail.comment": "Comment",
        "alerts.action.raised": "raised",
        "alerts.action.acknowledged": "acknowledged",
        "alerts.action.assigned": "assigned",
        "alerts.action.commented": "commented",
        "alerts.action.confirmed": "confirmed",
        "alerts.action.dismissed": "dismissed",
        "alerts.action.reopened": "reopened (what was matched changed)",
        "alerts.action.sighted": "seen again",
        "alerts.triage": "Actions",
        "alerts.triage.acknowledge": "Acknowledge",
        "alerts.triage.assign": "Assign",
        "alerts.triage.assignee": "Officer",
        "alerts.triage.comment": "Add comment",
        "alerts.triage.confirm": "Confirm: it is him",
        "alerts.triage.person_status": "Person's new status",
        "alerts.triage.dismiss": "Dismiss",
        "alerts.triage.reason": "Reason",
        "alerts.person_status.located": "located",
        "alerts.person_status.detained": "detained",
        "alerts.field.comment": "Comment",
        "alerts.field.reason": "Reason",
        "alerts.field.assignee": "Officer",
        "alerts.field.person_status": "Person's new status",
        "alerts.problem": "{field}: {message}",
        "alerts.problem.required": "is required",
        "alerts.problem.not_officer": "choose an active enforcement officer",
        "alerts.problem.control": "contains control characters or broken Unicode",
        "alerts.problem.choose": "choose one of the values in the list",
        "alerts.problem.too_long": "is too long",
        "alerts.conflict": (
            "The alert's status has changed; this step is no longer possible. Reload the page."
        ),
        "alerts.done.acknowledged": "Alert acknowledged.",
        "alerts.done.assigned": "Alert assigned.",
        "alerts.done.commented": "Comment added.",
        "alerts.done.confirmed": "Alert confirmed; the person's status was changed.",
        "alerts.done.dismissed": "Alert dismissed.",
    },
}
