"""The real set: persons of ../shared/data/real_names.jsonl.gz listed under one Cyrillic name each and queried
with the Latin spellings other agencies published.

These are real people: nothing here prints or writes a name; only aggregate figures leave this module.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import iuliia  # type: ignore[import-untyped]
from rapidfuzz import fuzz

from bench import date_variants, ukrainian_forms
from bench.cases import EvaluationSet, Member, Query

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "real_names.jsonl.gz"
EXCLUDED_FLAGS = frozenset({"dob_spread_gt_3y", "merged_by_name_upstream", "no_east_slavic_cyrillic"})
EAST_SLAVIC = ("ru", "uk", "be")


@dataclass(frozen=True)
class RealPerson:
    """One person of the data file, reduced to what the evaluation uses."""

    index: int
    cyrillic: str
    latin: tuple[str, ...]
    latin_initials: frozenset[str]
    birth_date: str | None
    cluster: str | None
    russian_names: tuple[str, ...]
    other_names: tuple[
        str, ...
    ] = ()  # Latin names that are another name, not a spelling (see is_another_name)


def read_records(path: Path = DEFAULT_DATA) -> Iterator[dict[str, Any]]:
    """Yield the data file's records, one dict a person."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _notes(name: dict[str, Any]) -> set[str]:
    return {note.split(":")[0] for note in name.get("notes") or ()}


def _pick_cyrillic(names: list[dict[str, Any]]) -> str | None:
    """The one Cyrillic name a watchlist lists: Russian, then Ukrainian, then Belarusian; primary first."""
    usable = [
        name
        for name in names
        if name["script"] == "Cyrl"
        and name["lang"] in EAST_SLAVIC
        and not _notes(name) & {"brackets_or_quotes", "initials", "derived"}
        and len(name["name"].split()) >= 2
    ]
    usable.sort(key=lambda name: (EAST_SLAVIC.index(name["lang"]), name["kind"] != "primary"))
    return usable[0]["name"] if usable else None


# ---- Latin names that are another name of the person, not a spelling of the listed one -------------------
#
# The lists give a person's other names beside the spellings: a maiden or married surname, a pseudonym, a
# nom de guerre, a nickname translated into 24 languages, a surname translated word for word ("Round"
# for a surname that means round), another person's name merged into the record upstream. Such a name
# measures alias lookup, which the watchlist does by listing the alias, not spelling. A Latin name is left
# out when, measured without our engine (rapidfuzz ratio of ASCII-folded words against four Russian
# transliteration standards of iuliia), both hold:
# - a word of the listed Cyrillic name other than the patronymic has no counterpart in it (ratio < 50 with
#   every word), and
# - one of its words is another name: it resembles no word of any Cyrillic name of the record (ratio < 40),
#   or it spells (ratio >= 60) a word of another Cyrillic name of the record better than any listed word;
#   "another" is a word other than a patronymic with ratio < 45 to every word of the listed name but its
#   patronymic, so a Belarusian or Ukrainian form of a listed word (Яўген, Евгений) is not another.
# Swedish tj/sj/zj are read as ch/sh/zh first, and a Russian given name also as its Ukrainian form from
# bench/data/given_names_ru_uk.tsv. About 100 of 27,670 Latin names fall under the rule.
_SPELLING_SCHEMAS = (iuliia.ICAO_DOC_9303, iuliia.BGN_PCGN, iuliia.GOST_779, iuliia.WIKIPEDIA)
_NON_RUSSIAN_LETTERS = str.maketrans({"і": "i", "ї": "i", "є": "ie", "ў": "u", "ґ": "g", "'": "", "ʼ": ""})
_FOLDED_LETTERS = str.maketrans({"ß": "ss", "ł": "l", "ø": "o", "đ": "d"})
_NOT_LATIN = re.compile(r"[^a-z]+")
COUNTERPART = 50  # a word this alike (rapidfuzz ratio, 0-100) has a counterpart
SPELLS_ANOTHER_NAME = 60
RESEMBLES_NOTHING = 40
SAME_CYRILLIC_WORD = 45
# patronymic endings in Russian, Ukrainian and Belarusian (Уладзіміравіч, Уладзіміраўна)
_ANY_PATRONYMIC = ("вич", "віч", "вна", "ўна", "ьич", "ич", "іч", "ична")


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLDED_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _cyrillic_words(name: str) -> list[str]:
    return [
        w for w in re.split(r"[\s-]+", name.casefold().replace("ё", "е")) if len(re.sub(r"\W", "", w)) >= 2
    ]


