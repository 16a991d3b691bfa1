"""Alert delivery pages: an officer's subscriptions and e-mail address (admins see everyone's), and the
admins' outbox page: dead letters with a retry action, and the webhook endpoints."""

from __future__ import annotations

from flask import Flask, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from watchlist import i18n
from watchlist.access import Principal, allow, current_principal
from watchlist.db import get_session
from watchlist.delivery.endpoints import disable_endpoint, list_endpoints
from watchlist.delivery.outbox import counts_by_status, dead_letters, retry_dead
from watchlist.delivery.rules import SOURCE_KINDS
from watchlist.delivery.subscriptions import (
    add_subscription,
    list_subscriptions,
    remove_subscription,
    set_email,
)
from watchlist.exc import FieldError, ValidationFailed
from watchlist.models import Role, Severity, User
from watchlist.web import navigation, web

MESSAGES: dict[str, dict[str, str]] = {
    "uk": {
        "nav.subscriptions": "Підписки",
        "nav.subscriptions.description": "Які тривоги потрапляють до вхідних і які ще й надходять поштою.",
        "nav.admin_deliveries": "Доставка",
        "nav.admin_deliveries.description": "Недоставлені сповіщення, повторне надсилання, вебхуки.",
        "subscriptions.title": "Підписки на тривоги",
        "subscriptions.all_title": "Підписки всіх працівників",
        "subscriptions.explain": "У ваших вхідних — тривоги, призначені вам, і ті, що відповідають вашим "
        "підпискам (вид джерела, рівень, регіон). Підписка «вхідні й лист» ще й надсилає їх на вашу адресу.",
        "subscriptions.email": "Ваша електронна адреса",
        "subscriptions.email_none": "не вказано",
        "subscriptions.save_email": "Зберегти адресу",
        "subscriptions.email_saved": "Адресу збережено.",
        "subscriptions.add": "Підписатися",
        "subscriptions.added": "Підписку додано.",
        "subscriptions.removed": "Підписку вилучено.",
        "subscriptions.remove": "Вилучити",
        "subscriptions.none": "Підписок немає.",
        "subscriptions.user": "Працівник",
        "subscriptions.source_kind": "Вид джерела",
        "subscriptions.min_severity": "Рівень не нижче",
        "subscriptions.region": "Регіон",
        "subscriptions.region_hint": "Порожньо — будь-який.",
        "subscriptions.by_email": "Надсилати листом",
        "subscriptions.channel": "Канал",
        "subscriptions.channel.email": "вхідні й лист",
        "subscriptions.channel.inbox": "лише вхідні",
        "delivery.any": "будь-який",
        "delivery.kind.pow": "реєстр військовополонених",
        "delivery.kind.border": "перетин кордону",
        "delivery.kind.extradition": "екстрадиція",
        "delivery.kind.screening": "перевірка посадовцем",
        "delivery.severity.low": "низький",
        "delivery.severity.medium": "середній",
        "delivery.severity.high": "високий",
        "delivery.severity.critical": "критичний",
        "delivery.error.email_invalid": "Це не адреса електронної пошти.",
        "delivery.error.email_missing": "Спершу вкажіть свою адресу або підпишіться лише на вхідні.",
        "delivery.error.invalid": "Недопустиме значення.",
        "deliveries.title": "Доставка сповіщень",
        "deliveries.counts": "Стан вихідних повідомлень",
        "deliveries.status.pending": "очікують",
        "deliveries.status.delivered": "доставлено",
        "deliveries.status.dead": "недоставлені",
        "deliveries.status.cancelled": "скасовано",
        "deliveries.dead": "Недоставлені (вікно повторів минуло)",
        "deliveries.dead_none": "Недоставлених немає.",
        "deliveries.id": "№",
        "deliveries.alert": "Тривога",
        "deliveries.channel": "Канал",
        "deliveries.recipient": "Одержувач",
        "deliveries.attempts": "Спроб",
        "deliveries.dead_at": "Здалися (UTC)",
        "deliveries.last_error": "Остання помилка",
        "deliveries.retry": "Надіслати знову",
        "deliveries.retry_all": "Надіслати знову всі",
        "deliveries.retried": "Поставлено в чергу знову.",
        "deliveries.endpoints": "Вебхуки",
        "deliveries.endpoints_none": "Вебхуків немає (watchlist webhooks add URL --secret-file F).",
        "deliveries.url": "Адреса",
        "deliveries.state": "Стан",
        "deliveries.active": "активний",
        "deliveries.disabled": "вимкнено: {reason}",
        "deliveries.disable": "Вимкнути",
        "deliveries.endpoint_disabled": "Вебхук вимкнено; його черга скасована.",
    },
    "en": {
        "nav.subscriptions": "Subscriptions",
        "nav.subscriptions.description": "Which alerts reach your inbox, and which are also e-mailed to you.",
        "nav.admin_deliveries": "Delivery",
        "nav.admin_deliveries.description": "Undelivered notifications, sending again, webhooks.",
        "subscriptions.title": "Alert subscriptions",
        "subscriptions.all_title": "Everyone's subscriptions",
        "subscriptions.explain": "Your inbox holds the alerts assigned to you and those your subscriptions "
        "ask for (source kind, severity, region). A subscription by e-mail also sends them to your address.",
        "subscriptions.email": "Your e-mail address",
        "subscriptions.email_none": "not set",
        "subscriptions.save_email": "Save the address",
        "subscriptions.email_saved": "Address saved.",
        "subscriptions.add": "Subscribe",
        "subscriptions.added": "Subscription added.",
        "subscriptions.removed": "Subscription removed.",
        "subscriptions.remove": "Remove",
        "subscriptions.none": "No subscriptions.",
        "subscriptions.user": "Officer",
        "subscriptions.source_kind": "Source kind",
        "subscriptions.min_severity": "Severity at least",
        "subscriptions.region": "Region",
        "subscriptions.region_hint": "Empty for any.",
        "subscriptions.by_email": "Send by e-mail",
        "subscriptions.channel": "Channel",
        "subscriptions.channel.email": "inbox and e-mail",
        "subscriptions.channel.inbox": "inbox only",
        "delivery.any": "any",
        "delivery.kind.pow": "prisoner-of-war registry",
        "delivery.kind.border": "border crossing",
        "delivery.kind.extradition": "extradition",
        "delivery.kind.screening": "screening by an official",
        "delivery.severity.low": "low",
        "delivery.severity.medium": "medium",
        "delivery.severity.high": "high",
        "delivery.severity.critical": "critical",
        "delivery.error.email_invalid": "This is not an e-mail address.",
        "delivery.error.email_missing": "Set your address first, or subscribe for the inbox only.",
        "delivery.error.invalid": "Not an allowed value.",
        "deliveries.title": "Notification delivery",
        "deliveries.counts": "Outbox messages by state",
        "deliveries.status.pending": "waiting",
        "deliveries.status.delivered": "delivered",
        "deliveries.status.dead": "dead letters",
        "deliveries.status.cancelled": "cancelled",
        "deliveries.dead": "Dead letters (the retry window has passed)",
        "deliveries.dead_none": "No dead letters.",
        "deliveries.id": "No.",
        "deliveries.alert": "Alert",
        "deliveries.channel": "Channel",
        "deliveries.recipient": "Recipient",
        "deliveries.attempts": "Attempts",
        "deliveries.dead_at": "Given up (UTC)",
        "deliveries.last_error": "Last error",
        "deliveries.retry": "Send again",
        "deliveries.retry_all": "Send all again",
        "deliveries.retried": "Queued to be sent again.",
        "deliveries.endpoints": "Webhooks",
        "deliveries.endpoints_none": "No webhooks (watchlist webhooks add URL --secret-file F).",
        "deliveries.url": "URL",
        "deliveries.state": "State",
        "deliveries.active": "active",
        "deliveries.disabled": "disabled: {reason}",
        "deliveries.disable": "Disable",
        "deliveries.endpoint_disabled": "Webhook disabled; what waited for it is cancelled.",
    },
}


