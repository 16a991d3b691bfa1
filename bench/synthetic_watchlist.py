"""A synthetic watchlist for the speed benchmark: made-up persons, no real data.

Surnames are built from syllables and the usual Russian/Ukrainian endings, given names and patronymics come
from bench/data/given_names_ru_uk.tsv. Each person gets three names, as a registry holds them: the Ukrainian
verdict form, the Russian form and one Latin form (KMU 2010 of the Ukrainian form or ICAO 9303 of the
Russian).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from bench import renderings as rn
from bench.ukrainian_forms import NameParts, capitalise, given_names, ukrainian_surname

_ONSETS = tuple("б в г д ж з к л м н п р с т ф х ч ш бр гр др кр пр тр ст сл ск кл пл гл зв шв щ ц".split())
_VOWELS = ("а", "о", "у", "е", "и", "я", "ю")
_CODAS = ("", "", "", "н", "р", "л", "к", "ш", "с", "т", "м", "в", "ч")
_ENDINGS = ("ов", "ев", "ин", "ский", "цкий", "енко", "ук", "чук", "ич", "ко", "ый", "ак", "ий", "ян")


@dataclass(frozen=True)
class SyntheticPerson:
    """A made-up person with the names a registry would hold for him."""

    person_id: int
    ru: NameParts
    uk: NameParts
    names: tuple[str, ...]
    birth_date: str


def _surname(rng: random.Random) -> str:
    syllables = rng.choice((1, 2, 2, 3))
    stem = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)) + rng.choice(_CODAS)
    ending = rng.choice(_ENDINGS)
    if ending in ("ый", "ий", "ский", "цкий") and stem[-1] in "аоуеияю":
        stem = stem[:-1]
    return capitalise(stem + ending)


def make_person(person_id: int, rng: random.Random) -> SyntheticPerson:
    """Make one synthetic person with his Ukrainian, Russian and one Latin name."""
    given = rng.choice(given_names())
    father = rng.choice(given_names())
    ru = NameParts(_surname(rng), given.ru_given, father.ru_patronymic)
    uk = NameParts(ukrainian_surname(ru.surname), given.uk_given, father.uk_patronymic)
    system = rng.choice(("uk_kmu2010", "ru_icao9303"))
    latin = rn.surname_given_patronymic(rn.render_system(uk, ru, system))
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(50 * 365))
    return SyntheticPerson(person_id, ru, uk, (uk.full(), ru.full(), latin), born.isoformat())


def make_watchlist(size: int, seed: int) -> list[SyntheticPerson]:
    """Make `size` synthetic persons (three names each), reproducibly."""
    rng = random.Random(f"{seed}:synthetic")
    return [make_person(number, rng) for number in range(1, size + 1)]


def hit_query(person: SyntheticPerson, rng: random.Random) -> tuple[str, str | None]:
    """A record naming a watchlist person another way: another system, order, sometimes a typo or a date."""
    system = rng.choice(
        ("uk_passport2007", "uk_bgn_pcgn", "ru_bgn_pcgn", "ru_english", "ru_german", "uk_french")
    )
    parts = rn.render_system(person.uk, person.ru, system)
    if rng.random() < 0.3:
        parts = NameParts(rn.typo(parts.surname, rng), parts.given, parts.patronymic)
    name = rng.choice((rn.surname_given_patronymic, rn.given_patronymic_surname, rn.surname_comma_given))(
        parts
    )
    born = dt.date.fromisoformat(person.birth_date)
    return name, rng.choice((None, f"{born.day:02d}.{born.month:02d}.{born.year}"))


def miss_query(rng: random.Random) -> tuple[str, str | None]:
    """A record naming a made-up person who is (almost surely) not on the watchlist."""
    person = make_person(0, rng)
    return rng.choice(person.names), rng.choice((None, person.birth_date))