@lru_cache(maxsize=1)
def _ukrainian_given_names() -> dict[str, str]:
    return {row.ru_given.casefold(): row.uk_given.casefold() for row in ukrainian_forms.given_names()}


@lru_cache(maxsize=100_000)
def _renderings(cyrillic_word: str) -> frozenset[str]:
    # a Russian given name is also published in its Ukrainian form (Yukhym for Ефим): the bench's own table
    words = {cyrillic_word, _ukrainian_given_names().get(cyrillic_word, cyrillic_word)}
    folded = (
        _ascii(schema.translate(word).translate(_NON_RUSSIAN_LETTERS))
        for schema in _SPELLING_SCHEMAS
        for word in words
    )
    return frozenset(_NOT_LATIN.sub("", form) for form in folded) - {""}


def _resemblance(latin_word: str, cyrillic_word: str) -> float:
    forms = {latin_word, latin_word.replace("tj", "ch").replace("sj", "sh").replace("zj", "zh")}
    return max(fuzz.ratio(form, r) for r in _renderings(cyrillic_word) for form in forms)


def _best(latin_word: str, cyrillic_words: Iterable[str]) -> float:
    return max((_resemblance(latin_word, word) for word in cyrillic_words), default=0.0)


def is_another_name(latin: str, listed: str, record_cyrillic: Iterable[str]) -> bool:
    """Tell whether a Latin name is another name of the person than the listed Cyrillic one (see above)."""
    listed_words = _cyrillic_words(listed)
    latin_words = [w for w in _NOT_LATIN.split(_ascii(latin)) if len(w) >= 3]
    named = [w for w in listed_words if not w.endswith(_ANY_PATRONYMIC)]
    if all(any(_resemblance(lw, word) >= COUNTERPART for lw in latin_words) for word in named):
        return False
    record_words = {w for name in record_cyrillic for w in _cyrillic_words(name)}
    others = [
        other
        for other in record_words - set(listed_words)
        if not other.endswith(_ANY_PATRONYMIC)
        and max(
            (fuzz.ratio(a, b) for word in named for a in _renderings(other) for b in _renderings(word)),
            default=0.0,
        )
        < SAME_CYRILLIC_WORD
    ]
    for latin_word in latin_words:
        if _best(latin_word, record_words) < RESEMBLES_NOTHING:
            return True
        spells_another = _best(latin_word, others)
        if spells_another >= SPELLS_ANOTHER_NAME and spells_another > _best(latin_word, listed_words):
            return True
    return False


def to_real_person(index: int, record: dict[str, Any]) -> RealPerson | None:
    """Reduce a record to a RealPerson, or None when it is excluded or has no Cyrillic and Latin name."""
    if EXCLUDED_FLAGS & set(record.get("flags") or ()):
        return None
    names = record["names"]
    cyrillic = _pick_cyrillic(names)
    latin: dict[str, str] = {}
    initials: set[str] = set()
    record_cyrillic = [name["name"] for name in names if name["script"] == "Cyrl"]
    other_names: list[str] = []
    for name in names:
        if name["script"] != "Latn" or "brackets_or_quotes" in _notes(name):
            continue
        if cyrillic is not None and is_another_name(name["name"], cyrillic, record_cyrillic):
            other_names.append(name["name"])
            continue
        key = " ".join(name["name"].casefold().split())
        if key not in latin:
            latin[key] = name["name"]
            if "initials" in _notes(name):
                initials.add(name["name"])
    # a person whose Latin names are all other names stays in the sample (the same members for a seed with and
    # without the rule), with no positive query
    if cyrillic is None or not (latin or other_names):
        return None
    russian = tuple(
        name["name"]
        for name in names
        if name["script"] == "Cyrl" and name["lang"] == "ru" and not _notes(name) & {"brackets_or_quotes"}
    )
    dates = record.get("birth_dates") or []
    return RealPerson(
        index=index,
        cyrillic=cyrillic,
        latin=tuple(latin.values()),
        latin_initials=frozenset(initials),
        birth_date=dates[0] if dates else None,
        cluster=record.get("cluster_id"),
        russian_names=russian,
        other_names=tuple(other_names),
    )


