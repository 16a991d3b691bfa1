"""Alert and review recall, precision, F1, top-1 accuracy and false alerts, from what a matcher returned.

Counting rules (the report states them too):
- an alert is one (query, person) pair returned with decision "alert"; it is true when the person is the
  query's expected member and false otherwise, whether the query was a positive or a negative;
- alert recall is the share of positive queries whose expected member came back as an alert; review recall
  the share whose expected member came back at all (the matchers return only candidates >= review);
- top-1 accuracy is the share of positive queries whose first returned candidate is the expected member;
- false alerts per 1,000 non-matching queries counts the negative queries that raised at least one alert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

Decision = Literal["alert", "review"]


@dataclass(frozen=True)
class Hit:
    """One candidate a matcher returned for a query."""

    person_id: int
    score: float
    decision: Decision


@dataclass(frozen=True)
class Outcome:
    """What a matcher returned for one query (best first), with what it should have returned."""

    category: str
    expected: int | None
    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class Figures:
    """The evaluation's figures for one group of queries; a ratio is None when nothing could be counted."""

    queries: int
    positives: int
    negatives: int
    true_alerts: int
    false_alerts: int
    alert_recall: float | None
    review_recall: float | None
    alert_precision: float | None
    f1: float | None
    top1_accuracy: float | None
    false_alerts_per_1000: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        """Return the figures as a JSON-serialisable dict."""
        return asdict(self)


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def summarise(outcomes: Iterable[Outcome]) -> Figures:
    """Count the figures over a group of outcomes."""
    queries = positives = negatives = 0
    true_alerts = false_alerts = reviewed = top1 = alerted_negatives = 0
    for outcome in outcomes:
        queries += 1
        alerts = [hit for hit in outcome.hits if hit.decision == "alert"]
        if outcome.expected is None:
            negatives += 1
            false_alerts += len(alerts)
            alerted_negatives += bool(alerts)
            continue
        positives += 1
        true_alerts += any(hit.person_id == outcome.expected for hit in alerts)
        false_alerts += sum(hit.person_id != outcome.expected for hit in alerts)
        reviewed += any(hit.person_id == outcome.expected for hit in outcome.hits)
        top1 += bool(outcome.hits) and outcome.hits[0].person_id == outcome.expected
    recall = _ratio(true_alerts, positives)
    precision = _ratio(true_alerts, true_alerts + false_alerts)
    f1 = None
    if recall is not None and precision is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    per_1000 = _ratio(alerted_negatives * 1000, negatives)
    return Figures(
        queries=queries,
        positives=positives,
        negatives=negatives,
        true_alerts=true_alerts,
        false_alerts=false_alerts,
        alert_recall=recall,
        review_recall=_ratio(reviewed, positives),
        alert_precision=precision,
        f1=f1,
        top1_accuracy=_ratio(top1, positives),
        false_alerts_per_1000=per_1000,
    )


def summarise_by_category(outcomes: Sequence[Outcome]) -> dict[str, Figures]:
    """Count the figures per category, in the order categories first appear, then over all ("overall")."""
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[outcome.category].append(outcome)
    figures = {category: summarise(group) for category, group in groups.items()}
    figures["overall"] = summarise(outcomes)
    return figures


def hits_from_scores(
    scores: Iterable[tuple[int, float]], alert: float, review: float, limit: int | None = None
) -> tuple[Hit, ...]:
    """Turn a scorer's (person id, score) pairs into the hits an index would return: >= review, best first."""
    kept = sorted(((pid, score) for pid, score in scores if score >= review), key=lambda item: -item[1])
    if limit is not None:
        kept = kept[:limit]
    return tuple(Hit(pid, score, "alert" if score >= alert else "review") for pid, score in kept)
