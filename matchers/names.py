"""Split a full name into parts (surname, given name, patronymic, initials); know which given names are one.

Order is free ("SURNAME Given", "Given Patronymic Surname", "Surname, Given"); roles are guessed from the
given-name list in ``data/given_names.txt``, the patronymic endings, upper-case surnames and commas. The
comparison in :mod:`matchers.scoring` does not rely on the guess to align parts, only to weigh them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Literal

from matchers.normalize import fold_lookalike_words, mixed_script_words, normalize_name
from matchers.transliterate import alternative_skeletons, loose_skeleton, skeleton

Role = Literal["surname", "given", "patronymic", "initial"]

# skeleton endings of patronymics as spelled (-ович/-евич/-івна/-овна/-ична, -owitsch, -ovitj, -owicz)
_PATRONYMIC_ENDINGS = ("ovich", "evich", "avich", "ovna", "evna", "ivna", "avna", "ichna", "inichna", "ich")
# what a father's name may end with once the patronymic ending is cut off (Олексій -> Олексійович,
# Дмитро -> Дмитрович, Алексей -> Алексеевич, Никита -> Никитич, Илья -> Ильич; skeletons: "oleksi",
# "dmitr", "aleks", "nikit", "il")
_STEM_ENDINGS = ("", "i", "o", "a", "e", "ei", "ii", "ia")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Words met again and again (given names, patronymics, common surnames) are worked out once; most surnames
# of a large watchlist are met once, so a bigger cache would only hold memory.
_WORD_CACHE = 50_000
_PIECE_SPLIT = re.compile(r"\.|(?<=\w)-(?=\w)")
_TOKEN_SPLIT = re.compile(r"[\s;/()\[\]\"«»]+")


# eq=False: a part is compared by identity. Parts are made once per (word, role) by cached functions, so
# identity is equality, and the caches of word comparisons hash a pointer instead of seven fields.
@dataclass(frozen=True, slots=True, eq=False)
class NamePart:
    """One word of a name, with its canonical forms and its guessed role."""

    text: str  # normalised word as written ("гнилицький", "o")
    skeleton: str  # canonical Latin skeleton ("gnilitski")
    loose: str  # the skeleton with letters spellings confuse merged ("gnilizki")
    key: str  # the given-name group's skeleton if the word is a known given name, else the skeleton
    role: Role
    groups: frozenset[str]  # given-name groups the word belongs to
    initials: str  # the skeleton letters it can be abbreviated to ("oas" for Олександр: О., A., S.)
    patronymic_like: bool  # ends like a patronymic (-ович, -івна, -owitsch, …)
    alternatives: tuple[str, ...] = ()  # skeletons of other readings of ambiguous Latin letters

    @property
    def is_initial(self) -> bool:
        """Tell whether the part is only an initial letter."""
        return self.role == "initial"


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A full name split into parts."""

    raw: str
    parts: tuple[NamePart, ...]
    mixed_script: tuple[str, ...]
    roles: tuple[Role, ...]  # the parts' roles, in order
    full_parts: tuple[NamePart, ...]  # the parts that are whole words, not initials

    @property
    def canonical(self) -> str:
        """Return the skeletons of the parts in order, space-separated."""
        return " ".join(part.skeleton for part in self.parts)


@dataclass(frozen=True)
class _GivenNames:
    groups_by_skeleton: dict[str, frozenset[str]]
    initials_by_group: dict[str, frozenset[str]]
    forms_by_group: dict[str, tuple[str, ...]]


def _read_given_names() -> _GivenNames:
    text = resources.files("matchers").joinpath("data/given_names.txt").read_text(encoding="utf-8")
    groups: dict[str, set[str]] = {}
    initials: dict[str, set[str]] = {}
    forms_by_group: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        forms = [skeleton(normalize_name(form)) for form in line.split("|")]
        forms = [form for form in forms if form]
        group = forms[0]
        forms_by_group[group] = tuple(dict.fromkeys(forms_by_group.get(group, ()) + tuple(forms)))
        for form in forms:
            groups.setdefault(form, set()).add(group)
            initials.setdefault(group, set()).add(form[0])
    return _GivenNames(
        groups_by_skeleton={form: frozenset(found) for form, found in groups.items()},
        initials_by_group={group: frozenset(letters) for group, letters in initials.items()},
        forms_by_group=forms_by_group,
    )


@lru_cache(maxsize=1)
def given_names() -> _GivenNames:
    """Return the given-name equivalence groups read from ``data/given_names.txt`` (read once)."""
    return _read_given_names()


