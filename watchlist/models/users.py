"""Users of the service and their API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchlist.db import Base, UTCDateTime, str_enum, utcnow


class Role(enum.StrEnum):
    # border and POW officials: screen one person or a list
    SCREENER = "screener"
    # enforcement officers: receive and triage alerts
    OFFICER = "officer"
    # prosecutors' offices: maintain the watchlist
    EDITOR = "editor"
    # read the audit log
    AUDITOR = "auditor"
    ADMIN = "admin"


_role_enum = str_enum(Role, "role")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    # where alerts the user subscribed to are e-mailed
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(_role_enum)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # failed logins since the last success or lockout; the fifth locks the account (stored here, so every
    # worker counts the same attempts)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the TOTP secret (base32); the second factor is on once totp_enabled_at is set
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the 30-second step of the last code accepted, so a code seen once cannot be replayed
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.id"
    )


class ApiToken(Base):
    """A bearer token: only its SHA-256 is stored; the token itself is shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the first characters of the token, so a user can tell his tokens apart
    prefix: Mapped[str] = mapped_column(String(16))
    # a token acts with this role, never more than its user's
    role: Mapped[Role] = mapped_column(_role_enum)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")
