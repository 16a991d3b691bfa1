"""All models, imported here so Alembic and `Base.metadata` see every table."""

from watchlist.models.alerts import Alert
from watchlist.models.audit import AuditEvent
from watchlist.models.incoming import Delivery, DeliveryStatus, QuarantinedRow, ReceivedRecord, SourceState
from watchlist.models.list_screenings import ListScreening, ListScreeningRow, ListState, RowState
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
from watchlist.models.runs import Run, RunKind, RunStatus
from watchlist.models.sessions import LoginSession, RateLimitCounter, RecoveryCode, RolePolicy
from watchlist.models.users import ApiToken, Role, User

__all__ = [
    "Alert",
    "ApiToken",
    "AuditEvent",
    "ConvictedPerson",
    "Conviction",
    "DatePrecision",
    "Delivery",
    "DeliveryStatus",
    "ListScreening",
    "ListScreeningRow",
    "ListState",
    "LoginSession",
    "NameKind",
    "PersonChange",
    "PersonName",
    "PersonStatus",
    "QuarantinedRow",
    "RateLimitCounter",
    "ReceivedRecord",
    "RecoveryCode",
    "Role",
    "RolePolicy",
    "RowState",
    "Run",
    "RunKind",
    "RunStatus",
    "SourceState",
    "User",
    "WatchlistRevision",
]
