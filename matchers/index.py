"""The in-memory match index: block candidates by canonical keys, then score only those."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

from matchers.dates import PartialDate, parse_birth_date
from matchers.explain import Explanation
from matchers.names import NamePart, ParsedName, parse_name
from matchers.scoring import apply_birth_dates, compare_names

# How many names, after the cheap whole-name comparison, get the full part-by-part score.
_DETAILED_PER_CANDIDATE = 1
_MIN_DETAILED = 15
# Names whose keys share less than this with the query's (rapidfuzz token_set_ratio) cannot reach review.
_CHEAP_CUTOFF = 50
# Blocking works on windows of this many letters of a word's loose skeleton, one edit allowed in each:
# from the start, and from the third letter on. (A window at the end would file every -енко together.)
_WINDOW = 6
_SKIP = 2


@dataclass(frozen=True)
class Thresholds:
    """Score limits: at or above ``alert`` an alert, at or above ``review`` a possible match for a human."""

    alert: float
    review: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.alert <= 1.0:
            raise ValueError("thresholds must satisfy 0 <= review <= alert <= 1")


@dataclass(frozen=True)
class PersonEntry:
    """A watchlist person as the index sees it: every name, any script, and the birth date if known."""

    person_id: int
    names: tuple[str, ...]
    birth_date: str | None = None


@dataclass(frozen=True)
class Match:
    """One candidate for a screened name: the person, the score, the decision and why."""

    person_id: int
    score: float
    decision: Literal["alert", "review"]
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class _IndexedName:
    person_id: int
    raw: str
    parsed: ParsedName
    cheap: str  # keys of the full parts, for the whole-name comparison


@dataclass(frozen=True, slots=True)
class _IndexedPerson:
    entry: PersonEntry
    birth_date: PartialDate | None
    name_ids: tuple[int, ...]


def _deletions(text: str) -> set[str]:
    return {text} | {text[:i] + text[i + 1 :] for i in range(len(text))}


@lru_cache(maxsize=200_000)
def _word_keys(loose: str, key: str) -> tuple[str, ...]:
    keys = {"^" + window for window in _deletions(loose[:_WINDOW])}
    if len(loose) >= _WINDOW + _SKIP:
        # the same window two letters further on, for words whose first letters took two slips
        keys |= {"~" + window for window in _deletions(loose[_SKIP : _SKIP + _WINDOW])}
    if key != loose:
        keys.add("=" + key)
    return tuple(sorted(keys))


@lru_cache(maxsize=100_000)
def _query_keys(loose: str, key: str) -> tuple[str, ...]:
    # A slip that adds or drops a letter inside the window shifts the rest of it by one: look the word up
    # with its window one letter shorter and, with one letter deleted, one letter longer too.
    keys = set(_word_keys(loose, key))
    keys.add("^" + loose[: _WINDOW - 1])
    keys |= {"^" + window for window in _deletions(loose[: _WINDOW + 1])}
    if len(loose) >= _WINDOW + _SKIP - 1:
        keys.add("~" + loose[_SKIP - 1 : _SKIP - 1 + _WINDOW])
        keys.add("~" + loose[_SKIP + 1 : _SKIP + 1 + _WINDOW])
        keys.add("~" + loose[_SKIP : _SKIP + _WINDOW - 1])
        keys |= {"~" + window for window in _deletions(loose[_SKIP : _SKIP + _WINDOW + 1])}
    return tuple(sorted(keys))


def blocking_keys(part: NamePart) -> tuple[str, ...]:
    """Return the keys a name word is filed under: its first letters and the letters after the first two,
    each window within one edit, and its given-name group.
    """
    return _word_keys(part.loose, part.key)


def query_keys(part: NamePart) -> tuple[str, ...]:
    """Return the keys to look a query word up under: those it would be filed under, and shifted windows."""
    return _query_keys(part.loose, part.key)


def _indexed_parts(parsed: ParsedName) -> tuple[NamePart, ...]:
    surnames = tuple(part for part in parsed.parts if part.role == "surname")
    return surnames or parsed.full_parts


def _cheap_string(parsed: ParsedName) -> str:
    return " ".join(sorted(part.key for part in parsed.full_parts))


class MatchIndex:
    """Persons' names filed under blocking keys; a screening scores only the names sharing a key."""

    def __init__(self, thresholds: Thresholds, max_candidates: int = 10) -> None:
        self.thresholds = thresholds
        self.max_candidates = max_candidates
        self._persons: dict[int, _IndexedPerson] = {}
        self._names: list[_IndexedName | None] = []
        self._postings: dict[str, list[int]] = {}
        self._free_slots = 0

    @classmethod
    def build(
        cls, entries: Iterable[PersonEntry], thresholds: Thresholds, max_candidates: int = 10
    ) -> MatchIndex:
        """Build an index of all ``entries``."""
        index = cls(thresholds, max_candidates)
        for entry in entries:
            index.upsert(entry)
        return index

    def __len__(self) -> int:
        return len(self._persons)

    def __contains__(self, person_id: object) -> bool:
        return person_id in self._persons

    def upsert(self, entry: PersonEntry) -> None:
        """Add a person, or replace every name and the birth date of one already indexed."""
        self.remove(entry.person_id)
        name_ids: list[int] = []
        for raw in dict.fromkeys(entry.names):
            parsed = parse_name(raw)
            if not parsed.parts:
                continue
            name_id = len(self._names)
            self._names.append(_IndexedName(entry.person_id, raw, parsed, _cheap_string(parsed)))
            name_ids.append(name_id)
            for part in _indexed_parts(parsed):
                for key in blocking_keys(part):
                    self._postings.setdefault(key, []).append(name_id)
        self._persons[entry.person_id] = _IndexedPerson(
            entry, parse_birth_date(entry.birth_date), tuple(name_ids)
        )

    def remove(self, person_id: int) -> None:
        """Forget a person; unknown ids are ignored."""
        person = self._persons.pop(person_id, None)
        if person is None:
            return
        for name_id in person.name_ids:
            # postings keep the stale id; lookups skip empty slots, and compaction drops them in bulk
            self._names[name_id] = None
        self._free_slots += len(person.name_ids)
        if self._free_slots > 1000 and self._free_slots * 2 > len(self._names):
            self._compact()

    def _compact(self) -> None:
        live = [(name_id, name) for name_id, name in enumerate(self._names) if name is not None]
        renumber = {old: new for new, (old, _) in enumerate(live)}
        self._names = [name for _, name in live]
        self._postings = {}
        for new_id, name in enumerate(self._names):
            assert name is not None
            for part in _indexed_parts(name.parsed):
                for key in blocking_keys(part):
                    self._postings.setdefault(key, []).append(new_id)
        for person_id, person in self._persons.items():
            self._persons[person_id] = _IndexedPerson(
                person.entry, person.birth_date, tuple(renumber[old] for old in person.name_ids)
            )
        self._free_slots = 0

    def _candidate_names(self, query: ParsedName) -> list[int]:
        found: set[int] = set()
        for part in query.full_parts:
            for key in query_keys(part):
                found.update(self._postings.get(key, ()))
        return [name_id for name_id in found if self._names[name_id] is not None]

    def screen(self, name: str, birth_date: str | None = None, limit: int | None = None) -> list[Match]:
        """Return the persons whose names match ``name`` (and birth date), best first, down to ``review``."""
        query = parse_name(name)
        if not query.parts:
            return []
        query_date = parse_birth_date(birth_date)
        name_ids = self._candidate_names(query)
        if not name_ids:
            return []
        limit = self.max_candidates if limit is None else limit
        detailed = max(_MIN_DETAILED, limit * _DETAILED_PER_CANDIDATE)
        if len(name_ids) > detailed:
            cheap_query = _cheap_string(query)
            choices = [self._names[name_id].cheap for name_id in name_ids]  # type: ignore[union-attr]
            ranked = process.extract(
                cheap_query, choices, scorer=fuzz.token_set_ratio, limit=detailed, score_cutoff=_CHEAP_CUTOFF
            )
            name_ids = [name_ids[position] for _, _, position in ranked]
        best: dict[int, Match] = {}
        for name_id in name_ids:
            indexed = self._names[name_id]
            assert indexed is not None
            match = self._score(query, name, query_date, indexed)
            if match is None:
                continue
            current = best.get(match.person_id)
            if current is None or match.score > current.score:
                best[match.person_id] = match
        ranked_matches = sorted(best.values(), key=lambda match: (-match.score, match.person_id))
        return ranked_matches[:limit]

    def screen_many(self, records: Iterable[tuple[str, str | None]]) -> list[list[Match]]:
        """Screen many (name, birth date) records; one list of matches per record, in input order."""
        return [self.screen(name, birth_date) for name, birth_date in records]

    def _score(
        self, query: ParsedName, raw_query: str, query_date: PartialDate | None, indexed: _IndexedName
    ) -> Match | None:
        person = self._persons[indexed.person_id]
        name_score, parts = compare_names(query, indexed.parsed)
        if name_score * 1.05 < self.thresholds.review:
            return None
        score, date_effect = apply_birth_dates(name_score, query_date, person.birth_date)
        if score < self.thresholds.review:
            return None
        decision: Literal["alert", "review"] = "alert" if score >= self.thresholds.alert else "review"
        explanation = Explanation(
            matched_name=indexed.raw,
            query_name=raw_query,
            query_canonical=query.canonical,
            candidate_canonical=indexed.parsed.canonical,
            parts=tuple(parts),
            birth_date=date_effect,
            query_birth_date=query_date,
            candidate_birth_date=person.birth_date,
            name_score=name_score,
            score=score,
            mixed_script=query.mixed_script,
        )
        return Match(indexed.person_id, round(score, 4), decision, explanation)
