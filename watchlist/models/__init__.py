"""All models, imported here so Alembic and `Base.metadata` see every table."""

from watchlist.models.audit import AuditEvent
from watchlist.models.persons import (
    ConvictedPerson,
    Conviction,
    DatePrecision,
    NameKind,
    PersonChange,
    PersonName,
    PersonStatus,
    WatchlistRevision,
)
from watchlist.models.users import ApiToken, Role, User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "ConvictedPerson",
    "Conviction",
    "DatePrecision",
    "NameKind",
    "PersonChange",
    "PersonName",
    "PersonStatus",
    "Role",
    "User",
    "WatchlistRevision",
]
