"""The in-memory match index: block candidates by canonical keys, then score only those."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from operator import itemgetter
from typing import Literal

from mypy_extensions import mypyc_attr
from rapidfuzz import fuzz, process

from matchers.dates import PartialDate, compare_dates, parse_birth_date
from matchers.explain import Explanation
from matchers.frozen import Rebuild, rebuilt
from matchers.names import NamePart, ParsedName, parse_name, patronymic_given_groups
from matchers.scoring import (
    DATE_BONUS,
    PartComparison,
    apply_birth_dates,
    compare_names,
    name_score_bound,
)
from matchers.transliterate import loose_skeleton

# How many names, after the cheap whole-name comparison, get the full part-by-part score.
_DETAILED_PER_CANDIDATE = 1
_MIN_DETAILED = 12
# Names whose keys share less than this with the query's (rapidfuzz token_set_ratio) cannot reach review.
_CHEAP_CUTOFF = 50
# No birth date can lift a name score by more than this.
_BEST_DATE_BONUS = max(DATE_BONUS.values())
# Blocking works on windows of this many letters of a word's loose skeleton, one edit allowed in each:
# from the start, and from the third letter on. (A window at the end would file every -енко together.)
_WINDOW = 7
_SKIP = 2
_SHORTEST_DELETION = 3
# how far below the alert threshold an alert demoted to review is put
_BELOW_ALERT = 0.0001


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

    def __reduce__(self) -> Rebuild:
        return rebuilt(self)


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


def written_exactly(parts: Iterable[PartComparison]) -> bool:
    """Tell whether every word of the query is a word of the name as written (a form of it, not a slip):
    the surname and each compared word agree fully, and the query has no word the name lacks."""
    surname = False
    for part in parts:
        if part.query is None:
            continue
        if part.candidate is None or part.similarity < 1.0:
            return False
        surname = surname or part.role == "surname"
    return surname


def _deletions(text: str) -> set[str]:
    # a short word's deletions ("ki" of "kii") would file it with every word starting so; it keeps its own
    if len(text) <= _SHORTEST_DELETION:
        return {text}
    return {text} | {text[:i] + text[i + 1 :] for i in range(len(text))}


@lru_cache(maxsize=20_000)
def _word_keys(loose: str, key: str) -> tuple[str, ...]:
    keys = {"^" + window for window in _deletions(loose[:_WINDOW])}
    if len(loose) >= _WINDOW + _SKIP:
        # the same window two letters further on, for words whose first letters took two slips; the query
        # side looks it up with one letter deleted or shifted, which covers one more slip inside it
        keys.add("~" + loose[_SKIP : _SKIP + _WINDOW])
    if key != loose:
        keys.add("=" + key)
    return tuple(sorted(keys))


@lru_cache(maxsize=20_000)
def _query_keys(loose: str, key: str) -> tuple[str, ...]:
    # A slip that adds or drops a letter inside the window shifts the rest of it by one: look the word up
    # with its window one letter shorter and, with one letter deleted, one letter longer too.
    keys = set(_word_keys(loose, key))
    keys.add("^" + loose[: _WINDOW - 1])
    keys |= {"^" + window for window in _deletions(loose[: _WINDOW + 1])}
    if len(loose) >= _WINDOW + _SKIP - 1:
        keys.add("~" + loose[_SKIP - 1 : _SKIP - 1 + _WINDOW])
        keys.add("~" + loose[_SKIP + 1 : _SKIP + 1 + _WINDOW])
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


def _father_key(part: NamePart) -> str:
    return _father_key_of(part.skeleton, part.loose)


@lru_cache(maxsize=20_000)
def _father_key_of(skeleton: str, loose: str) -> str:
    groups = patronymic_given_groups(skeleton)
    return min(groups) if groups else loose


def name_keys(parsed: ParsedName) -> set[str]:
    """Return the keys a stored name is filed under: its surname's words, and its given name with the
    patronymic (so that a surname mangled beyond one slip is still found by "Кирило Віталійович").
    """
    surnames = [part for part in parsed.parts if part.role == "surname"] or list(parsed.full_parts)
    keys = {key for part in surnames for key in blocking_keys(part)}
    given = [part for part in parsed.parts if part.role == "given"]
    fathers = [part for part in parsed.parts if part.role == "patronymic"]
    keys |= {f"&{first.key}|{_father_key(father)}" for first in given for father in fathers}
    return keys


def query_name_keys(parsed: ParsedName) -> set[str]:
    """Return the keys to look a query name up under: every word's, and each given name with a patronymic."""
    keys = {key for part in parsed.full_parts for key in query_keys(part)}
    for part in parsed.full_parts:
        for alternative in part.alternatives:
            keys.update(_query_keys(loose_skeleton(alternative), alternative))
    given = [part for part in parsed.full_parts if part.groups]
    fathers = [part for part in parsed.full_parts if part.patronymic_like]
    keys |= {
        f"&{first.key}|{_father_key(father)}" for first in given for father in fathers if first is not father
    }
    return keys


