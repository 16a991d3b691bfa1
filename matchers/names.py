"""Split a full name into parts (surname, given name, patronymic, initials); know which given names are one.

Order is free ("SURNAME Given", "Given Patronymic Surname", "Surname, Given"); roles are guessed from the
given-name list in ``data/given_names.txt``, the patronymic endings, upper-case surnames and commas. The
comparison in :mod:`matchers.scoring` does not rely on the guess to align parts, only to weigh them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

from matchers.normalize import mixed_script_words, normalize_name
from matchers.transliterate import skeleton

Role = Literal["surname", "given", "patronymic", "initial"]

# skeleton endings of patronymics as spelled (-ович/-евич/-івна/-овна/-ична, -owitsch, -ovitj, -owicz)
_PATRONYMIC_ENDINGS = ("ovich", "evich", "ovna", "evna", "ivna", "ichna", "inichna", "ovicha", "evicha")
_TOKEN_SPLIT = re.compile(r"[\s,;/()\[\]\"«»]+")


@dataclass(frozen=True, slots=True)
class NamePart:
    """One word of a name, with its canonical forms and its guessed role."""

    text: str  # normalised word as written ("гнилицький", "o")
    skeleton: str  # canonical Latin skeleton ("gnilitski")
    key: str  # the given-name group's skeleton if the word is a known given name, else the skeleton
    role: Role
    groups: frozenset[str]  # given-name groups the word belongs to
    initials: frozenset[str]  # skeleton initials it can be abbreviated to

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

    @property
    def canonical(self) -> str:
        """Return the skeletons of the parts in order, space-separated."""
        return " ".join(part.skeleton for part in self.parts)

    @property
    def full_parts(self) -> tuple[NamePart, ...]:
        """Return the parts that are whole words, not initials."""
        return tuple(part for part in self.parts if not part.is_initial)


@dataclass(frozen=True)
class _GivenNames:
    groups_by_skeleton: dict[str, frozenset[str]]
    initials_by_group: dict[str, frozenset[str]]


def _read_given_names() -> _GivenNames:
    text = resources.files("matchers").joinpath("data/given_names.txt").read_text(encoding="utf-8")
    groups: dict[str, set[str]] = {}
    initials: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        forms = [skeleton(normalize_name(form)) for form in line.split("|")]
        forms = [form for form in forms if form]
        group = forms[0]
        for form in forms:
            groups.setdefault(form, set()).add(group)
            initials.setdefault(group, set()).add(form[0])
    return _GivenNames(
        groups_by_skeleton={form: frozenset(found) for form, found in groups.items()},
        initials_by_group={group: frozenset(letters) for group, letters in initials.items()},
    )


@lru_cache(maxsize=1)
def given_names() -> _GivenNames:
    """Return the given-name equivalence groups read from ``data/given_names.txt`` (read once)."""
    return _read_given_names()


def given_name_groups(word_skeleton: str) -> frozenset[str]:
    """Return the given-name groups a skeleton belongs to (empty if it is not a known given name)."""
    return given_names().groups_by_skeleton.get(word_skeleton, frozenset())


def patronymic_stem(word_skeleton: str) -> str | None:
    """Return the father's-name stem of a patronymic skeleton ("petrovich" -> "petr"), or None."""
    for ending in _PATRONYMIC_ENDINGS:
        if word_skeleton.endswith(ending) and len(word_skeleton) - len(ending) >= 2:
            return word_skeleton[: -len(ending)]
    return None


@lru_cache(maxsize=200_000)
def _word_part(word: str, role_hint: Role | None) -> NamePart:
    skel = skeleton(word)
    if len(skel) <= 1 or (len(word) == 1 and word.isalpha()):
        return NamePart(word, skel, skel, "initial", frozenset(), frozenset(skel[:1]))
    groups = given_name_groups(skel)
    known = given_names()
    initials = set(skel[:1])
    for group in groups:
        initials |= known.initials_by_group[group]
    key = min(groups) if len(groups) == 1 else skel
    role: Role
    if role_hint is not None:
        role = role_hint
    elif patronymic_stem(skel) is not None:
        role = "patronymic"
    elif groups:
        role = "given"
    else:
        role = "surname"
    return NamePart(word, skel, key, role, groups, frozenset(initials))


def _split_words(text: str) -> list[tuple[str, bool, bool]]:
    """Return (word, written in capitals, before a comma) for each word, splitting initials and hyphens."""
    words: list[tuple[str, bool, bool]] = []
    comma_seen = "," in text
    before_comma = True
    for chunk in _TOKEN_SPLIT.split(text.replace(",", " , ")):
        if chunk == ",":
            before_comma = False
            continue
        for piece in re.split(r"\.|(?<=\w)-(?=\w)", chunk):
            piece = piece.strip("-'")
            if piece:
                capitals = piece.isupper() and len(piece) > 1
                words.append((piece, capitals, comma_seen and before_comma))
    return words


@lru_cache(maxsize=100_000)
def parse_name(text: str) -> ParsedName:
    """Split a full name in any order and script into parts with canonical forms and guessed roles."""
    words = _split_words(" ".join(text.split()))
    any_lower = any(not capitals and len(word) > 1 for word, capitals, _ in words)
    hints: list[Role | None] = []
    for _word, capitals, before_comma in words:
        # "KACHAROV Konstantin", "Kacharov, Konstantin": the capitals or the comma mark the surname
        hints.append("surname" if (capitals and any_lower) or before_comma else None)
    parts = [_word_part(normalize_name(word), hint) for (word, _, _), hint in zip(words, hints, strict=True)]
    parts = [part for part in parts if part.skeleton]
    if parts and not any(part.role == "surname" for part in parts):
        parts = _pick_surname(parts)
    return ParsedName(raw=text, parts=tuple(parts), mixed_script=tuple(mixed_script_words(text)))


def _pick_surname(parts: list[NamePart]) -> list[NamePart]:
    # every word looks like a given name or a patronymic ("Ivan Pavlov"? no: "Roman Ivan"); the surname is
    # then the first or the last full word, whichever is not a given name followed by a patronymic
    full = [index for index, part in enumerate(parts) if not part.is_initial]
    if len(full) < 2:
        return parts
    candidates = [index for index in full if parts[index].role != "patronymic"]
    if not candidates:
        return parts
    first, last = candidates[0], candidates[-1]
    chosen = last
    if first != last and any(p.role == "patronymic" for p in parts[first + 1 :]) and last < first + 2:
        chosen = first
    part = parts[chosen]
    parts[chosen] = NamePart(part.text, part.skeleton, part.skeleton, "surname", part.groups, part.initials)
    return parts
