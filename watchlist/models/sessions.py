"""Server-side login sessions, second-factor recovery codes, per-role policies and rate-limit counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from watchlist.db import Base, UTCDateTime, str_enum, utcnow
from watchlist.models.users import Role


class LoginSession(Base):
    """One login of the web pages. The cookie carries a random id; only its SHA-256 is stored, and a
    session ended here (logout, timeout, password change, disabled user) is refused by every worker."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # logout | idle | absolute | password | disabled | admin | second_factor
    end_reason: Mapped[str | None] = mapped_column(String(16))


class RecoveryCode(Base):
    """A one-time code that stands in for the TOTP code; only its SHA-256 is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RolePolicy(Base):
    """What an administrator requires of every user of a role."""

    __tablename__ = "role_policies"

    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), primary_key=True)
    totp_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class RateLimitCounter(Base):
    """Requests of one caller (`user:<id>` or `address:<ip>`) in one fixed window, shared by all workers."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    # the window's number: seconds since the epoch // window length
    window: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