def _reading(parsed: ParsedName) -> tuple[tuple[object, ...], ...]:
    """What every comparison and key reads of a name: its words but for their letters as written.

    A person's names that read the same (his Ukrainian, Russian and Latin names often do: Жак Аркадій
    Семенович, Жак Аркадий Семенович and Zhak Arkadii Semenovych) score the same against any query, so
    only the first of them is indexed: each further one would be one more candidate to rank and score
    for the same result. Only the name an explanation quotes changes, to the first of those names.
    """
    return tuple(
        (
            part.skeleton,
            part.loose,
            part.key,
            part.role,
            part.groups,
            part.initials,
            part.patronymic_like,
            part.alternatives,
        )
        for part in parsed.parts
    )


def _cheap_string(parsed: ParsedName) -> str:
    return " ".join(sorted(part.key for part in parsed.full_parts))


# screen_many forks workers for batches at least this large, when the platform can fork and has CPUs
_PARALLEL_MIN_RECORDS = 4000
_CHUNKS_PER_WORKER = 32
_worker_index: MatchIndex | None = None


def _default_workers(records: int) -> int:
    cpus = os.cpu_count() or 1
    if (
        records < _PARALLEL_MIN_RECORDS
        or cpus < 2
        or "fork" not in multiprocessing.get_all_start_methods()
        or multiprocessing.current_process().daemon  # a pool's worker may not start a pool of its own
    ):
        return 1
    return min(cpus, 8)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector within the block, and resume it as it was.

    Reference counting still frees what dies; only the search for cycles waits.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _adopt_index(index: MatchIndex) -> None:
    global _worker_index
    _worker_index = index
    # the pool ends a worker with SIGTERM (on an error): a handler inherited from a process that stops
    # gracefully on it (`watchlist worker`, the scheduler) would keep the worker alive and the pool waiting
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _screen_chunk(records: list[tuple[str, str | None]]) -> list[list[Match]]:
    assert _worker_index is not None
    return [_worker_index.screen(name, birth_date) for name, birth_date in records]


