"""All models, imported here so Alembic and `Base.metadata` see every table."""

from watchlist.models.alerts import (
    Alert,
    AlertEvent,
    AlertOrigin,
    AlertRead,
    AlertSighting,
    AlertStatus,
    DismissReason,
    QueuedScreeningHit,
    Severity,
)
from watchlist.models.audit import AuditChain, AuditEvent
from watchlist.models.delivery import (
    Channel,
    DeliveryAttempt,
    MessageStatus,
    OutboxMessage,
    Subscription,
    WebhookEndpoint,
)
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
    "AlertEvent",
    "AlertOrigin",
    "AlertRead",
    "AlertSighting",
    "AlertStatus",
    "ApiToken",
    "AuditChain",
    "AuditEvent",
    "Channel",
    "ConvictedPerson",
    "Conviction",
    "DatePrecision",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStatus",
    "DismissReason",
    "ListScreening",
    "ListScreeningRow",
    "ListState",
    "LoginSession",
    "MessageStatus",
    "NameKind",
    "OutboxMessage",
    "PersonChange",
    "PersonName",
    "PersonStatus",
    "QuarantinedRow",
    "QueuedScreeningHit",
    "RateLimitCounter",
    "ReceivedRecord",
    "RecoveryCode",
    "Role",
    "RolePolicy",
    "RowState",
    "Run",
    "RunKind",
    "RunStatus",
    "Severity",
    "SourceState",
    "Subscription",
    "User",
    "WatchlistRevision",
    "WebhookEndpoint",
]
