"""Rate limits per user and per client address, counted in the database so that every worker (and every
host) shares one count. A fixed window: simple, one statement per request, and at worst twice the limit
in the seconds around a window's edge, which is enough to stop a runaway client or a guessing script.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Integer, String, Table, column, delete, func, literal, select, true, values
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from watchlist.models import RateLimitCounter


@dataclass(frozen=True)
class Verdict:
    """Whether a request may go on, and, when not, in how many seconds it may try again."""

    allowed: bool
    retry_after: int = 0
    # the key over its limit (`user:…` or `address:…`)
    exceeded: str | None = None


def _upsert(session: Session, keys: list[str], window: int) -> Any:
    table = cast(Table, RateLimitCounter.__table__)
    if session.get_bind().dialect.name == "postgresql":
        # INSERT … SELECT from the counted keys joined with a set_config() that lets this transaction's
        # commit return before the disk sync: a crash of the database may forget a few counts, which a
        # limit can afford, and the request pays neither a disk sync nor an extra statement for it
        counted = values(column("key", String), column("window", Integer), name="counted").data(
            [(key, window) for key in keys]
        )
        no_sync = select(func.set_config("synchronous_commit", "off", True).label("setting")).subquery(
            "no_sync"
        )
        rows = select(counted.c.key, counted.c.window, literal(1)).select_from(counted.join(no_sync, true()))
        pg_statement = postgresql.insert(table).from_select(["key", "window", "count"], rows)
        return pg_statement.on_conflict_do_update(
            index_elements=[table.c.key, table.c.window], set_={"count": table.c.count + 1}
        ).returning(table.c.key, table.c.count)
    statement = sqlite.insert(table).values([{"key": key, "window": window, "count": 1} for key in keys])
    return statement.on_conflict_do_update(
        index_elements=[table.c.key, table.c.window], set_={"count": table.c.count + 1}
    ).returning(table.c.key, table.c.count)


def count_request(session: Session, limits: Mapping[str, int], window_seconds: int, now: float) -> Verdict:
    """Count one request against each key of `limits` (key -> requests allowed per window; 0 = no limit)
    and say whether any is over. One INSERT … ON CONFLICT DO UPDATE … RETURNING for all keys; the caller
    commits at once, so the counters' rows stay locked only for that statement."""
    keys = sorted(key for key, limit in limits.items() if limit > 0)
    if not keys:
        return Verdict(True)
    window = int(now // window_seconds)
    # sorted keys: two requests counting the same two keys lock them in the same order (no deadlock)
    counts = dict(session.execute(_upsert(session, keys, window)).all())
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
