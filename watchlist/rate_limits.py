"""Rate limits per user and per client address, counted in the database so that every worker (and every
host) shares one count. A fixed window: simple, one statement per request, and at worst twice the limit
in the seconds around a window's edge, which is enough to stop a runaway client or a guessing script.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, delete, text
from sqlalchemy.orm import Session

from watchlist.models import RateLimitCounter


@dataclass(frozen=True)
class Verdict:
    """Whether a request may go on, and, when not, in how many seconds it may try again."""

    allowed: bool
    retry_after: int = 0
    # the key over its limit (`user:…` or `address:…`)
    exceeded: str | None = None


# one statement per dialect, fixed text: compiled once, whatever the keys (an INSERT … SELECT FROM
# VALUES built from the keys was compiled again on every request). On PostgreSQL a set_config() in the
# same statement lets this transaction's commit return before the disk sync: a crash of the database may
# forget a few counts, which a limit can afford, and the request pays neither a disk sync nor an extra
# statement for it.
_POSTGRESQL_UPSERT = text(
    """
    INSERT INTO rate_limit_counters (key, "window", count)
    SELECT counted.key, :window, 1
    FROM unnest(CAST(:keys AS VARCHAR[])) AS counted (key)
    CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true)) AS no_sync
    ON CONFLICT (key, "window") DO UPDATE SET count = rate_limit_counters.count + 1
    RETURNING key, count
    """
)
_SQLITE_UPSERT = text(
    """
    INSERT INTO rate_limit_counters (key, "window", count) VALUES (:key, :window, 1)
    ON CONFLICT (key, "window") DO UPDATE SET count = rate_limit_counters.count + 1
    RETURNING key, count
    """
)


def _upsert(session: Session, keys: list[str], window: int) -> dict[str, int]:
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(_POSTGRESQL_UPSERT, {"keys": keys, "window": window}).all()
    else:
        rows = [session.execute(_SQLITE_UPSERT, {"key": key, "window": window}).one() for key in keys]
    return {str(key): int(count) for key, count in rows}


def count_request(session: Session, limits: Mapping[str, int], window_seconds: int, now: float) -> Verdict:
    """Count one request against each key of `limits` (key -> requests allowed per window; 0 = no limit)
    and say whether any is over. One INSERT … ON CONFLICT DO UPDATE … RETURNING (one per key on SQLite);
    the caller commits at once, so the counters' rows stay locked only for that statement."""
    keys = sorted(key for key, limit in limits.items() if limit > 0)
    if not keys:
        return Verdict(True)
    window = int(now // window_seconds)
    # sorted keys: two requests counting the same two keys lock them in the same order (no deadlock)
    counts = _upsert(session, keys, window)
    if any(count == 1 for count in counts.values()):
        # a key's first request in a new window: the windows before the last one are of no use any more
        table = cast(Table, RateLimitCounter.__table__)
        session.execute(delete(table).where(table.c.window < window - 1))
    for key in keys:
        if counts[key] > limits[key]:
            retry_after = max(1, math.ceil((window + 1) * window_seconds - now))
            return Verdict(False, retry_after, key)
    return Verdict(True)


def limits_for(user_id: int | None, address: str | None, per_user: int, per_address: int) -> dict[str, int]:
    """The keys one request is counted under and their limits."""
    limits: dict[str, int] = {}
    if user_id is not None:
        limits[f"user:{user_id}"] = per_user
    if address:
        limits[f"address:{address}"[:80]] = per_address
    return limits