# compiled with mypyc (`make compile`), a class takes Python subclasses only when it says so
@mypyc_attr(allow_interpreted_subclasses=True)
class MatchIndex:
    """Persons' names filed under blocking keys; a screening scores only the names sharing a key."""

    def __init__(self, thresholds: Thresholds, max_candidates: int = 10) -> None:
        self.thresholds = thresholds
        self.max_candidates = max_candidates
        self._persons: dict[int, _IndexedPerson] = {}
        self._names: list[_IndexedName | None] = []
        self._cheap: list[str] = []  # _names[i].cheap, kept apart for the rapidfuzz call
        self._postings: dict[str, list[int]] = {}
        self._free_ids: list[int] = []  # slots of removed names, reused by the next upsert

    @classmethod
    def build(
        cls, entries: Iterable[PersonEntry], thresholds: Thresholds, max_candidates: int = 10
    ) -> MatchIndex:
        """Build an index of all ``entries``.

        Python's cyclic garbage collector is paused meanwhile: every object a build makes lives as long as
        the index, and a full collection walks all of them again each time the young ones outgrow a share
        of them, a third of the build of 100,000 persons (bench/results/matcher-speed.md).
        """
        index = cls(thresholds, max_candidates)
        with collector_paused():
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
        names: list[_IndexedName] = []
        readings: set[tuple[tuple[object, ...], ...]] = set()
        for raw in dict.fromkeys(entry.names):
            parsed = parse_name(raw)
            reading = _reading(parsed)
            if not parsed.parts or reading in readings:
                continue
            readings.add(reading)
            names.append(_IndexedName(entry.person_id, raw, parsed, _cheap_string(parsed)))
        # a person's names take slots in their order (freed slots come back in any order): of his names
        # that score alike, the first one is quoted, as candidates are scored in slot order
        name_ids = sorted(self._free_slot() for _ in names)
        postings = self._postings
        for position, indexed in enumerate(names):
            name_id = name_ids[position]
            # the id filed under each key is the one int object of `name_ids`, taken by a slice: compiled
            # (mypyc), `append(name_id)` would box the machine integer again for every key, a new object
            # each time (55 MB more for 100,000 persons)
            same_id = name_ids[position : position + 1]
            self._names[name_id] = indexed
            self._cheap[name_id] = indexed.cheap
            for key in name_keys(indexed.parsed):
                filed = postings.get(key)
                if filed is None:
                    postings[key] = same_id.copy()
                else:
                    filed.extend(same_id)
        self._persons[entry.person_id] = _IndexedPerson(
            entry, parse_birth_date(entry.birth_date), tuple(name_ids)
        )

    def _free_slot(self) -> int:
        if self._free_ids:
            return self._free_ids.pop()
        self._names.append(None)
        self._cheap.append("")
        return len(self._names) - 1

    def remove(self, person_id: int) -> None:
        """Forget a person; unknown ids are ignored."""
        person = self._persons.pop(person_id, None)
        if person is None:
            return
        for name_id in person.name_ids:
            indexed = self._names[name_id]
            assert indexed is not None
            for key in name_keys(indexed.parsed):
                postings = self._postings[key]
                postings.remove(name_id)
                if not postings:
                    del self._postings[key]
            self._names[name_id] = None
            self._cheap[name_id] = ""
            self._free_ids.append(name_id)

    def _candidate_names(self, query: ParsedName) -> list[int]:
        found: set[int] = set()
        postings = self._postings
        for key in query_name_keys(query):
            filed = postings.get(key)
            if filed is not None:
                found.update(filed)
        # in slot order: the walk of a set of numbers depends on how it grew, hence on the hash seed of
        # the strings above, and would decide ties (the last candidates ranked, the name quoted)
        return sorted(found)

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
            choices = itemgetter(*name_ids)(self._cheap)  # more than one id: a tuple
            # every choice above the cutoff, best first: the ones tied at the cut are among them
            ranked = process.extract(
                cheap_query, choices, scorer=fuzz.token_set_ratio, limit=None, score_cutoff=_CHEAP_CUTOFF
            )
            if (
                len(ranked) > detailed
                and ranked[detailed][1] == ranked[detailed - 1][1]
                and query_date is not None
            ):
                # more namesakes tie at the cut than are scored in detail: the birth date picks among them
                cut = ranked[detailed][1]
                ranked = sorted(
                    (found for found in ranked if found[1] >= cut),
                    key=lambda found: (-found[1], self._date_rank(query_date, name_ids[found[2]])),
                )
            name_ids = sorted(name_ids[position] for _, _, position in ranked[:detailed])
        best: dict[int, Match] = {}
        # persons one of whose names is the query as written
        written_as: set[int] = set()
        for name_id in name_ids:
            indexed = self._names[name_id]
            assert indexed is not None
            match, exactly = self._score(query, name, query_date, indexed)
            if exactly:
                written_as.add(indexed.person_id)
            if match is None:
                continue
            current = best.get(match.person_id)
            if current is None or match.score > current.score:
                best[match.person_id] = match
        if written_as:
            # the name as written is someone's on the list (whatever his birth date): another person reached
            # only through a slip or a loose reading (Клопков for Клопиков) is shown for review, not alerted;
            # a person one of whose names is written so is not another person, whichever name scored best
            for person_id, match in best.items():
                if match.decision == "alert" and person_id not in written_as:
                    best[person_id] = self._for_review(match)
        ranked_matches = sorted(best.values(), key=lambda match: (-match.score, match.person_id))
        return ranked_matches[:limit]

    def screen_many(
        self, records: Iterable[tuple[str, str | None]], *, workers: int | None = None
    ) -> list[list[Match]]:
        """Screen many (name, birth date) records; one list of matches per record, in input order.

        Large batches are shared among ``workers`` forked processes (default: one per CPU for batches of
        a few thousand records, where the fork pays for itself); ``workers=1`` screens in this process.
        """
        batch = list(records)
        # a list may hold one person many times (a border log, at each crossing): screened once, each
        # record given a list of its own
        distinct = list(dict.fromkeys(batch))
        if len(distinct) < len(batch):
            screened = dict(zip(distinct, self._screen_distinct(distinct, workers), strict=True))
            return [list(screened[record]) for record in batch]
        return self._screen_distinct(batch, workers)

    def _screen_distinct(self, batch: list[tuple[str, str | None]], workers: int | None) -> list[list[Match]]:
        if workers is None:
            workers = _default_workers(len(batch))
        if workers <= 1 or len(batch) < 2:
            return [self.screen(name, birth_date) for name, birth_date in batch]
        size = max(1, -(-len(batch) // (workers * _CHUNKS_PER_WORKER)))
        chunks = [batch[start : start + size] for start in range(0, len(batch), size)]
        # fork: the children start with this index (and the warm caches) in memory, nothing is pickled
        # but the records and the matches
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_adopt_index, initargs=(self,)) as pool:
            # one chunk a task: map's default hands out several at once, and the worker that drew the
            # slower records then finishes alone (small chunks keep the two busy to the end)
            screened = pool.map(_screen_chunk, chunks, chunksize=1)
            # the workers told to finish and waited for: leaving the block terminates the pool, which
            # may take a worker's end-of-work message off the queue while the worker waits for it
            pool.close()
            pool.join()
        return [matches for chunk in screened for matches in chunk]

    def _date_rank(self, query_date: PartialDate, name_id: int) -> tuple[bool, float, int]:
        # how well a name's person's birth date agrees with the query's: by what it adds to the score
        # (the same day first), conflicts last, the fewer years apart the better
        indexed = self._names[name_id]
        assert indexed is not None
        comparison = compare_dates(query_date, self._persons[indexed.person_id].birth_date)
        conflict = comparison.verdict == "conflict"
        return conflict, -DATE_BONUS.get(comparison.verdict, 0.0), comparison.years_apart or 0

    def _for_review(self, match: Match) -> Match:
        score = round(min(match.score, self.thresholds.alert - _BELOW_ALERT), 4)
        return replace(
            match, score=score, decision="review", explanation=replace(match.explanation, score=score)
        )

    def _score(
        self, query: ParsedName, raw_query: str, query_date: PartialDate | None, indexed: _IndexedName
    ) -> tuple[Match | None, bool]:
        """Score one name of a person; also tell whether the query is that name as written."""
        person = self._persons[indexed.person_id]
        # the cheap bound first: most candidates fail it
        if name_score_bound(query, indexed.parsed) + _BEST_DATE_BONUS < self.thresholds.review:
            return None, False
        # the parts are aligned once: for most names that pass the bound, the explanation is wanted
        names_score, parts = compare_names(query, indexed.parsed)
        if names_score + _BEST_DATE_BONUS < self.thresholds.review:
            return None, False
        exactly = written_exactly(parts)
        score, date_effect = apply_birth_dates(names_score, query_date, person.birth_date)
        if score < self.thresholds.review:
            return None, exactly
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
            name_score=names_score,
            score=score,
            mixed_script=query.mixed_script,
        )
        return Match(indexed.person_id, round(score, 4), decision, explanation), exactly
