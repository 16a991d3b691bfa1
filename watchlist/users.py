"""Operations on users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from watchlist.db import utcnow
from watchlist.exc import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from watchlist.models import ApiToken, Role, User

# argon2id, memory-hard; the library's defaults follow RFC 9106's second recommended profile
_hasher = PasswordHasher()

TOKEN_PREFIX = "wl_"
MIN_PASSWORD_LENGTH = 12
DEFAULT_TOKEN_DAYS = 90

# which roles a user of a given role may hand to one of his tokens
_ROLE_RANK = {Role.SCREENER: 1, Role.OFFICER: 2, Role.EDITOR: 2, Role.AUDITOR: 2, Role.ADMIN: 3}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


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
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters"))
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
    return user


def get_user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


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
    token_role = Role(role) if role is not None else user.role
    if token_role is not user.role and _ROLE_RANK[token_role] >= _ROLE_RANK[user.role]:
        raise Forbidden(f"a {user.role.value} cannot create a {token_role.value} token")
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
    return row, token


def authenticate_token(session: Session, token: str, now: datetime | None = None) -> ApiToken | None:
    """The live token row for `token`, or None when it is unknown, expired, revoked or its user disabled."""
    now = now or utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.is_active:
        return None
    row.last_used_at = now
    return row


def revoke_token(session: Session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    session.flush()
    return row
