"""Operations on users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, or_, select, update
from sqlalchemy.orm import Session

from watchlist.audit import audit
from watchlist.db import utcnow
from watchlist.exc import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from watchlist.models import ApiToken, LoginSession, Role, User

# argon2id, memory-hard; the library's defaults follow RFC 9106's second recommended profile
_hasher = PasswordHasher()

TOKEN_PREFIX = "wl_"
MIN_PASSWORD_LENGTH = 12
DEFAULT_TOKEN_DAYS = 90

# which roles a user of a given role may hand to one of his tokens
_ROLE_RANK = {Role.SCREENER: 1, Role.OFFICER: 2, Role.EDITOR: 2, Role.AUDITOR: 2, Role.ADMIN: 3}

DEMO_USERNAME_PREFIX = "demo-"

# a token's last_used_at is written at most this often: it says whether a token is still in use, and a
# write (and a disk sync) per request would cost more than the screening itself
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_role_allowed(user_role: Role, token_role: Role) -> bool:
    """Whether a user of `user_role` may act through a token of `token_role` (never more than himself)."""
    return token_role is user_role or _ROLE_RANK[token_role] < _ROLE_RANK[user_role]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def dummy_password_check(password: str) -> None:
    """Spend the time of a password check, so a missing or locked user cannot be told by timing."""
    _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    """Whether `password` is the user's; a disabled user or one with no password never matches."""
    if not user.is_active or not user.password_hash:
        # still spend the time of a hash, so a wrong user name cannot be told by timing
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate_user(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None; an unknown name costs the time of a known one."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        _hasher.hash(password)
        return None
    return user if check_password(user, password) else None


def _check_password_rules(password: str) -> list[FieldError]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [FieldError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")]
    return []


def create_user(
    session: Session,
    username: str,
    role: Role | str,
    password: str | None = None,
    display_name: str = "",
) -> User:
    """Add a user; `password` may be left out for a user who only uses API tokens."""
    errors: list[FieldError] = []
    username = username.strip()
    if not username or len(username) > 64:
        errors.append(FieldError("username", "must be 1 to 64 characters"))
    try:
        role = Role(role)
    except ValueError:
        errors.append(FieldError("role", f"must be one of {', '.join(r.value for r in Role)}"))
    if password is not None:
        errors.extend(_check_password_rules(password))
    if errors:
        raise ValidationFailed("invalid user", errors)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} exists already")
    user = User(
        username=username,
        role=Role(role),
        display_name=display_name or username,
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(user)
    session.flush()
    audit(session, "user.created", subject={"user": user.username}, outcome={"role": user.role.value})
    return user


def get_user_by_name(session: Session, username: str) -> User:
    """The user called `username`; NotFound when there is none."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def list_users(session: Session) -> Sequence[User]:
    """Every user, disabled ones included, by name."""
    return session.scalars(select(User).order_by(User.username)).all()


def disable_user(session: Session, username: str) -> User:
    """Disable a user: every login session of his ends now; his API tokens stop working."""
    user = get_user_by_name(session, username)
    user.is_active = False
    session.flush()
    audit(session, "user.disabled", subject={"user": user.username})
    end_user_sessions(session, user.id, "disabled")
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Give `user` a new password; every login session of his ends (one opened with the old one is not
    to be trusted)."""
    errors = _check_password_rules(password)
    if errors:
        raise ValidationFailed("invalid password", errors)
    user.password_hash = hash_password(password)
    session.flush()
    audit(session, "user.changed", subject={"user": user.username}, outcome={"fields": ["password"]})
    end_user_sessions(session, user.id, "password")


def end_user_sessions(session: Session, user_id: int, reason: str, now: datetime | None = None) -> int:
    """End every open login session of a user, in every worker (they read the table on each request);
    returns how many were open."""
    sessions = cast(Table, LoginSession.__table__)
    result = session.execute(
        update(sessions)
        .where(sessions.c.user_id == user_id, sessions.c.ended_at.is_(None))
        .values(ended_at=now or utcnow(), end_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _token_hash(token: str) -> str:
    # tokens carry 256 random bits, so a fast hash is enough (no dictionary to guess from)
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    user: User,
    name: str = "",
    role: Role | str | None = None,
    days: int = DEFAULT_TOKEN_DAYS,
) -> tuple[ApiToken, str]:
    """Create an API token for `user`; returns the row and the token, which is shown only once."""
    try:
        token_role = Role(role) if role is not None else user.role
    except ValueError:
        raise ValidationFailed(
            "invalid token", [FieldError("role", f"must be one of {', '.join(r.value for r in Role)}")]
        ) from None
    if not user.is_active:
        raise Forbidden(f"user {user.username!r} is disabled")
    if not token_role_allowed(user.role, token_role):
        raise Forbidden(
            f"a token of role {token_role.value} would exceed the role of {user.username} ({user.role.value})"
        )
    if not 1 <= days <= 366:
        raise ValidationFailed("invalid token", [FieldError("days", "must be 1 to 366")])
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user,
        name=name,
        token_hash=_token_hash(token),
        prefix=token[:10],
        role=token_role,
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    audit(
        session,
        "token.created",
        subject={"user": user.username, "token_id": row.id},
        outcome={"role": token_role.value},
    )
    return row, token


def authenticate_token(session: Session, token: str, now: datetime | None = None) -> ApiToken | None:
    """The live token row for `token`, or None when it is unknown, expired, revoked, its user disabled,
    or its role more than its user has now (a user demoted after the token was made)."""
    now = now or utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or token_state(row, now) != "active":
        return None
    if _stale(row.last_used_at, now):
        row.last_used_at = now
    return row


def _stale(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION


@dataclass(frozen=True)
class TokenCaller:
    """Who calls with a live API token: what a request needs to know of him, read in one query."""

    token_id: int
    user_id: int
    username: str
    role: Role
    # whether this call wrote the token's last_used_at (the caller commits it)
    touched: bool
    expires_at: datetime


def authenticate_bearer(session: Session, token: str, now: datetime | None = None) -> TokenCaller | None:
    """The caller of a live token, or None on the same grounds as `authenticate_token`, in one query.

    The hot path of every API request: token and user are read together with Core (no ORM objects), and
    last_used_at is updated only when it is older than LAST_USED_RESOLUTION; the update is left in the
    session's transaction, for the caller to commit.
    """
    now = now or utcnow()
    tokens, users = cast(Table, ApiToken.__table__), cast(Table, User.__table__)
    row = session.execute(
        select(
            tokens.c.id,
            tokens.c.role,
            tokens.c.expires_at,
            tokens.c.revoked_at,
            tokens.c.last_used_at,
            users.c.id,
            users.c.username,
            users.c.role,
            users.c.is_active,
        )
        .join_from(tokens, users, tokens.c.user_id == users.c.id)
        .where(tokens.c.token_hash == _token_hash(token))
    ).one_or_none()
    if row is None:
        return None
    token_id, token_role, expires_at, revoked_at, last_used_at, user_id, username, user_role, active = row
    if revoked_at is not None or expires_at <= now or not active:
        return None
    if not token_role_allowed(Role(user_role), Role(token_role)):
        return None
    touched = _stale(last_used_at, now)
    if touched:
        # the condition keeps two workers that saw the same stale value from both writing it
        session.execute(
            update(tokens)
            .where(tokens.c.id == token_id)
            .where(or_(tokens.c.last_used_at.is_(None), tokens.c.last_used_at <= now - LAST_USED_RESOLUTION))
            .values(last_used_at=now)
        )
    return TokenCaller(token_id, user_id, username, Role(token_role), touched, expires_at)


def token_state(row: ApiToken, now: datetime | None = None) -> str:
    """Whether it works (`active`) or why not: `revoked`, `expired`, `user disabled`, `exceeds role`."""
    now = now or utcnow()
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at <= now:
        return "expired"
    if not row.user.is_active:
        return "user disabled"
    if not token_role_allowed(row.user.role, row.role):
        return "exceeds role"
    return "active"


def list_tokens(session: Session, username: str | None = None) -> Sequence[ApiToken]:
    """The API tokens of one user, or of everyone, oldest first."""
    query = select(ApiToken).order_by(ApiToken.id)
    if username is not None:
        query = query.where(ApiToken.user_id == get_user_by_name(session, username).id)
    return session.scalars(query).all()


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Revoke a token; revoking one that is revoked already changes nothing."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit(session, "token.revoked", subject={"user": row.user.username, "token_id": row.id})
    session.flush()
    return row


def ensure_demo_users(session: Session, password: str | None = None) -> list[tuple[str, Role, str | None]]:
    """Make sure there is one demo user per role; returns (username, role, password) for each.

    With `password` every demo user gets it. Without, a user created now gets a random password, returned
    here to be shown once; a user who existed already keeps his and is returned with None (nothing
    readable is stored, only the hash).
    """
    shown: list[tuple[str, Role, str | None]] = []
    for role in Role:
        username = f"{DEMO_USERNAME_PREFIX}{role.value}"
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            secret = password or secrets.token_urlsafe(12)
            create_user(session, username, role, secret, display_name=f"Demo {role.value}")
            shown.append((username, role, secret))
        elif password is not None:
            if not check_password(user, password):
                set_password(session, user, password)
            shown.append((username, role, password))
        else:
            shown.append((username, role, None))
    return shown