def given_name_groups(word_skeleton: str) -> frozenset[str]:
    """Return the given-name groups a skeleton belongs to (empty if it is not a known given name)."""
    return given_names().groups_by_skeleton.get(word_skeleton, frozenset())


@lru_cache(maxsize=50_000)
def given_name_forms(group: str) -> tuple[str, ...]:
    """Return the skeletons of every form of one given-name group."""
    return given_names().forms_by_group[group]


@lru_cache(maxsize=50_000)
def patronymic_given_groups(word_skeleton: str) -> frozenset[str]:
    """Return the given-name groups of the father's name a patronymic derives from ("petrovich" -> Петро)."""
    stem = patronymic_stem(word_skeleton)
    if stem is None:
        return frozenset()
    for ending in _STEM_ENDINGS:
        groups = given_name_groups(stem + ending)
        if groups:
            return groups
    return given_name_groups(stem[:-1])


@lru_cache(maxsize=50_000)
def possible_father_groups(word_skeleton: str) -> frozenset[str]:
    """Return every given-name group the father's name of a patronymic may belong to ("aleksevich": Алексей,
    and Алекс of the Олександр group), for telling two patronymics of different fathers apart."""
    stem = patronymic_stem(word_skeleton)
    if stem is None:
        return frozenset()
    found: set[str] = set()
    for ending in _STEM_ENDINGS:
        found |= given_name_groups(stem + ending)
    return frozenset(found) or given_name_groups(stem[:-1])


def patronymic_stem(word_skeleton: str) -> str | None:
    """Return the father's-name stem of a patronymic skeleton ("petrovich" -> "petr"), or None."""
    if not word_skeleton.endswith(_PATRONYMIC_ENDINGS):
        return None
    for ending in _PATRONYMIC_ENDINGS:
        if word_skeleton.endswith(ending) and len(word_skeleton) - len(ending) >= 2:
            return word_skeleton[: -len(ending)]
    return None


@lru_cache(maxsize=_WORD_CACHE)
def name_word(word: str) -> NamePart:
    """Return one normalised word with its skeleton, given-name groups and initials (role: unknown)."""
    skel = skeleton(word)
    if len(skel) <= 1 or len(word) == 1:
        return NamePart(word, skel, skel, skel, "initial", frozenset(), skel[:1], False)
    alternatives = alternative_skeletons(word)
    groups = given_name_groups(skel)
    for alternative in alternatives if not groups else ():
        # the other reading of an ambiguous letter may be the known name (Swedish "Sjarhej" is Сяргей)
        groups |= given_name_groups(alternative)
    known = given_names()
    initials = set(skel[:1])
    patronymic_like = patronymic_stem(skel) is not None
    # a patronymic's initial may be written from any form of the father's name (Миколайович: М. or N.)
    for group in groups | (patronymic_given_groups(skel) if patronymic_like else frozenset()):
        initials |= known.initials_by_group[group]
    key = min(groups) if len(groups) == 1 else skel
    loose = loose_skeleton(skel)
    return NamePart(
        word, skel, loose, key, "surname", groups, "".join(sorted(initials)), patronymic_like, alternatives
    )


@lru_cache(maxsize=_WORD_CACHE)
def _raw_word(word: str) -> NamePart:
    return name_word(normalize_name(word))


@lru_cache(maxsize=_WORD_CACHE)
def _with_role(part: NamePart, role: Role) -> NamePart:
    return part if part.role == role else replace(part, role=role)


# a woman's patronymic (-овна, -івна, -ична) and the man's form of a declined surname (-ов, -ев, -ин):
# "Kabashov Irina Petrovna" is a clerk's slip for Кабашова, not her husband or brother
_FEMININE_PATRONYMIC = ("vna", "ichna")
_MASCULINE_SURNAME = ("ov", "ev", "in")


@lru_cache(maxsize=_WORD_CACHE)
def _feminine_surname(part: NamePart) -> NamePart:
    ending = "а" if _CYRILLIC.search(part.text[-1:]) else "a"
    return replace(name_word(part.text + ending), text=part.text, role="surname")


def _agree_in_sex(parts: list[NamePart]) -> list[NamePart]:
    """Read the man's form of a surname as the woman's when the name's own patronymic is a woman's."""
    if not any(p.role == "patronymic" and p.skeleton.endswith(_FEMININE_PATRONYMIC) for p in parts):
        return parts
    return [
        _feminine_surname(p) if p.role == "surname" and p.skeleton.endswith(_MASCULINE_SURNAME) else p
        for p in parts
    ]