def _user() -> User:
    principal: Principal | None = current_principal()
    user = get_session().get(User, principal.user_id) if principal else None
    if user is None:
        abort(403)
    return user


def _errors(failure: ValidationFailed) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in failure.details:
        errors.setdefault(error.field, []).append(_error_message(error))
    return errors


def _error_message(error: FieldError) -> str:
    if error.field == "email":
        key = "delivery.error.email_missing" if "first" in error.message else "delivery.error.email_invalid"
        return i18n.gettext(key)
    return i18n.gettext("delivery.error.invalid")


def _subscriptions_page(
    user: User, errors: dict[str, list[str]] | None = None, form: dict[str, str] | None = None
) -> str:
    session = get_session()
    is_admin = user.role is Role.ADMIN
    return render_template(
        "delivery_subscriptions.html",
        user=user,
        is_admin=is_admin,
        subscriptions=list_subscriptions(session, None if is_admin else user),
        kinds=SOURCE_KINDS,
        severities=[severity.value for severity in Severity],
        errors=errors or {},
        form=form or {},
    )


@web.get("/account/subscriptions")
@allow(Role.OFFICER, Role.ADMIN)
def subscriptions() -> str:
    """An officer's subscriptions and e-mail address; an admin sees everyone's."""
    return _subscriptions_page(_user())


