"""The scoring's cheap bound: it may only set aside candidates the full name score would set aside too."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from bench.synthetic_watchlist import hit_query, make_watchlist, miss_query
from matchers.names import parse_name
from matchers.scoring import name_score, name_score_bound

# made-up persons (bench/synthetic_watchlist.py): their names, and queries that are spellings of them,
# typos, other name orders and other persons
_PERSONS = make_watchlist(300, seed=7)
_RNG = random.Random(7)
_QUERIES = [hit_query(person, _RNG)[0] for person in _PERSONS] + [miss_query(_RNG)[0] for _ in range(300)]
_NAMES = [name for person in _PERSONS for name in person.names]


def test_the_bound_is_never_below_the_name_score_of_spellings_and_other_persons() -> None:
    pairs = [(query, name) for query in _QUERIES for name in _RNG.sample(_NAMES, 15)]
    pairs += [
        (query, name) for person, query in zip(_PERSONS, _QUERIES, strict=False) for name in person.names
    ]
    assert len(pairs) > 9000
    for query, name in pairs:
        parsed_query, candidate = parse_name(query), parse_name(name)
        assert name_score_bound(parsed_query, candidate) >= name_score(parsed_query, candidate) - 1e-12, (
            query,
            name,
        )


def test_the_bound_sets_most_other_persons_aside() -> None:
    # what it is for: a query sharing only common given names with a candidate costs a third of the work
    bounds = [
        name_score_bound(parse_name(query), parse_name(name))
        for query in _QUERIES[300:]
        for name in _RNG.sample(_NAMES, 5)
    ]
    assert sum(bound < 0.66 for bound in bounds) / len(bounds) > 0.5


_WORDS = st.sampled_from(
    [
        "Гнилицький",
        "Гнилицкий",
        "Hnylytskyi",
        "Gnilitskiy",
        "Олег",
        "Oleh",
        "Петрович",
        "Petrovych",
        "Петров-Водкин",
        "Петрова",
        "Кабашний",
        "Кабашна",
        "О.",
        "P.",
        "Іван",
        "Іванович",
        "Ivanova",
        "Olha",
        "Ольга",
        "Миколаївна",
    ]
)
_NAME = st.lists(_WORDS, min_size=1, max_size=4).map(" ".join)


@given(_NAME, _NAME)
def test_the_bound_holds_for_any_words_in_any_order(query: str, candidate: str) -> None:
    parsed_query, parsed_candidate = parse_name(query), parse_name(candidate)
    if parsed_query.parts and parsed_candidate.parts:
        bound = name_score_bound(parsed_query, parsed_candidate)
        assert bound >= name_score(parsed_query, parsed_candidate) - 1e-12
