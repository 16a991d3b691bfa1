"""All models, imported here so Alembic and `Base.metadata` see every table."""

from watchlist.models.alerts import Alert
from watchlist.models.audit import AuditChain, AuditEvent
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
from watchlist.models.users import ApiToken, Role, User

__all__ = [
    "Alert",
    "ApiToken",
    "AuditChain",
    "AuditEvent",
    "ConvictedPerson",
    "Conviction",
    "DatePrecision",
    "Delivery",
    "DeliveryStatus",
    "ListScreening",
    "ListScreeningRow",
    "ListState",
    "NameKind",
    "PersonChange",
    "PersonName",
    "PersonStatus",
    "QuarantinedRow",
    "ReceivedRecord",
    "Role",
    "RowState",
    "Run",
    "RunKind",
    "RunStatus",
    "SourceState",
    "User",
    "WatchlistRevision",
]
