"""Why a candidate matched: which of the person's names, part by part, the birth dates, and the sum."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from matchers.dates import PartialDate
from matchers.frozen import Rebuild, rebuilt
from matchers.scoring import DateEffect, PartComparison


@dataclass(frozen=True)
class Explanation:
    """The evidence behind one match, serialisable with :meth:`to_dict`."""

    matched_name: str
    query_name: str
    query_canonical: str
    candidate_canonical: str
    parts: tuple[PartComparison, ...]
    birth_date: DateEffect
    query_birth_date: PartialDate | None
    candidate_birth_date: PartialDate | None
    name_score: float
    score: float
    mixed_script: tuple[str, ...] = field(default=())

    def __reduce__(self) -> Rebuild:
        return rebuilt(self)

    def to_dict(self) -> dict[str, Any]:
        """Return the explanation as a JSON-serialisable dict."""
        breakdown: list[dict[str, Any]] = [
            {
                "feature": f"{part.role}",
                "query": part.query,
                "candidate": part.candidate,
                "similarity": round(part.similarity, 4),
                "value": round(part.value, 4),
                "weight": round(part.weight, 4),
            }
            for part in self.parts
        ]
        breakdown.append({"feature": "name_score", "value": round(self.name_score, 4), "weight": 1.0})
        breakdown.append(
            {
                "feature": "birth_date",
                "value": self.birth_date.comparison.verdict,
                "effect": round(self.birth_date.effect, 4),
            }
        )
        return {
            "matched_name": self.matched_name,
            "query_name": self.query_name,
            "query_canonical": self.query_canonical,
            "candidate_canonical": self.candidate_canonical,
            "parts": [
                {
                    "part": part.role,
                    "query": part.query,
                    "candidate": part.candidate,
                    "similarity": round(part.similarity, 4),
                }
                for part in self.parts
            ],
            "birth_date": {
                "verdict": self.birth_date.comparison.verdict,
                "query": str(self.query_birth_date) if self.query_birth_date else None,
                "candidate": str(self.candidate_birth_date) if self.candidate_birth_date else None,
                "effect": round(self.birth_date.effect, 4),
            },
            "mixed_script": list(self.mixed_script),
            "score_breakdown": breakdown,
            "score": round(self.score, 4),
        }