def load_persons(path: Path = DEFAULT_DATA) -> list[RealPerson]:
    """Load every usable person of the data file, in file order."""
    persons = []
    for index, record in enumerate(read_records(path)):
        person = to_real_person(index, record)
        if person is not None:
            persons.append(person)
    return persons


_PATRONYMIC_ENDINGS = ("вич", "вна", "ьич", "ична", "инична")


def surname_and_given(cyrillic: str) -> tuple[str, str] | None:
    """The surname and given name of a three-word East Slavic name in either order, by the patronymic."""
    words = [word.casefold().replace("ё", "е") for word in cyrillic.split()]
    if len(words) != 3:
        return None
    if words[2].endswith(_PATRONYMIC_ENDINGS):
        return words[0], words[1]
    if words[1].endswith(_PATRONYMIC_ENDINGS):
        return words[2], words[0]
    return None


def _name_key(text: str) -> frozenset[str]:
    return frozenset(text.casefold().replace("ё", "е").split())


def _short_key(text: str) -> frozenset[str]:
    """The name key without the patronymic, which lists often leave out ("Петров Иван" for "… Ильич")."""
    return frozenset(word for word in _name_key(text) if not word.endswith(_PATRONYMIC_ENDINGS))


def _day_and_month_swapped(date: str) -> str | None:
    """The ISO date with day and month swapped, when both can be a month (None otherwise)."""
    if len(date) != 10 or int(date[8:]) > 12:
        return None
    return f"{date[:4]}-{date[8:]}-{date[5:7]}"


def _compatible(first: str | None, second: str | None) -> bool:
    """Whether two birth dates may be one person's: either unknown, or the same year."""
    return first is None or second is None or first[:4] == second[:4]


