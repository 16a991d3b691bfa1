"""Logging in to the pages: passwords with lockout, and server-side login sessions with timeouts.

The lockout counter and the sessions live in the database, not in a worker's memory, so every worker
counts the same failed attempts and refuses the same ended session. Every login, failed login, lockout
and logout is written to the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from watchlist import second_factor
from watchlist.audit import record_event
from watchlist.db import utcnow
from watchlist.models import LoginSession, Role, RolePolicy, User
from watchlist.settings import Settings
from watchlist.users import check_password, dummy_password_check

# last_seen_at is written at most this often: the idle timeout is 30 minutes, and a write per page view
# would cost more than the page; a session may so end up to this much before its idle time is up
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class LoginPolicy:
    """The timeouts and the lockout, from the settings."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        return cls(
            idle=timedelta(minutes=settings.sessions_idle_minutes),
            absolute=timedelta(hours=settings.sessions_absolute_hours),
            max_failures=settings.logins_max_failures,
            lockout=timedelta(minutes=settings.logins_lockout_minutes),
        )


def _audit(
    session: Session,
    action: str,
    actor: str,
    remote_addr: str | None,
    role: Role | None = None,
    **outcome: object,
) -> None:
    record_event(
        session, action, actor=actor, via="session", role=role, remote_addr=remote_addr, outcome=outcome
    )


