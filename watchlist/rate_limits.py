"""Rate limits per user and per client address, counted in the database so that every worker (and every
host) shares one count. A fixed window: simple, and at worst twice the limit in the seconds around a
window's edge, which is enough to stop a runaway client or a guessing script.

A worker does not ask the database on every request: it claims several requests of a key's window at once
(a lease: a sixteenth of what is left of the limit, at most `MAX_LEASE`) and serves them from memory, its
threads taking turns under a lock. Near the limit the claims shrink to one request, so no more than the limit
ever pass, whichever worker answers; at most a few fewer may pass when another worker still holds unspent
requests as the count reaches the limit. A busy client costs one statement every few dozen requests
instead of one per request.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, delete, text
from sqlalchemy.orm import Session

from watchlist.models import RateLimitCounter

# a claim takes this share of what is left of a limit in the window …
LEASE_SHARE = 16
# … and never more than this many requests
MAX_LEASE = 50


@dataclass(frozen=True)
class Verdict:
    """Whether a request may go on, and, when not, in how many seconds it may try again."""

    allowed: bool
    retry_after: int = 0
    # the key over its limit (`user:…` or `address:…`)
    exceeded: str | None = None


@dataclass
class _Lease:
    window: int
    # requests this process may still serve in `window` without asking the database
    unspent: int
    # the shared count when this process last claimed
    counted: int


class Leases:
    """This process's claimed, unspent requests per key, shared by its threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leases: dict[str, _Lease] = {}

    def spend(self, key: str, window: int) -> bool:
        """Serve one request of `key` from this process's lease; whether there was one to spend."""
        with self._lock:
            lease = self._leases.get(key)
            if lease is None or lease.window != window or lease.unspent <= 0:
                return False
            lease.unspent -= 1
            return True

    def claim_size(self, key: str, window: int, limit: int) -> int:
        """How many requests to claim for `key` now: a share of what is left, one near the limit."""
        with self._lock:
            lease = self._leases.get(key)
        counted = lease.counted if lease is not None and lease.window == window else 0
        return max(1, min(MAX_LEASE, (limit - counted) // LEASE_SHARE))

    def keep(self, key: str, window: int, unspent: int, counted: int) -> None:
        """Remember what a claim left to spend (after the request that claimed it)."""
        with self._lock:
            self._leases[key] = _Lease(window, unspent, counted)
            if len(self._leases) > 10_000:
                # keys of past windows (one per client address seen) are of no use any more
                self._leases = {k: v for k, v in self._leases.items() if v.window >= window}


# one statement per dialect, fixed text: compiled once, whatever the keys. On PostgreSQL a set_config() in
# the same statement lets this transaction's commit return before the disk sync: a crash of the database may
# forget a few counts, which a limit can afford, and the request pays neither a disk sync nor an extra
# statement for it.
_POSTGRESQL_UPSERT = text(
    """
    INSERT INTO rate_limit_counters (key, "window", count)
    SELECT claimed.key, :window, claimed.size
    FROM unnest(CAST(:keys AS VARCHAR[]), CAST(:sizes AS INTEGER[])) AS claimed (key, size)
    CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true)) AS no_sync
    ON CONFLICT (key, "window") DO UPDATE SET count = rate_limit_counters.count + excluded.count
    RETURNING key, count
    """
)
_SQLITE_UPSERT = text(
    """
    INSERT INTO rate_limit_counters (key, "window", count) VALUES (:key, :window, :size)
    ON CONFLICT (key, "window") DO UPDATE SET count = rate_limit_counters.count + excluded.count
    RETURNING key, count
    """
)


def _claim(session: Session, sizes: Mapping[str, int], window: int) -> dict[str, int]:
    """Add each key's claim to its shared count; the counts after."""
    keys = sorted(sizes)
    if session.get_bind().dialect.name == "postgresql":
        parameters = {"keys": keys, "sizes": [sizes[key] for key in keys], "window": window}
        rows = session.execute(_POSTGRESQL_UPSERT, parameters).all()
    else:
        rows = [
            session.execute(_SQLITE_UPSERT, {"key": key, "window": window, "size": sizes[key]}).one()
            for key in keys
        ]
    return {str(key): int(count) for key, count in rows}


def count_request(
    session: Session,
    limits: Mapping[str, int],
    window_seconds: int,
    now: float,
    leases: Leases | None = None,
) -> Verdict:
    """Count one request against each key of `limits` (key -> requests allowed per window; 0 = no limit)
    and say whether any is over.

    A key with requests left in this process's `leases` costs nothing; the others are claimed in one
    INSERT … ON CONFLICT DO UPDATE … RETURNING (one per key on SQLite), which the caller commits at once,
    so the counters' rows stay locked only for that statement. Without `leases` every request is claimed
    alone. Returns without touching the database when every key was served from the leases.
    """
    window = int(now // window_seconds)
    # sorted keys: two requests claiming the same two keys lock them in the same order (no deadlock)
    keys = sorted(key for key, limit in limits.items() if limit > 0)
    if leases is not None:
        keys = [key for key in keys if not leases.spend(key, window)]
    if not keys:
        return Verdict(True)
    sizes = {key: leases.claim_size(key, window, limits[key]) if leases else 1 for key in keys}
    counts = _claim(session, sizes, window)
    if any(count == sizes[key] for key, count in counts.items()):
        # a key's first claim in a new window: the windows before the last one are of no use any more
        table = cast(Table, RateLimitCounter.__table__)
        session.execute(delete(table).where(table.c.window < window - 1))
    exceeded: str | None = None
    for key in keys:
        # of the requests this claim added, those still within the limit are this process's
        granted = min(sizes[key], max(0, limits[key] - (counts[key] - sizes[key])))
        if granted == 0:
            exceeded = exceeded or key
        elif leases is not None:
            # this request takes one; the rest are served from memory
            leases.keep(key, window, granted - 1, counts[key])
    if exceeded is not None:
        retry_after = max(1, math.ceil((window + 1) * window_seconds - now))
        return Verdict(False, retry_after, exceeded)
    return Verdict(True)


def limits_for(user_id: int | None, address: str | None, per_user: int, per_address: int) -> dict[str, int]:
    """The keys one request is counted under and their limits."""
    limits: dict[str, int] = {}
    if user_id is not None:
        limits[f"user:{user_id}"] = per_user
    if address:
        limits[f"address:{address}"[:80]] = per_address
    return limits