def build_real_set(persons: list[RealPerson], members: int, seed: int) -> EvaluationSet:
    """Sample the watchlist and build the positive and negative queries of the real set."""
    rng = random.Random(f"{seed}:real")
    order = persons[:]
    rng.shuffle(order)
    # no two members share a name: the same official often sits in two lists with no link, and a true
    # namesake pair would make a correct alert on either count as false; namesakes are tested on purpose below
    # The same holds for a name that another list gives without the patronymic, unless the birth dates
    # show two people ("Петров Иван", no date, and "Петров Иван Ильич", 1960).
    chosen: list[RealPerson] = []
    holdouts: list[RealPerson] = []
    taken: set[frozenset[str]] = set()
    taken_short: dict[frozenset[str], list[str | None]] = {}

    def shares_a_short_name(person: RealPerson, short: set[frozenset[str]]) -> bool:
        return any(_compatible(date, person.birth_date) for key in short for date in taken_short.get(key, ()))

    for person in order:
        cyrillic_names = (person.cyrillic, *person.russian_names)
        keys = {_name_key(name) for name in cyrillic_names}
        short = {_short_key(name) for name in cyrillic_names}
        if len(chosen) < members and not keys & taken and not shares_a_short_name(person, short):
            chosen.append(person)
            taken |= keys
            for key in short:
                taken_short.setdefault(key, []).append(person.birth_date)
        else:
            holdouts.append(person)
    watchlist = tuple(
        Member(person_id=number, names=(person.cyrillic,), birth_date=person.birth_date)
        for number, person in enumerate(chosen, start=1)
    )
    queries: list[Query] = []

    def add(category: str, name: str, birth_date: str | None, expected: int | None) -> None:
        queries.append(Query(category, name, birth_date, expected, birth_date))

    for member, person in zip(watchlist, chosen, strict=True):
        for latin in person.latin:
            kind = "latin_initials" if latin in person.latin_initials else "latin"
            if person.birth_date:
                add(f"{kind}_with_birth_date", latin, person.birth_date, member.person_id)
            add(f"{kind}_name_only", latin, None, member.person_id)

    # negatives: nobody below is on the watchlist. A hold-out that is probably a member under another record
    # (same cluster, or the same Cyrillic name with a compatible birth date) is left out, not counted.
    member_clusters = {person.cluster for person in chosen if person.cluster}
    member_names: dict[frozenset[str], list[str | None]] = {}
    for person in chosen:
        member_names.setdefault(_name_key(person.cyrillic), []).append(person.birth_date)
        for other in (*person.russian_names, *person.latin, *person.other_names):
            member_names.setdefault(_name_key(other), []).append(person.birth_date)
    member_surnames: dict[str, set[str]] = {}
    surname_births: set[tuple[str, str]] = set()
    for person in chosen:
        parts = surname_and_given(person.cyrillic)
        if parts:
            member_surnames.setdefault(parts[0], set()).add(parts[1])
            if person.birth_date and len(person.birth_date) == 10:
                surname_births.add((parts[0], person.birth_date))

    def probably_a_member(person: RealPerson) -> bool:
        if person.cluster and person.cluster in member_clusters:
            return True
        # the same surname born the same day is the member with his given name spelt another way
        parts = surname_and_given(person.cyrillic)
        if parts and person.birth_date and (parts[0], person.birth_date) in surname_births:
            return True
        # ... and so is the same surname born on the day with day and month swapped (10.04 and 04.10):
        # one list wrote the date month first
        if (
            parts
            and person.birth_date
            and (parts[0], _day_and_month_swapped(person.birth_date)) in surname_births
        ):
            return True
        for name in (person.cyrillic, *person.russian_names, *person.latin, *person.other_names):
            for date in member_names.get(_name_key(name), ()):
                if _compatible(date, person.birth_date):
                    return True
        return shares_a_short_name(
            person, {_short_key(name) for name in (person.cyrillic, *person.russian_names)}
        )

    clean = [person for person in holdouts if not probably_a_member(person)]
    same_surname, others = [], []
    for person in clean:
        parts = surname_and_given(person.cyrillic)
        if parts and parts[0] in member_surnames and parts[1] not in member_surnames[parts[0]]:
            same_surname.append(person)
        else:
            others.append(person)
    for person in others[:members]:
        add("other_person", rng.choice(person.latin or person.other_names), person.birth_date, None)
    for person in same_surname[: max(members // 2, 1)]:
        add(
            "same_surname_other_person",
            rng.choice(person.latin or person.other_names),
            person.birth_date,
            None,
        )

    for person in chosen:
        date = person.birth_date
        if not date:
            continue
        name = rng.choice(person.latin or person.other_names)
        if len(date) == 10:
            born = date_variants.namesake_birth_date(dt.date.fromisoformat(date), rng)
            add("namesake_born_20_years_apart", name, born.isoformat(), None)
        year = date_variants.other_year(int(date[:4]), rng)
        add("namesake_year_only_other_year", name, f"{year:04d}", None)

    notes = (
        f"{len(watchlist)} members sampled (seed {seed}) from {len(persons)} usable persons, each listed "
        "under "
        "one Cyrillic name (Russian first, then Ukrainian, Belarusian); queries are the Latin spellings "
        "published for the same person (names in brackets or quotes left out, and names that are another "
        "name of the person rather than a spelling, see is_another_name), with and without birth date.",
        "Negatives: other persons not on the watchlist; persons sharing a member's surname with another "
        "given name; a member's own Latin name with a birth date twenty years away (another day), and with "
        "a year-only birth date 5-15 years away differing in two digits. Hold-outs that are probably a "
        "member under another record (shared tax-number cluster, a Cyrillic or Latin name of a member "
        "with a compatible year, or a member's surname with his birth day, also with day and month swapped) "
        "are left out. No two members "
        "share a Cyrillic name, nor the same name without the patronymic and a compatible birth year.",
    )
    return EvaluationSet(
        key="real",
        title="Real set: Cyrillic watchlist names, Latin spellings published by other agencies",
        members=watchlist,
        queries=tuple(queries),
        notes=notes,
    )
