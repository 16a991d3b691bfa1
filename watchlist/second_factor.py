"""The TOTP second factor (RFC 6238, through pyotp): enrolment, verification, recovery codes, and the
roles an administrator requires it of."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from watchlist.db import utcnow
from watchlist.exc import FieldError, ValidationFailed
from watchlist.models import RecoveryCode, Role, RolePolicy, User
from watchlist.users import end_user_sessions

ISSUER = "watchlist"
RECOVERY_CODES = 10
# codes of the step before and after the current one are accepted too (clocks drift, people type slowly)
VALID_WINDOW = 1
STEP_SECONDS = 30


def _code_hash(code: str) -> str:
    # recovery codes carry 64 random bits and a login locks after 5 misses: a fast hash is enough
    return hashlib.sha256(_normalise(code).encode("ascii", "replace")).hexdigest()


def _normalise(code: str) -> str:
    return "".join(char for char in code.lower() if char.isalnum())


def is_enabled(user: User) -> bool:
    """Whether `user` logs in with a second factor."""
    return user.totp_enabled_at is not None


def begin_enrolment(session: Session, user: User) -> str:
    """A secret for `user` to add to his authenticator app, kept until he confirms it; returns the
    provisioning URI (`otpauth://…`) the app reads from a QR code or a link."""
    if is_enabled(user):
        raise ValidationFailed("the second factor is set up already; an administrator can reset it")
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
        session.flush()
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """The provisioning URI as a QR code, an SVG `data:` URI (the page's CSP allows data: images only)."""
    data_uri: str = segno.make(uri, error="m").svg_data_uri(scale=6)
    return data_uri


def _accept_totp(user: User, code: str, now: datetime) -> bool:
    if user.totp_secret is None:
        return False
    code = "".join(code.split())
    if not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        # a code used once is never taken again (someone who saw it typed cannot replay it)
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            user.totp_last_step = step
            return True
    return False


def confirm_enrolment(session: Session, user: User, code: str, now: datetime | None = None) -> list[str]:
    """Turn the second factor on once `user` types a code from his app; returns his recovery codes, shown
    this once (only their hashes are kept)."""
    now = now or utcnow()
    if is_enabled(user) or user.totp_secret is None:
        raise ValidationFailed("open the set-up page first")
    if not _accept_totp(user, code, now):
        raise ValidationFailed("wrong code", [FieldError("code", "is not the code the app shows now")])
    user.totp_enabled_at = now
    codes = new_recovery_codes(session, user)
    session.flush()
    return codes


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the recovery codes of `user` with new ones; returns them (shown once)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(8)
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(code)) for code in codes)
    session.flush()
    return codes


def verify(session: Session, user: User, code: str, now: datetime | None = None) -> bool:
    """Whether `code` is the current TOTP code of `user` or one of his unused recovery codes (used up now)."""
    now = now or utcnow()
    if not is_enabled(user):
        return False
    if _accept_totp(user, code, now):
        session.flush()
        return True
    row = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    row.used_at = now
    session.flush()
    return True


def reset(session: Session, user: User) -> None:
    """Take the second factor away from `user` (a lost phone): he sets it up again at his next login, and
    every session of his ends."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()
    end_user_sessions(session, user.id, "second_factor")


def require_for_role(session: Session, role: Role | str, required: bool = True) -> None:
    """Require (or stop requiring) the second factor of every user of `role`; a user without one is sent to
    set it up at his next request."""
    role = Role(role)
    policy = session.get(RolePolicy, role)
    if policy is None:
        session.add(RolePolicy(role=role, totp_required=required))
    else:
        policy.totp_required = required
    session.flush()


def required_roles(session: Session) -> list[Role]:
    """The roles whose users must use a second factor."""
    return list(
        session.scalars(select(RolePolicy.role).where(RolePolicy.totp_required).order_by(RolePolicy.role))
    )
