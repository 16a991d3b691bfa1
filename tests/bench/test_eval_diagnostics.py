"""What the report says about our misses: returned or not, the weakest part, the birth-date verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.cases import Query
from bench.evaluate_matching import diagnose


@dataclass(frozen=True)
class Explained:
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.data


@dataclass(frozen=True)
class Found:
    person_id: int
    score: float
    decision: str
    explanation: Explained


def found(person_id: int, score: float, decision: str, weakest: str, verdict: str) -> Found:
    parts = [{"part": "surname", "similarity": 1.0}, {"part": weakest, "similarity": 0.6}]
    return Found(person_id, score, decision, Explained({"parts": parts, "birth_date": {"verdict": verdict}}))


def test_misses_are_told_apart_by_how_the_person_came_back() -> None:
    queries = [Query("typo", "x", None, 1), Query("typo", "y", None, 2), Query("typo", "z", None, 3)]
    answers = [
        [found(1, 0.8, "review", "given", "unknown")],
        [found(9, 0.9, "alert", "given", "exact")],
        [found(3, 0.95, "alert", "given", "exact")],
    ]
    said = diagnose(queries, answers)["typo"]
    assert "review x1" in said and "not returned x1" in said and "another person first x1" in said
    assert "weakest part given x1" in said and "birth date unknown x1" in said


def test_alerts_on_negatives_are_described_by_their_birth_date_verdict() -> None:
    queries = [Query("namesake", "x", "1995", None)]
    said = diagnose(queries, [[found(1, 0.9, "alert", "patronymic", "partial")]])["namesake"]
    assert "birth date partial x1" in said and "median score 0.900" in said
