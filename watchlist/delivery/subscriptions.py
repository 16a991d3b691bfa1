"""Officers' subscriptions (which alerts reach them by e-mail besides the inbox) and their e-mail address."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from watchlist.delivery.rules import check_email, check_region, check_severity, check_source_kind, raise_if
from watchlist.exc import FieldError, Forbidden, NotFound
from watchlist.models import Role, Severity, Subscription, User


def set_email(session: Session, user: User, email: str | None) -> User:
    """Set (or, with None or "", clear) the address alerts are e-mailed to."""
    user.email = check_email(email)
    session.flush()
    return user


def add_subscription(
    session: Session,
    user: User,
    *,
    source_kind: str | None = None,
    min_severity: str | Severity | None = None,
    region: str | None = None,
    by_email: bool = True,
) -> Subscription:
    """Subscribe an officer to the alerts of a source kind (None: any), at least a severity, of a region
    (None: any); with `by_email` they are also e-mailed to his address."""
    if user.role is not Role.OFFICER:
        raise Forbidden("only enforcement officers subscribe to alerts")
    errors: list[FieldError] = []
    subscription = Subscription(
        user_id=user.id,
        source_kind=check_source_kind(source_kind, errors),
        min_severity=check_severity(min_severity, errors),
        region=check_region(region, errors),
        by_email=by_email,
    )
    if by_email and not user.email:
        errors.append(FieldError("email", "set your e-mail address first, or subscribe for the inbox only"))
    raise_if(errors, "invalid subscription")
    session.add(subscription)
    session.flush()
    return subscription


def list_subscriptions(session: Session, user: User | None = None) -> Sequence[Subscription]:
    """The subscriptions of `user`, or of everyone (None), by user then age."""
    query = select(Subscription).options(joinedload(Subscription.user)).join(User)
    if user is not None:
        query = query.where(Subscription.user_id == user.id)
    return session.scalars(query.order_by(User.username, Subscription.id)).all()


def remove_subscription(session: Session, subscription_id: int, by: User) -> None:
    """Remove a subscription: an officer his own, an admin anyone's."""
    subscription = session.get(Subscription, subscription_id)
    if subscription is None or (by.role is not Role.ADMIN and subscription.user_id != by.id):
        raise NotFound(f"no subscription {subscription_id}")
    session.delete(subscription)
    session.flush()
