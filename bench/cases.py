"""What an evaluation set is made of: the watchlist members and the queries screened against them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """One person on the evaluation watchlist, as the engine's `PersonEntry` will receive it."""

    person_id: int
    names: tuple[str, ...]
    birth_date: str | None  # "YYYY-MM-DD", "YYYY-MM" or "YYYY"


@dataclass(frozen=True)
class Query:
    """One screened record: a name and a birth date as an incoming list would carry them.

    `expected` is the member the query is a variant of, or None for a negative (nobody on the watchlist).
    `birth_date_iso` is the same date in ISO form ("YYYY-MM-DD", "YYYY-MM", "YYYY") for the peers, which
    take ISO dates only, as yente's API does; our engine gets the raw text.
    """

    category: str
    name: str
    birth_date: str | None
    expected: int | None
    birth_date_iso: str | None = None


@dataclass(frozen=True)
class EvaluationSet:
    """A watchlist and the queries screened against it, with a title for the report."""

    key: str
    title: str
    members: tuple[Member, ...]
    queries: tuple[Query, ...]
    notes: tuple[str, ...] = ()
