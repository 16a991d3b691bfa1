"""The Ukrainian verdict form of a Russian name, built with the evaluation's own table and rules.

A Ukrainian court writes a Russian citizen's name in Ukrainian: Александр Владимирович Кабашный becomes
Кабашний Олександр Володимирович. The given name and patronymic come from bench/data/given_names_ru_uk.tsv;
the surname follows the usual Ukrainian rendering of Russian surnames: -ский/-цкий -> -ський/-цький,
-ый -> -ий, ы -> и, э -> е, и -> і (и after ж, ч, ш, щ, ц; ї after a vowel), е -> є at the start of a word,
after a vowel and in a final -ев, ё -> ьо / о / йо, ъ -> apostrophe.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GIVEN_NAMES_FILE = Path(__file__).parent / "data" / "given_names_ru_uk.tsv"

_VOWELS = set("аеёиоуыэюяєіїьъ'")
_HUSHING = set("жчшщц")
_SURNAME_ENDINGS = (("ский", "ський"), ("цкий", "цький"), ("ской", "ський"), ("цкой", "цький"), ("ый", "ий"))


@dataclass(frozen=True)
class NameParts:
    """A person's name split into its parts, in one script and language."""

    surname: str
    given: str
    patronymic: str

    def full(self) -> str:
        """Return the name in the verdict order: Surname Given Patronymic."""
        return f"{self.surname} {self.given} {self.patronymic}"


@dataclass(frozen=True)
class GivenName:
    """One row of the given-names table."""

    ru_given: str
    uk_given: str
    ru_patronymic: str
    uk_patronymic: str
    uk_female_given: str


@cache
def given_names() -> tuple[GivenName, ...]:
    """Return the Russian -> Ukrainian given-name table."""
    with GIVEN_NAMES_FILE.open(encoding="utf-8") as handle:
        rows = csv.reader((line for line in handle if not line.startswith("#")), delimiter="\t")
        return tuple(GivenName(*row) for row in rows if row)


@cache
def _by_ru_given() -> dict[str, GivenName]:
    return {row.ru_given.lower(): row for row in given_names()}


@cache
def _by_ru_patronymic() -> dict[str, GivenName]:
    return {row.ru_patronymic.lower(): row for row in given_names()}


def capitalise(word: str) -> str:
    """Capitalise each hyphen-separated part of a name word (str.title() would also capitalise after ')."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def split_russian_name(text: str) -> NameParts | None:
    """Split a three-word Russian man's name in either order (S G P or G P S), or None when it is not one.

    Only names whose given name and patronymic are in the table are accepted, so the Ukrainian form is known.
    """
    words = text.lower().split()
    if len(words) != 3 or any(not ("а" <= ch <= "я" or ch in "ё-") for word in words for ch in word):
        return None
    # the table is spelt with е; the surname keeps its ё, which the Ukrainian rendering needs
    keys = [word.replace("ё", "е") for word in words]
    givens, patronymics = _by_ru_given(), _by_ru_patronymic()
    if keys[1] in givens and keys[2] in patronymics:
        surname, given, patronymic = words[0], keys[1], keys[2]
    elif keys[0] in givens and keys[1] in patronymics:
        given, patronymic, surname = keys[0], keys[1], words[2]
    else:
        return None
    if len(surname.replace("-", "")) < 3:
        return None
    return NameParts(capitalise(surname), capitalise(given), capitalise(patronymic))


def _ukrainian_surname_part(word: str) -> str:
    word = word.lower().replace("ъ", "'")
    ending = ""
    for ru_end, uk_end in _SURNAME_ENDINGS:
        if word.endswith(ru_end) and len(word) > len(ru_end) + 1:
            word, ending = word[: -len(ru_end)], uk_end
            break
    else:
        if word.endswith("ев") and len(word) > 3 and word[-3] not in _VOWELS:
            word, ending = word[:-2], "єв"
    out: list[str] = []
    for index, ch in enumerate(word):
        before = word[index - 1] if index else ""
        after_vowel = index == 0 or before in _VOWELS
        if ch == "ы":
            out.append("и")
        elif ch == "э":
            out.append("е")
        elif ch == "и":
            out.append("и" if before in _HUSHING else "ї" if index and before in _VOWELS else "і")
        elif ch == "е":
            out.append("є" if after_vowel else "е")
        elif ch == "ё":
            out.append("йо" if after_vowel else "о" if before in _HUSHING else "ьо")
        else:
            out.append(ch)
    return capitalise("".join(out) + ending)


def ukrainian_surname(surname: str) -> str:
    """Render a Russian surname in Ukrainian (each part of a double surname on its own)."""
    return "-".join(_ukrainian_surname_part(part) for part in surname.split("-"))


def to_ukrainian(parts: NameParts) -> NameParts:
    """Return the Ukrainian verdict form of a Russian name split by `split_russian_name`."""
    given = _by_ru_given()[parts.given.lower()]
    patronymic = _by_ru_patronymic()[parts.patronymic.lower()]
    return NameParts(ukrainian_surname(parts.surname), given.uk_given, patronymic.uk_patronymic)


def feminine_surname(surname: str) -> str | None:
    """Return a woman's form of a Ukrainian man's surname, or None when both share one (-енко, -ук)."""
    lower = surname.lower()
    for ending, feminine in (("ський", "ська"), ("цький", "цька"), ("зький", "зька"), ("ий", "а")):
        if lower.endswith(ending):
            return capitalise(lower[: -len(ending)] + feminine)
    for ending in ("ов", "ев", "єв", "ів", "ін", "ин", "їн"):
        if lower.endswith(ending):
            return capitalise(lower + "а")
    return None


def feminine_patronymic(patronymic: str) -> str:
    """Return the daughter's patronymic for a Ukrainian son's patronymic (Петрович -> Петрівна)."""
    lower = patronymic.lower()
    if lower.endswith("йович"):
        return capitalise(lower[:-5] + "ївна")
    if lower.endswith("ьович"):
        return capitalise(lower[:-5] + "івна")
    if lower.endswith("ович"):
        return capitalise(lower[:-4] + "івна")
    if lower.endswith("іч"):
        return capitalise(lower[:-2] + "івна")
    return capitalise(lower)


def female_given_for(uk_given: str) -> str:
    """Return the woman's given name the table pairs with a Ukrainian man's given name."""
    for row in given_names():
        if row.uk_given == uk_given:
            return row.uk_female_given
    return "Олена"