def check_login(
    session: Session,
    username: str,
    password: str,
    policy: LoginPolicy,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> User | None:
    """The user, when the name and password are right and the account is neither locked nor disabled.

    None otherwise, for any of these reasons alike, so the answer never tells whether a user exists. A
    wrong password counts towards the lockout; a locked account refuses even the right password.
    """
    now = now or utcnow()
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        dummy_password_check(password)
        _audit(session, "auth.login_failed", "anonymous", remote_addr, attempted=username.strip()[:128])
        return None
    if user.locked_until is not None and user.locked_until > now:
        dummy_password_check(password)
        _audit(session, "auth.login_failed", user.username, remote_addr, user.role, reason="locked")
        return None
    if not check_password(user, password):
        record_failure(session, user, policy, remote_addr, now, reason="password")
        return None
    if user.failed_logins or user.locked_until is not None:
        user.failed_logins = 0
        user.locked_until = None
        session.flush()
    return user


def record_failure(
    session: Session,
    user: User,
    policy: LoginPolicy,
    remote_addr: str | None,
    now: datetime | None = None,
    reason: str = "password",
) -> None:
    """Count one failed login of `user` (a wrong password or second factor); the last allowed locks him."""
    now = now or utcnow()
    users = cast(Table, User.__table__)
    # one UPDATE … RETURNING: two workers failing at once both count
    failures = session.execute(
        update(users)
        .where(users.c.id == user.id)
        .values(failed_logins=users.c.failed_logins + 1)
        .returning(users.c.failed_logins)
    ).scalar_one()
    _audit(session, "auth.login_failed", user.username, remote_addr, user.role, reason=reason)
    if failures >= policy.max_failures:
        locked_until = now + policy.lockout
        session.execute(
            update(users).where(users.c.id == user.id).values(failed_logins=0, locked_until=locked_until)
        )
        _audit(
            session,
            "auth.locked",
            user.username,
            remote_addr,
            user.role,
            failures=failures,
            locked_until=locked_until.isoformat(),
        )
    session.expire(user, ["failed_logins", "locked_until"])


def is_locked(user: User, now: datetime | None = None) -> bool:
    """Whether the account is locked now."""
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def _session_hash(session_id: str) -> str:
    # the id carries 256 random bits: a fast hash is enough, and a stolen table yields no usable cookie
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_login_session(
    session: Session, user: User, remote_addr: str | None = None, now: datetime | None = None
) -> str:
    """Open a login session for `user` (written to the audit log); returns its id, for the cookie only."""
    now = now or utcnow()
    session_id = secrets.token_urlsafe(32)
    session.add(
        LoginSession(id_hash=_session_hash(session_id), user_id=user.id, created_at=now, last_seen_at=now)
    )
    _audit(session, "auth.login", user.username, remote_addr, user.role)
    session.flush()
    return session_id


def end_login_session(
    session: Session, session_id: str, reason: str = "logout", remote_addr: str | None = None
) -> None:
    """End one login session (a logout is written to the audit log)."""
    sessions, users = cast(Table, LoginSession.__table__), cast(Table, User.__table__)
    row = session.execute(
        select(sessions.c.id, users.c.username, users.c.role)
        .join_from(sessions, users, sessions.c.user_id == users.c.id)
        .where(sessions.c.id_hash == _session_hash(session_id), sessions.c.ended_at.is_(None))
    ).one_or_none()
    if row is None:
        return
    session.execute(
        update(sessions).where(sessions.c.id == row.id).values(ended_at=utcnow(), end_reason=reason)
    )
    if reason == "logout":
        _audit(session, "auth.logout", row.username, remote_addr, Role(row.role))


@dataclass(frozen=True)
class SessionCaller:
    """Who rides on a live login session: what a request needs to know of him, read in one query."""

    user_id: int
    username: str
    role: Role
    # his role requires a second factor he has not set up yet: he may do nothing else until he has
    needs_second_factor: bool
    # whether this call wrote last_seen_at (the caller commits it)
    touched: bool


@dataclass(frozen=True)
class SessionCheck:
    """The caller of a live session, or why there is none: `unknown`, `ended`, `idle`, `absolute` or
    `disabled`."""

    caller: SessionCaller | None
    refused: str | None = None
    # whether this call wrote something (last_seen_at, or the end of a session timed out now)
    touched: bool = False


def resume_login_session(
    session: Session, session_id: str, policy: LoginPolicy, now: datetime | None = None
) -> SessionCheck:
    """Check a session id from a cookie, in one query on the hot path of every page.

    A session past its idle or absolute timeout, or of a disabled user, is ended here (the caller
    commits); one ended already stays refused.
    """
    now = now or utcnow()
    sessions, users = cast(Table, LoginSession.__table__), cast(Table, User.__table__)
    policies = cast(Table, RolePolicy.__table__)
    row = session.execute(
        select(
            sessions.c.id,
            sessions.c.created_at,
            sessions.c.last_seen_at,
            sessions.c.ended_at,
            users.c.id,
            users.c.username,
            users.c.role,
            users.c.is_active,
            users.c.totp_enabled_at,
            policies.c.totp_required,
        )
        .join_from(sessions, users, sessions.c.user_id == users.c.id)
        .outerjoin(policies, policies.c.role == users.c.role)
        .where(sessions.c.id_hash == _session_hash(session_id))
    ).one_or_none()
    if row is None:
        return SessionCheck(None, "unknown")
    row_id, created_at, last_seen_at, ended_at, user_id, username, role, active, totp_on, totp_required = row
    if ended_at is not None:
        return SessionCheck(None, "ended")
    reason = None
    if not active:
        reason = "disabled"
    elif now - created_at >= policy.absolute:
        reason = "absolute"
    elif now - last_seen_at >= policy.idle:
        reason = "idle"
    if reason is not None:
        session.execute(
            update(sessions).where(sessions.c.id == row_id).values(ended_at=now, end_reason=reason)
        )
        return SessionCheck(None, reason, touched=True)
    touched = now - last_seen_at >= LAST_SEEN_RESOLUTION
    if touched:
        session.execute(update(sessions).where(sessions.c.id == row_id).values(last_seen_at=now))
    caller = SessionCaller(user_id, username, Role(role), bool(totp_required) and totp_on is None, touched)
    return SessionCheck(caller, touched=touched)


def check_second_factor(
    session: Session,
    user: User,
    code: str,
    policy: LoginPolicy,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Whether `code` completes the login of `user` (his TOTP code or an unused recovery code). A wrong
    code counts towards the lockout as a wrong password does; a locked account refuses every code."""
    now = now or utcnow()
    if is_locked(user, now):
        _audit(session, "auth.login_failed", user.username, remote_addr, user.role, reason="locked")
        return False
    if second_factor.verify(session, user, code, now):
        if user.failed_logins:
            user.failed_logins = 0
            session.flush()
        return True
    record_failure(session, user, policy, remote_addr, now, reason="second factor")
    return False