def _split_words(text: str) -> list[tuple[str, bool, bool]]:
    """Return (word, written in capitals, before a comma) for each word, splitting initials and hyphens."""
    words: list[tuple[str, bool, bool]] = []
    comma_seen = "," in text
    before_comma = True
    for chunk in _TOKEN_SPLIT.split(text.replace(",", " , ")):
        if chunk == ",":
            before_comma = False
            continue
        for piece in _PIECE_SPLIT.split(chunk):
            piece = piece.strip("-'")
            if piece:
                capitals = piece.isupper() and len(piece) > 1
                words.append((piece, capitals, comma_seen and before_comma))
    return words


def _assign_roles(parts: list[NamePart], surname_hints: list[bool]) -> list[Role]:
    """Guess each word's role from the East Slavic pattern: a patronymic follows the given name it derives
    from, whether the surname comes first ("Surname Given Patronymic") or last ("Given Patronymic Surname").
    """
    roles: list[Role | None] = ["initial" if part.is_initial else None for part in parts]
    full = [i for i, role in enumerate(roles) if role is None]
    # capitals or a comma mark the surname, but never over what the word itself says ("OLEG Hnylytskyi")
    free = [i for i in full if not surname_hints[i] or parts[i].groups or parts[i].patronymic_like]
    patronymic_like = [i for i in free if parts[i].patronymic_like]
    # "Олександр Янукович", "Andrej Lukashevich": a two-word name is given name and surname, whatever the
    # ending; a patronymic needs a third word or a surname marked by capitals or a comma
    if len(full) < 3 and len(free) == len(full):
        patronymic_like = []
    patronymic = next((i for i in patronymic_like if i - 1 in free and parts[i - 1].groups), None)
    if patronymic is None:
        # a father's name we know makes it a patronymic wherever it stands ("Тимурович Кирило Клостяюк")
        known = [i for i in patronymic_like if patronymic_given_groups(parts[i].skeleton)]
        patronymic = known[0] if known else None
    if patronymic is None and patronymic_like:
        # no known given name before it: trust the position in a three-word name, then a known father's name
        if len(full) == 3 and full[1] in patronymic_like:
            patronymic = full[1]
        elif len(full) == 3 and full[2] in patronymic_like and full[1] in free:
            patronymic = full[2]
    if patronymic is not None:
        roles[patronymic] = "patronymic"
        before = patronymic - 1
        # the word before a patronymic is the given name, unless another word is a known given name
        # ("Юрій Сліавів Олександрович": the order is unusual, the given name is known)
        if before in free and (parts[before].groups or not any(parts[i].groups for i in free if i != before)):
            roles[before] = "given"
    for i in free:
        if roles[i] is None and parts[i].groups:
            roles[i] = "given"
    for i in full:
        if roles[i] is None:
            roles[i] = "surname"
    if "surname" not in roles and len(full) >= 2:
        # every word is a known given name ("Roman Ivan"?): the surname is the word farthest from the
        # patronymic, else the last one
        candidates = [i for i in full if roles[i] == "given"]
        if candidates:
            chosen = candidates[-1] if patronymic is None or candidates[-1] > patronymic else candidates[0]
            if patronymic is not None and chosen == patronymic - 1 and len(candidates) > 1:
                chosen = candidates[0] if candidates[0] != chosen else candidates[-1]
            roles[chosen] = "surname"
    return [role or "surname" for role in roles]


@lru_cache(maxsize=20_000)
def parse_name(text: str) -> ParsedName:
    """Split a full name in any order and script into parts with canonical forms and guessed roles."""
    # a word is normalised on its own below; whether it is a look-alike slip depends on the other words
    words = _split_words(fold_lookalike_words(" ".join(text.split())))
    any_lower = any(not capitals and len(word) > 1 for word, capitals, _ in words)
    parts: list[NamePart] = []
    hints: list[bool] = []
    for word, capitals, before_comma in words:
        part = _raw_word(word)
        # "Eduard Epišin Epišin": a word repeated by a data-entry slip is one word
        if part.skeleton and not (parts and parts[-1].skeleton == part.skeleton and not part.is_initial):
            parts.append(part)
            # "KACHAROV Konstantin", "Kacharov, Konstantin": the capitals or the comma mark the surname
            hints.append((capitals and any_lower) or before_comma)
    roles = _assign_roles(parts, hints)
    parts = _agree_in_sex([_with_role(part, role) for part, role in zip(parts, roles, strict=True)])
    mixed = tuple(mixed_script_words(text)) if _LATIN.search(text) and _CYRILLIC.search(text) else ()
    full = tuple(part for part in parts if part.role != "initial")
    return ParsedName(raw=text, parts=tuple(parts), mixed_script=mixed, roles=tuple(roles), full_parts=full)
