"""The generated Ukrainian-domain set: real persons' Russian names turned into Ukrainian verdict forms on the
watchlist, queried with the forms the same man turns up under elsewhere.

Seeded and reproducible. The names derive from real persons, so nothing here prints one; the report shows each
category on the fictitious man of DESIGN.md instead (`EXAMPLE_PERSON`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from bench import date_variants as dates
from bench import renderings as rn
from bench.cases import EvaluationSet, Member, Query
from bench.real_set import RealPerson
from bench.ukrainian_forms import (
    NameParts,
    female_given_for,
    feminine_patronymic,
    feminine_surname,
    split_russian_name,
    to_ukrainian,
)


@dataclass(frozen=True)
class SourcePerson:
    """A man known under a Russian name, with the Ukrainian form a Ukrainian verdict gives him."""

    ru: NameParts
    uk: NameParts
    birth_date: dt.date


@dataclass(frozen=True)
class Variant:
    """One way a record names the person: name and birth date as written, and that date in ISO form."""

    name: str
    birth_date: str | None = None
    birth_date_iso: str | None = None


# the fictitious man of DESIGN.md, used to show each category in the report
EXAMPLE_PERSON = SourcePerson(
    ru=NameParts("Гнилицкий", "Олег", "Петрович"),
    uk=NameParts("Гнилицький", "Олег", "Петрович"),
    birth_date=dt.date(1975, 3, 12),
)

CYRILLIC = "uk_cyrillic"
Generator = Callable[[SourcePerson, random.Random], Variant | None]


def _rendered(person: SourcePerson, system: str) -> NameParts:
    return person.uk if system == CYRILLIC else rn.render_system(person.uk, person.ru, system)


def _common(person: SourcePerson, rng: random.Random, cyrillic: bool = True) -> NameParts:
    systems = (*rn.COMMON_SYSTEMS, CYRILLIC) if cyrillic else rn.COMMON_SYSTEMS
    return _rendered(person, rng.choice(systems))


def _full(parts: NameParts, rng: random.Random) -> str:
    return rng.choice((rn.surname_given_patronymic, rn.given_patronymic_surname))(parts)


def _maybe_date(person: SourcePerson, rng: random.Random, name: str) -> Variant:
    """Half of the name variants carry the birth date (dd.mm.yyyy), half carry none."""
    if rng.random() < 0.5:
        return Variant(name, dates.dotted(person.birth_date), dates.iso(person.birth_date))
    return Variant(name)


def _system(system: str) -> Generator:
    def generate(person: SourcePerson, rng: random.Random) -> Variant:
        return _maybe_date(person, rng, _full(_rendered(person, system), rng))

    return generate


def _russian_cyrillic(person: SourcePerson, rng: random.Random) -> Variant:
    return _maybe_date(person, rng, _full(person.ru, rng))


def _order(render: Callable[[NameParts], str]) -> Generator:
    def generate(person: SourcePerson, rng: random.Random) -> Variant:
        return _maybe_date(person, rng, render(_common(person, rng)))

    return generate


def _initials(person: SourcePerson, rng: random.Random) -> Variant:
    return _maybe_date(person, rng, rn.initials(_common(person, rng)))


def _no_patronymic(person: SourcePerson, rng: random.Random) -> Variant:
    return _maybe_date(person, rng, rn.without_patronymic(_common(person, rng), rng))


def _typo_in(part: str) -> Generator:
    def generate(person: SourcePerson, rng: random.Random) -> Variant:
        parts = _common(person, rng)
        if part == "given":
            parts = NameParts(parts.surname, rn.typo(parts.given, rng), parts.patronymic)
        else:
            parts = NameParts(rn.typo(parts.surname, rng), parts.given, parts.patronymic)
        return _maybe_date(person, rng, _full(parts, rng))

    return generate


def _latin_lookalike(person: SourcePerson, rng: random.Random) -> Variant | None:
    parts = person.uk
    words = [parts.surname, parts.given, parts.patronymic]
    candidates = [index for index, word in enumerate(words) if rn.latin_lookalike(word, rng) != word]
    if not candidates:
        return None
    index = rng.choice(candidates)
    words[index] = rn.latin_lookalike(words[index], rng)
    return _maybe_date(person, rng, _full(NameParts(*words), rng))


def _dated(
    write: Callable[[dt.date], str], change: Callable[[SourcePerson, random.Random], dt.date | None]
) -> Generator:
    def generate(person: SourcePerson, rng: random.Random) -> Variant | None:
        day = change(person, rng)
        if day is None:
            return None
        name = _full(_common(person, rng), rng)
        iso = dates.year_only(day) if write in (dates.year_only, dates.zero_day_month) else dates.iso(day)
        return Variant(name, write(day), iso)

    return generate


def _same_day(person: SourcePerson, rng: random.Random) -> dt.date:
    return person.birth_date


def _swapped(person: SourcePerson, rng: random.Random) -> dt.date | None:
    return dates.day_month_swapped(person.birth_date)


def _off_by_one(person: SourcePerson, rng: random.Random) -> dt.date:
    return dates.off_by_one_day(person.birth_date, rng)


def _digit_typo(person: SourcePerson, rng: random.Random) -> dt.date:
    return dates.digit_typo(person.birth_date, rng)


def _any_format(day: dt.date) -> str:
    return random.Random(day.toordinal()).choice((dates.iso, dates.dotted, dates.slashed))(day)


# negatives
def _feminine(person: SourcePerson, rng: random.Random) -> Variant | None:
    surname = feminine_surname(person.uk.surname)
    if surname is None:
        return None
    her = NameParts(surname, female_given_for(person.uk.given), feminine_patronymic(person.uk.patronymic))
    system = rng.choice(("uk_kmu2010", "uk_passport2007", CYRILLIC))
    rendered = her if system == CYRILLIC else rn.render_parts(her, rn.UKRAINIAN_SYSTEMS[system])
    return Variant(_full(rendered, rng))


def _namesake_20y(person: SourcePerson, rng: random.Random) -> Variant:
    day = dates.namesake_birth_date(person.birth_date, rng)
    write = rng.choice((dates.iso, dates.dotted))
    return Variant(_full(_common(person, rng), rng), write(day), dates.iso(day))


def _namesake_year_only(person: SourcePerson, rng: random.Random) -> Variant:
    year = dates.other_year(person.birth_date.year, rng)
    day = dt.date(year, 1, 1)
    write = rng.choice((dates.year_only, dates.zero_day_month))
    return Variant(_full(_common(person, rng), rng), write(day), dates.year_only(day))


POSITIVE_CATEGORIES: dict[str, Generator] = {
    "russian_cyrillic": _russian_cyrillic,
    **{f"latin_{key}": _system(key) for key in (*rn.UKRAINIAN_SYSTEMS, *rn.RUSSIAN_SYSTEMS)},
    "order_given_patronymic_surname": _order(rn.given_patronymic_surname),
    "order_surname_comma_given": _order(rn.surname_comma_given),
    "order_all_caps": _order(rn.all_caps),
    "initials": _initials,
    "no_patronymic": _no_patronymic,
    "typo_given_name": _typo_in("given"),
    "typo_surname": _typo_in("surname"),
    "latin_lookalike_in_cyrillic": _latin_lookalike,
    "date_iso": _dated(dates.iso, _same_day),
    "date_dotted": _dated(dates.dotted, _same_day),
    "date_slashed": _dated(dates.slashed, _same_day),
    "date_year_only": _dated(dates.year_only, _same_day),
    "date_zero_day_month": _dated(dates.zero_day_month, _same_day),
    "date_day_month_swapped": _dated(_any_format, _swapped),
    "date_off_by_one_day": _dated(_any_format, _off_by_one),
    "date_one_digit_typo": _dated(_any_format, _digit_typo),
}
NEGATIVE_CATEGORIES: dict[str, Generator] = {
    "feminine_surname_same_family": _feminine,
    "namesake_born_20_years_apart": _namesake_20y,
    "namesake_year_only_other_year": _namesake_year_only,
}


def source_persons(persons: list[RealPerson]) -> list[SourcePerson]:
    """The real data's persons with a Russian name the table renders in Ukrainian and a full birth date."""
    found = []
    for person in persons:
        if not person.birth_date or len(person.birth_date) != 10:
            continue
        for name in person.russian_names:
            ru = split_russian_name(name)
            if ru is not None:
                found.append(SourcePerson(ru, to_ukrainian(ru), dt.date.fromisoformat(person.birth_date)))
                break
    return found


