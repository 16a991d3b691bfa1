"""The peers the evaluation compares us with, scored on the same queries in the same run.

Peers are scorers, not indexes: each query is scored against a candidate set made of the top-k members of a
cheap retrieval (rapidfuzz token_set_ratio over ASCII-folded names) plus the expected member when the
retrieval missed it, the same set for both peers. So their recall is not limited by any retrieval of theirs.

- nomenklatura: OpenSanctions' matcher as yente runs it by default: algorithm `logic-v2` (yente's
  DEFAULT_ALGORITHM since yente PR #961, December 2025; `logic-v1` before) with the algorithm's default
  configuration; a result alerts at yente's SCORE_THRESHOLD 0.70 and is returned at all above yente's
  SCORE_CUTOFF 0.50, which we count as "review". Birth dates go in as ISO text, the only form yente's API
  takes.
- rapidfuzz: `fuzz.token_sort_ratio` on ASCII-folded names (normality.ascii_text, an ICU transliteration
  like unidecode), best over the member's names, dates ignored; alert >= 0.75 (the threshold that gives about
  the recall the issue quotes for this peer), review >= 0.60.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from normality import ascii_text
from rapidfuzz import fuzz, process

from bench.cases import Member, Query
from bench.metrics import Hit, hits_from_scores

NOMENKLATURA_ALGORITHM = "logic-v2"
NOMENKLATURA_ALERT = 0.70
NOMENKLATURA_REVIEW = 0.50
RAPIDFUZZ_ALERT = 0.75
RAPIDFUZZ_REVIEW = 0.60
RETRIEVAL_TOP_K = 20

_NOT_WORD = re.compile(r"[^a-z0-9 ]+")


@cache
def ascii_fold(text: str) -> str:
    """Fold a name to lower-case ASCII words (Кабашний -> kabashnii, Władimirowicz -> wladimirowicz)."""
    folded = (ascii_text(text) or "").lower()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


@dataclass(frozen=True)
class CandidateSets:
    """For each query, the members a peer scores it against, in retrieval order."""

    members: tuple[Member, ...]
    candidates: tuple[tuple[int, ...], ...]  # indexes into members


def retrieve_candidates(
    members: Sequence[Member], queries: Sequence[Query], k: int = RETRIEVAL_TOP_K
) -> CandidateSets:
    """Pick each query's candidates: top-k members by token_set_ratio on folded names, plus the expected."""
    names: list[str] = []
    owners: list[int] = []
    for index, member in enumerate(members):
        for name in member.names:
            names.append(ascii_fold(name))
            owners.append(index)
    owner_array = np.asarray(owners)
    position = {member.person_id: index for index, member in enumerate(members)}
    folded_queries = [ascii_fold(query.name) for query in queries]
    chosen: list[tuple[int, ...]] = []
    batch = 2000
    for start in range(0, len(queries), batch):
        scores = process.cdist(
            folded_queries[start : start + batch],
            names,
            scorer=fuzz.token_set_ratio,
            workers=-1,
            dtype=np.uint8,
        )
        for offset, row in enumerate(scores):
            best = np.zeros(len(members), dtype=np.uint8)
            np.maximum.at(best, owner_array, row)
            top = np.argsort(-best.astype(np.int16), kind="stable")[:k]
            picked = [int(index) for index in top]
            expected = queries[start + offset].expected
            if expected is not None and position[expected] not in picked:
                picked.append(position[expected])
            chosen.append(tuple(picked))
    return CandidateSets(tuple(members), tuple(chosen))


class NomenklaturaPeer:
    """OpenSanctions' default matcher (yente's logic-v2 at its default threshold)."""

    key = "nomenklatura"
    title = f"nomenklatura {NOMENKLATURA_ALGORITHM} (yente default, alert >= {NOMENKLATURA_ALERT})"

    def __init__(self, namespace: str = "eval") -> None:
        from followthemoney import model
        from nomenklatura.matching import ScoringConfig, get_algorithm

        algorithm = get_algorithm(NOMENKLATURA_ALGORITHM)
        if algorithm is None:
            raise RuntimeError(f"nomenklatura has no algorithm {NOMENKLATURA_ALGORITHM!r}")
        self._algorithm = algorithm
        self._config = ScoringConfig.defaults()
        self._model = model
        self._namespace = namespace
        self._entities: dict[int, Any] = {}
        # logic-v2 memoises name analysis per entity id, so every query needs an id of its own
        self._queries = itertools.count()

    def _person(self, entity_id: str, names: Sequence[str], birth_date: str | None) -> Any:
        entity = self._model.make_entity("Person")
        entity.id = entity_id
        for name in names:
            entity.add("name", name)
        if birth_date:
            entity.add("birthDate", birth_date)
        return entity

    def score(self, query: Query, candidates: Sequence[Member]) -> tuple[Hit, ...]:
        """Score one query against its candidates and return what yente would (>= cutoff, best first)."""
        example = self._person(
            f"{self._namespace}-query-{next(self._queries)}", (query.name,), query.birth_date_iso
        )
        scores = []
        for member in candidates:
            entity = self._entities.get(member.person_id)
            if entity is None:
                entity = self._person(
                    f"{self._namespace}-member-{member.person_id}", member.names, member.birth_date
                )
                self._entities[member.person_id] = entity
            scores.append((member.person_id, self._algorithm.compare(example, entity, self._config).score))
        return hits_from_scores(scores, NOMENKLATURA_ALERT, NOMENKLATURA_REVIEW)


class RapidfuzzPeer:
    """Plain rapidfuzz token_sort_ratio on ASCII-folded names."""

    key = "rapidfuzz"
    title = f"rapidfuzz token_sort_ratio on ASCII-folded names (alert >= {RAPIDFUZZ_ALERT})"

    def __init__(self, namespace: str = "eval") -> None:
        self._namespace = namespace

    def score(self, query: Query, candidates: Sequence[Member]) -> tuple[Hit, ...]:
        """Score one query against its candidates: the best ratio over each member's names, / 100."""
        folded = ascii_fold(query.name)
        scores = [
            (
                member.person_id,
                max(fuzz.token_sort_ratio(folded, ascii_fold(name)) for name in member.names) / 100,
            )
            for member in candidates
        ]
        return hits_from_scores(scores, RAPIDFUZZ_ALERT, RAPIDFUZZ_REVIEW)