@web.post("/account/subscriptions")
@allow(Role.OFFICER)
def subscriptions_add() -> Response | tuple[str, int]:
    """Add a subscription for the signed-in officer."""
    user = _user()
    form = {
        name: request.form.get(name, "") for name in ("source_kind", "min_severity", "region", "by_email")
    }
    session = get_session()
    try:
        add_subscription(
            session,
            user,
            source_kind=form["source_kind"],
            min_severity=form["min_severity"],
            region=form["region"],
            by_email=bool(form["by_email"]),
        )
    except ValidationFailed as failure:
        session.rollback()
        return _subscriptions_page(user, _errors(failure), form), 422
    session.commit()
    flash("subscriptions.added")
    return redirect(url_for("web.subscriptions"))


@web.post("/account/subscriptions/<int:subscription_id>/delete")
@allow(Role.OFFICER, Role.ADMIN)
def subscriptions_remove(subscription_id: int) -> Response:
    """Remove a subscription: an officer his own, an admin anyone's."""
    session = get_session()
    remove_subscription(session, subscription_id, _user())
    session.commit()
    flash("subscriptions.removed")
    return redirect(url_for("web.subscriptions"))


@web.post("/account/email")
@allow(Role.OFFICER)
def account_email() -> Response | tuple[str, int]:
    """Set the signed-in officer's e-mail address."""
    user = _user()
    session = get_session()
    try:
        set_email(session, user, request.form.get("email", ""))
    except ValidationFailed as failure:
        session.rollback()
        return _subscriptions_page(user, _errors(failure), {"email": request.form.get("email", "")}), 422
    session.commit()
    flash("subscriptions.email_saved")
    return redirect(url_for("web.subscriptions"))


@web.get("/admin/deliveries")
@allow(Role.ADMIN)
def admin_deliveries() -> str:
    """The outbox by state, the dead letters with a retry action, and the webhook endpoints."""
    session = get_session()
    return render_template(
        "admin_deliveries.html",
        counts=counts_by_status(session),
        dead=dead_letters(session),
        endpoints=list_endpoints(session),
    )


@web.post("/admin/deliveries/<int:outbox_id>/retry")
@allow(Role.ADMIN)
def admin_deliveries_retry(outbox_id: int) -> Response:
    """Send one dead letter again with a fresh retry window."""
    session = get_session()
    retry_dead(session, [outbox_id])
    session.commit()
    flash("deliveries.retried")
    return redirect(url_for("web.admin_deliveries"))


@web.post("/admin/deliveries/retry-all")
@allow(Role.ADMIN)
def admin_deliveries_retry_all() -> Response:
    """Send every dead letter again."""
    session = get_session()
    retry_dead(session)
    session.commit()
    flash("deliveries.retried")
    return redirect(url_for("web.admin_deliveries"))


@web.post("/admin/webhooks/<int:endpoint_id>/disable")
@allow(Role.ADMIN)
def admin_webhooks_disable(endpoint_id: int) -> Response:
    """Stop calling a webhook endpoint; what waits for it is cancelled."""
    session = get_session()
    disable_endpoint(session, endpoint_id, "disabled by an admin")
    session.commit()
    flash("deliveries.endpoint_disabled")
    return redirect(url_for("web.admin_deliveries"))


def init_app(app: Flask) -> None:
    """Add the pages' texts to the catalogue and their entries to the menu."""
    i18n.catalogue_of(app).add(MESSAGES)
    navigation.add_nav_item(app, "web.subscriptions", "nav.subscriptions", "nav.subscriptions.description")
    navigation.add_nav_item(
        app, "web.admin_deliveries", "nav.admin_deliveries", "nav.admin_deliveries.description"
    )