def build_generated_set(
    sources: list[SourcePerson], members: int, seed: int, variants_per_member: int = 10
) -> EvaluationSet:
    """Sample the watchlist and build every category's queries, spread evenly over the members."""
    rng = random.Random(f"{seed}:generated")
    order = sources[:]
    rng.shuffle(order)
    # no two members share a name (the same official sits in several lists; see bench/real_set.py)
    chosen: list[SourcePerson] = []
    holdouts: list[SourcePerson] = []
    member_keys: set[str] = set()
    for person in order:
        key = person.uk.full().casefold()
        if len(chosen) < members and key not in member_keys:
            chosen.append(person)
            member_keys.add(key)
        else:
            holdouts.append(person)
    watchlist = tuple(
        Member(person_id=number, names=(person.uk.full(),), birth_date=dates.iso(person.birth_date))
        for number, person in enumerate(chosen, start=1)
    )
    queries: list[Query] = []
    names = list(POSITIVE_CATEGORIES)
    for number, person in enumerate(chosen):
        # round robin, so every category gets about members * variants_per_member / categories queries
        picked = [
            names[(number * variants_per_member + step) % len(names)] for step in range(variants_per_member)
        ]
        for category in picked:
            variant = POSITIVE_CATEGORIES[category](person, rng)
            if variant is not None:
                queries.append(
                    Query(category, variant.name, variant.birth_date, number + 1, variant.birth_date_iso)
                )
        for category, generate in NEGATIVE_CATEGORIES.items():
            variant = generate(person, rng)
            if variant is not None:
                queries.append(
                    Query(category, variant.name, variant.birth_date, None, variant.birth_date_iso)
                )
    # a hold-out with a member's surname and birth day is that member under another spelling of his name
    surname_births = {(person.uk.surname, person.birth_date) for person in chosen}
    others = [
        person
        for person in holdouts
        if person.uk.full().casefold() not in member_keys
        and (person.uk.surname, person.birth_date) not in surname_births
    ]
    for person in others[:members]:
        variant = _maybe_date(person, rng, _full(_common(person, rng), rng))
        queries.append(Query("other_person", variant.name, variant.birth_date, None, variant.birth_date_iso))
    notes = (
        f"{len(watchlist)} members sampled (seed {seed}) from {len(sources)} persons of the real data whose "
        "Russian name the evaluation's own table (bench/data/given_names_ru_uk.tsv, "
        "bench/ukrainian_forms.py) "
        "renders in Ukrainian and who have a full birth date; the watchlist lists the Ukrainian verdict form "
        "(Surname Given Patronymic) with the birth date; no two members share a name.",
        f"Each member is queried with {variants_per_member} of the {len(names)} positive categories (round "
        "robin). Name categories carry the birth date (dd.mm.yyyy) half of the time; date categories write "
        "the "
        "name in a common rendering (KMU 2010, passport 2007, ICAO 9303, BGN/PCGN, English or Cyrillic).",
        "Negatives: a woman of the same surname family (feminine surname, her own given name, the feminine "
        "patronymic, no birth date); the member's name with a birth date twenty years away; with a year-only "
        "date of another year (5-15 years, two digits apart); other persons not on the watchlist.",
    )
    return EvaluationSet(
        key="generated",
        title="Generated Ukrainian-domain set: Ukrainian verdict names against Russian and Latin forms",
        members=watchlist,
        queries=tuple(queries),
        notes=notes,
    )


def example_variant(category: str, seed: int = 1) -> Variant | None:
    """Show a category on the fictitious man of DESIGN.md (safe to print: not a real person)."""
    generate = {**POSITIVE_CATEGORIES, **NEGATIVE_CATEGORIES}.get(category)
    if generate is None:
        return None
    return generate(EXAMPLE_PERSON, random.Random(f"{seed}:{category}"))
