"""The shared rate-limit count with per-process leases: a busy client costs the database one claim every
few dozen requests, and however the requests of one caller spread over several processes, no more than
the limit pass in a window."""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchlist.models import RateLimitCounter
from watchlist.rate_limits import MAX_LEASE, Leases, count_request

WINDOW = 60
# the start of a window (a multiple of 60 s)
NOW = 1_795_000_020.0


def shared_count(session: Session, key: str, window: int = int(NOW // WINDOW)) -> int:
    return session.scalars(
        select(RateLimitCounter.count).where(RateLimitCounter.key == key, RateLimitCounter.window == window)
    ).one()


def test_a_process_claims_requests_in_a_lease_and_serves_them_without_the_database(
    session: Session,
) -> None:
    leases = Leases()
    limits = {"user:7": 1200}
    verdicts = [count_request(session, limits, WINDOW, NOW, leases) for _ in range(MAX_LEASE)]
    assert all(v.allowed for v in verdicts)
    # one claim of 50 (1200 / 16 is more) covered all of them
    assert shared_count(session, "user:7") == MAX_LEASE
    assert count_request(session, limits, WINDOW, NOW, leases).allowed
    assert shared_count(session, "user:7") == 2 * MAX_LEASE
    # the next window starts a new lease
    assert count_request(session, limits, WINDOW, NOW + WINDOW, leases).allowed
    assert shared_count(session, "user:7", int(NOW // WINDOW) + 1) == MAX_LEASE


def test_processes_sharing_a_count_never_pass_more_than_the_limit(session: Session) -> None:
    """Three processes (three leases) answer 1,000 requests of one user in random order: exactly the limit
    passes, however the requests fall, down to one request at a time near it."""
    limit = 300
    processes = [Leases(), Leases(), Leases()]
    rng = random.Random(20261125)
    allowed = sum(
        count_request(session, {"user:9": limit}, WINDOW, NOW, rng.choice(processes)).allowed
        for _ in range(1000)
    )
    # a process holding unspent requests when the count reaches the limit may leave a few unused
    assert limit - 2 * len(processes) <= allowed <= limit


def test_without_leases_each_request_is_counted_alone(session: Session) -> None:
    limits = {"address:192.0.2.1": 2}
    verdicts = [count_request(session, limits, WINDOW, NOW) for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, False]
    assert verdicts[2].exceeded == "address:192.0.2.1" and verdicts[2].retry_after == 60
