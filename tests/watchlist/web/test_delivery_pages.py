"""/account/subscriptions: an officer sets his address and subscribes (and unsubscribes); an admin sees
everyone's. /admin/deliveries: an admin sees the dead letters and sends them again, and disables a webhook."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.login_sessions import log_in
from tests.watchlist.delivery.factories import alert_with_outbox
from tests.watchlist.web.test_persons_pages import field_error, page_text
from watchlist.access import SESSION_CSRF_TOKEN
from watchlist.db import utcnow
from watchlist.delivery.endpoints import add_endpoint
from watchlist.delivery.signing import new_secret
from watchlist.models import MessageStatus, OutboxMessage, Role, Subscription, User, WebhookEndpoint

CSRF = "delivery-pages-csrf-token"


def sign_in(client: FlaskClient, user: User, language: str = "en") -> None:
    log_in(client, user)
    with client.session_transaction() as cookie:
        cookie[SESSION_CSRF_TOKEN] = CSRF
        cookie["lang"] = language


def test_an_officer_sets_his_address_and_subscribes(
    client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    officer = make_user(Role.OFFICER, username="oksana")
    sign_in(client, officer)
    page = client.get("/account/subscriptions")
    assert page.status_code == 200
    assert "No subscriptions." in page_text(page)

    # by e-mail without an address: refused, with the reason next to the field
    refused = client.post(
        "/account/subscriptions",
        data={"csrf_token": CSRF, "source_kind": "pow", "min_severity": "high", "by_email": "1"},
    )
    assert refused.status_code == 422
    assert field_error(refused, "email") == ["Set your address first, or subscribe for the inbox only."]

    bad = client.post("/account/email", data={"csrf_token": CSRF, "email": "oksana at example"})
    assert bad.status_code == 422 and field_error(bad, "email") == ["This is not an e-mail address."]
    saved = client.post("/account/email", data={"csrf_token": CSRF, "email": "oksana@prosecutor.example"})
    assert saved.status_code == 302
    added = client.post(
        "/account/subscriptions",
        data={
            "csrf_token": CSRF,
            "source_kind": "pow",
            "min_severity": "high",
            "region": "Kharkiv",
            "by_email": "1",
        },
        follow_redirects=True,
    )
    text = page_text(added)
    assert "Subscription added." in text
    assert "prisoner-of-war registry high Kharkiv inbox and e-mail" in text
    subscription = session.scalars(select(Subscription)).one()
    assert (subscription.user_id, subscription.source_kind, subscription.region) == (
        officer.id,
        "pow",
        "Kharkiv",
    )

    # another officer cannot remove it; he does not even learn it exists
    other = make_user(Role.OFFICER)
    sign_in(client, other)
    assert (
        client.post(f"/account/subscriptions/{subscription.id}/delete", data={"csrf_token": CSRF}).status_code
        == 404
    )
    assert "No subscriptions." in page_text(client.get("/account/subscriptions"))

    sign_in(client, officer, "uk")
    removed = client.post(
        f"/account/subscriptions/{subscription.id}/delete", data={"csrf_token": CSRF}, follow_redirects=True
    )
    assert "Підписку вилучено." in page_text(removed)
    assert session.scalars(select(Subscription)).all() == []


def test_an_admin_sees_everyones_subscriptions(
    client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    officer = make_user(Role.OFFICER, username="petro")
    officer.email = "petro@prosecutor.example"
    session.add(
        Subscription(
            user_id=officer.id, source_kind=None, min_severity="critical", region=None, by_email=True
        )
    )
    session.commit()
    sign_in(client, make_user(Role.ADMIN))
    text = page_text(client.get("/account/subscriptions"))
    assert "Everyone's subscriptions" in text
    assert "petro <petro@prosecutor.example> any critical any inbox and e-mail" in text


def test_an_admin_sends_a_dead_letter_again_and_disables_a_webhook(
    client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    endpoint = add_endpoint(session, "https://soc.example/hook", new_secret())
    session.commit()
    alert_id = alert_with_outbox(session)
    dead_at = utcnow() - timedelta(hours=1)
    session.execute(
        update(OutboxMessage).values(
            status=MessageStatus.DEAD, dead_at=dead_at, attempts=27, last_error="HTTP 503"
        )
    )
    session.commit()
    sign_in(client, make_user(Role.ADMIN))
    text = page_text(client.get("/admin/deliveries"))
    assert "dead letters: 1" in text
    assert f"{alert_id} webhook https://soc.example/hook 27" in text and "HTTP 503" in text

    message = session.scalars(select(OutboxMessage)).one()
    retried = client.post(
        f"/admin/deliveries/{message.id}/retry", data={"csrf_token": CSRF}, follow_redirects=True
    )
    assert "Queued to be sent again." in page_text(retried) and "No dead letters." in page_text(retried)
    session.expire_all()
    assert session.get(OutboxMessage, message.id).status is MessageStatus.PENDING  # type: ignore[union-attr]

    disabled = client.post(
        f"/admin/webhooks/{endpoint.id}/disable", data={"csrf_token": CSRF}, follow_redirects=True
    )
    assert "disabled: disabled by an admin" in page_text(disabled)
    session.expire_all()
    assert session.get(WebhookEndpoint, endpoint.id).is_active is False  # type: ignore[union-attr]
    assert session.get(OutboxMessage, message.id).status is MessageStatus.CANCELLED  # type: ignore[union-attr]


def test_only_officers_and_admins_see_the_pages_in_the_menu(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    sign_in(client, make_user(Role.OFFICER))
    home = client.get("/").get_data(as_text=True)
    assert "/account/subscriptions" in home and "/admin/deliveries" not in home
    sign_in(client, make_user(Role.SCREENER))
    home = client.get("/").get_data(as_text=True)
    assert "/account/subscriptions" not in home
    assert client.get("/account/subscriptions").status_code == 403
