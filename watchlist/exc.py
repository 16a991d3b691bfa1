"""One exception hierarchy; each error carries its HTTP status and a machine-readable code.

The API turns any `WatchlistError` into the one error shape
`{"error": {"code": …, "message": …, "details": […]}}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ConfigError(Exception):
    """The configuration is invalid; the process must not start."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of one input (a request body, or a row of a file)."""

    field: str
    message: str
    row: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.row) if part is not None)
        return f"{where}:{self.field}: {self.message}" if where else f"{self.field}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.row is not None:
            data["row"] = self.row
        if self.file is not None:
            data["file"] = self.file
        return data


@dataclass
class WatchlistError(Exception):
    message: str
    details: list[FieldError] = field(default_factory=list)

    status = 500
    code = "internal_error"

    def __str__(self) -> str:
        return self.message


class ValidationFailed(WatchlistError):
    status = 422
    code = "validation_failed"


class BadRequest(WatchlistError):
    status = 400
    code = "bad_request"


class NotAuthenticated(WatchlistError):
    status = 401
    code = "not_authenticated"


class Forbidden(WatchlistError):
    status = 403
    code = "forbidden"


class NotFound(WatchlistError):
    status = 404
    code = "not_found"


class NotVisible(NotFound):
    """The object exists but lies outside the caller's view: answered exactly like NotFound (its existence
    is not revealed), and written to the audit log as a refusal."""


class Conflict(WatchlistError):
    status = 409
    code = "conflict"


class TooManyRequests(WatchlistError):
    status = 429
    code = "too_many_requests"


class Unavailable(WatchlistError):
    status = 503
    code = "unavailable"
