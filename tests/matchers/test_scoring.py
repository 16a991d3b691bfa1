"""The scoring's cheap bound: it may only set aside candidates the full name score would set aside too."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from bench.synthetic_watchlist import hit_query, make_watchlist, miss_query
from matchers.names import parse_name
from matchers.scoring import _compare_words, _evidence_cap, name_score, name_score_bound

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


def test_each_surname_words_cap_is_never_below_its_comparison() -> None:
    # the bound's parts, word by word: a query word (any role) against a candidate's surname word, from
    # spellings of the made-up persons, other persons, and words whose father's name or letters read twice
    queries = [parse_name(query) for query in [*_QUERIES, *_EXTRA_QUERIES]]
    surnames = {
        part
        for name in [*_NAMES, *_EXTRA_QUERIES]
        for part in parse_name(name).parts
        if part.role == "surname"
    }
    checked = 0
    for parsed in queries:
        for surname in _RNG.sample(sorted(surnames, key=lambda part: part.text), 40):
            for word in parsed.parts:
                assert _evidence_cap(word, surname) >= _compare_words(word, surname)[1] - 1e-12, (
                    word.text,
                    surname.text,
                )
                checked += 1
    assert checked > 50_000


# names whose words meet the bound's exact comparisons: a surname that reads like a patronymic of the
# query's father (Сергеевич / Serhiyovych), a surname starting like the query's given name, Latin letters
# with two readings (German z, ch, j)
_EXTRA_QUERIES = [
    "Сергеевич Иван Петрович",
    "Ivan Serhiyovych Kovalenko",
    "Ефимович Иван Петрович",
    "Ivan Yukhymovych Kovalenko",
    "Николаевич Петр",
    "Petro Mykolaiovych Bondar",
    "Алексеевич Олег",
    "Oleh Oleksiiovych Zarjew",
    "Olexandr Olexenko",
    "Sergej Jurjewitsch Tschernjawski",
    "Чернявский Сергей Юрьевич",
    "Zhurba Olha",
    "Schurba Olga",
]


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
        # one father, two languages, far apart in letters (a surname may read like a patronymic)
        "Сергеевич",
        "Serhiyovych",
        "Алексеевич",
        "Oleksiiovych",
        "Ефимович",
        "Yukhymovych",
    ]
)
_NAME = st.lists(_WORDS, min_size=1, max_size=4).map(" ".join)


@given(_NAME, _NAME)
def test_the_bound_holds_for_any_words_in_any_order(query: str, candidate: str) -> None:
    parsed_query, parsed_candidate = parse_name(query), parse_name(candidate)
    if parsed_query.parts and parsed_candidate.parts:
        bound = name_score_bound(parsed_query, parsed_candidate)
        assert bound >= name_score(parsed_query, parsed_candidate) - 1e-12


# made-up words over letters that transliterations read in several ways (h, z, ch, j, w, y, ie, ou, ...)
# and over Cyrillic, so that words with other readings, loose letters and sex forms meet by chance
_LATIN_LETTERS = st.sampled_from(["a", "e", "i", "o", "u", "y", "h", "z", "ch", "sch", "j", "w", "ie", "ou"])
_LATIN_LETTERS |= st.sampled_from(["k", "t", "s", "c", "tz", "ts", "kh", "zh", "sh", "l", "n", "r", "v", "m"])
_CYRILLIC_LETTERS = st.sampled_from(list("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"))
_MADE_UP_WORD = st.one_of(
    st.lists(_LATIN_LETTERS, min_size=2, max_size=9).map("".join),
    st.lists(_CYRILLIC_LETTERS, min_size=2, max_size=9).map("".join),
    _WORDS,
).map(str.capitalize)


@given(_MADE_UP_WORD, st.lists(_MADE_UP_WORD, min_size=1, max_size=3))
def test_the_bound_holds_for_made_up_words_in_either_script(surname: str, query_words: list[str]) -> None:
    # a one-word candidate is all surname: the bound is the best of its word against each query word
    parsed_query, parsed_candidate = parse_name(" ".join(query_words)), parse_name(surname)
    if parsed_query.parts and parsed_candidate.parts:
        bound = name_score_bound(parsed_query, parsed_candidate)
        assert bound >= name_score(parsed_query, parsed_candidate) - 1e-12
        with_surname = parse_name(f"{surname} {query_words[0]} Петрович")
        assert name_score_bound(parsed_query, with_surname) >= name_score(parsed_query, with_surname) - 1e-12
