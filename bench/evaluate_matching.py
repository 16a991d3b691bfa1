"""The matching evaluation (`make eval`): our engine beside two peers, on the same queries in the same run.

Two sets: the real set (real persons' Cyrillic names on the watchlist, their published Latin spellings as
queries, see bench/real_set.py) and the generated Ukrainian-domain set (bench/generated_set.py). For each
matcher and category it prints alert and review recall, alert precision, F1, top-1 accuracy and false alerts
per 1,000 non-matching queries (counting rules in bench/metrics.py), and writes bench/results/eval.md and
eval.json. Thresholds are read from config/default.toml, so the evaluation measures what the service does.

    python -m bench.evaluate_matching            # full run, a few minutes, writes bench/results/
    python -m bench.evaluate_matching --quick    # smaller sets, prints only
    python -m bench.evaluate_matching --seed 7 --sets real --no-peers --output-dir /tmp/eval
                                                 # another sample, our engine only (for development)
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import multiprocessing
import os
import platform
import statistics
import sys
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from bench.cases import EvaluationSet, Member, Query
from bench.generated_set import (
    EXAMPLE_PERSON,
    NEGATIVE_CATEGORIES,
    POSITIVE_CATEGORIES,
    build_generated_set,
    example_variant,
    source_persons,
)
from bench.metrics import Figures, Hit, Outcome, summarise, summarise_by_category
from bench.peers import RETRIEVAL_TOP_K, CandidateSets, NomenklaturaPeer, RapidfuzzPeer, retrieve_candidates
from bench.real_set import DEFAULT_DATA, build_real_set, load_persons
from bench.report import RESULTS, write_results

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config" / "default.toml"
SEED = 20261124
# (alert precision, alert recall) the issue sets for our engine
TARGETS = {"real": (0.998, 0.99), "generated": (0.995, 0.97)}
OURS = "ours"


@dataclass(frozen=True)
class MatchingSettings:
    """The service's matching settings, from the [matching] table of config/default.toml."""

    alert: float
    review: float
    max_candidates: int


def read_matching_settings(path: Path = DEFAULT_CONFIG) -> MatchingSettings:
    """Read the alert and review thresholds the service uses."""
    with path.open("rb") as handle:
        matching = tomllib.load(handle)["matching"]
    return MatchingSettings(
        alert=float(matching["alert_threshold"]),
        review=float(matching["review_threshold"]),
        max_candidates=int(matching.get("max_candidates", 10)),
    )


@dataclass
class MatcherRun:
    """One matcher's answers on one set, and the figures counted from them."""

    key: str
    title: str
    outcomes: list[Outcome]
    seconds: dict[str, float]
    figures: dict[str, Figures] = field(default_factory=dict)
    diagnostics: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.figures = summarise_by_category(self.outcomes)


def log(message: str) -> None:
    """Progress on stderr; never a name (the data are real people)."""
    print(f"[eval {dt.datetime.now(dt.UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# ---- our engine -------------------------------------------------------------------------------------------


def build_index(engine: ModuleType, members: Sequence[Member], settings: MatchingSettings) -> Any:
    """Build the engine's MatchIndex over the watchlist, as the service would."""
    thresholds = engine.Thresholds(alert=settings.alert, review=settings.review)
    entries = [engine.PersonEntry(m.person_id, m.names, m.birth_date) for m in members]
    return engine.MatchIndex.build(entries, thresholds, max_candidates=settings.max_candidates)


def run_engine(engine: ModuleType, evaluation: EvaluationSet, settings: MatchingSettings) -> MatcherRun:
    """Screen every query of a set through the engine's own MatchIndex (screen_many)."""
    started = time.perf_counter()
    index = build_index(engine, evaluation.members, settings)
    built = time.perf_counter()
    answers = index.screen_many([(query.name, query.birth_date) for query in evaluation.queries])
    screened = time.perf_counter()
    outcomes = [
        Outcome(query.category, query.expected, tuple(Hit(m.person_id, m.score, m.decision) for m in matches))
        for query, matches in zip(evaluation.queries, answers, strict=True)
    ]
    title = f"ours ({engine.__name__}.MatchIndex, alert >= {settings.alert}, review >= {settings.review})"
    run = MatcherRun(OURS, title, outcomes, {"build": built - started, "screen": screened - built})
    run.diagnostics = diagnose(evaluation.queries, answers)
    return run


def _counted(counter: Counter[str]) -> str:
    return ", ".join(f"{key} x{count}" for key, count in counter.most_common(4))


def diagnose(queries: Sequence[Query], answers: Sequence[Sequence[Any]]) -> dict[str, str]:
    """Say, per category and without any name, why our engine missed positives or alerted on negatives.

    For a missed positive: whether the person came back at all, the weakest name part of his match (role and
    similarity) and the birth-date verdict; for an alerted negative: the alert's birth-date verdict and score.
    """
    explained: dict[str, list[Any]] = defaultdict(list)
    status: dict[str, Counter[str]] = defaultdict(Counter)
    for query, matches in zip(queries, answers, strict=True):
        if query.expected is None:
            explained[query.category].extend(m for m in matches if m.decision == "alert")
            continue
        mine = [m for m in matches if m.person_id == query.expected]
        if mine and mine[0].decision == "alert":
            continue
        if not mine:
            status[query.category]["not returned"] += 1
        else:
            status[query.category]["review"] += 1
            explained[query.category].append(mine[0])
        if matches and matches[0].person_id != query.expected:
            status[query.category]["another person first"] += 1
    found: dict[str, str] = {}
    for category in sorted({*explained, *status}):
        parts: Counter[str] = Counter()
        verdicts: Counter[str] = Counter()
        similarities: list[float] = []
        scores = []
        for match in explained[category]:
            explanation = match.explanation.to_dict()
            scores.append(match.score)
            verdicts[str((explanation.get("birth_date") or {}).get("verdict", "?"))] += 1
            compared = [
                p for p in explanation.get("parts") or [] if isinstance(p.get("similarity"), int | float)
            ]
            if compared:
                weakest = min(compared, key=lambda p: p["similarity"])
                parts[str(weakest.get("part"))] += 1
                similarities.append(float(weakest["similarity"]))
        said = []
        if status[category]:
            said.append(_counted(status[category]))
        if scores:
            said.append(f"median score {statistics.median(scores):.3f}")
        if parts:
            said.append(
                f"weakest part {_counted(parts)} (median similarity {statistics.median(similarities):.2f})"
            )
        if verdicts:
            said.append(f"birth date {_counted(verdicts)}")
        found[category] = "; ".join(said)
    return found


# ---- peers, scored in parallel --------------------------------------------------------------------------


class Peer(Protocol):
    key: str
    title: str

    def score(self, query: Query, candidates: Sequence[Member]) -> tuple[Hit, ...]: ...


PeerFactory = Callable[[str], Peer]
# handed to forked workers by inheritance (a fork copies it), not pickled per task
_WORK: dict[str, Any] = {}


def _score_range(bounds: tuple[int, int]) -> list[tuple[Hit, ...]]:
    peer = _WORK.get("peer")
    if peer is None:
        peer = _WORK["peer"] = _WORK["factory"](_WORK["namespace"])
    queries: Sequence[Query] = _WORK["queries"]
    sets: CandidateSets = _WORK["sets"]
    return [
        peer.score(queries[i], [sets.members[j] for j in sets.candidates[i]])
        for i in range(bounds[0], bounds[1])
    ]


def run_peer(
    factory: PeerFactory, evaluation: EvaluationSet, candidate_sets: CandidateSets, workers: int
) -> MatcherRun:
    """Score every query of a set with a peer against its candidate set, on `workers` processes."""
    started = time.perf_counter()
    _WORK.clear()
    _WORK.update(
        factory=factory, namespace=evaluation.key, queries=evaluation.queries, sets=candidate_sets, peer=None
    )
    size = len(evaluation.queries)
    step = max(1, min(500, size // (workers * 4) or 1))
    ranges = [(start, min(start + step, size)) for start in range(0, size, step)]
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            chunks = pool.map(_score_range, ranges)
    else:
        chunks = [_score_range(bounds) for bounds in ranges]
    peer = _WORK["peer"] or factory(evaluation.key)
    _WORK.clear()
    hits = [answer for chunk in chunks for answer in chunk]
    outcomes = [
        Outcome(query.category, query.expected, answer)
        for query, answer in zip(evaluation.queries, hits, strict=True)
    ]
    return MatcherRun(peer.key, peer.title, outcomes, {"score": time.perf_counter() - started})


# ---- the run ----------------------------------------------------------------------------------------------


def evaluate_set(
    evaluation: EvaluationSet,
    engine: ModuleType,
    settings: MatchingSettings,
    workers: int,
    top_k: int,
    peers: bool = True,
) -> list[MatcherRun]:
    """Run our engine and, unless `peers` is false, both peers on one set."""
    positives = sum(query.expected is not None for query in evaluation.queries)
    log(
        f"{evaluation.key}: {len(evaluation.members)} members, {len(evaluation.queries)} queries "
        f"({positives} positive)"
    )
    runs = [run_engine(engine, evaluation, settings)]
    log(f"{evaluation.key}: ours done in {sum(runs[0].seconds.values()):.1f} s")
    if not peers:
        return runs
    started = time.perf_counter()
    candidate_sets = retrieve_candidates(evaluation.members, evaluation.queries, top_k)
    log(f"{evaluation.key}: peer candidate sets (top {top_k}) in {time.perf_counter() - started:.1f} s")
    for factory in (NomenklaturaPeer, RapidfuzzPeer):
        run = run_peer(factory, evaluation, candidate_sets, workers)
        log(f"{evaluation.key}: {run.key} done in {run.seconds['score']:.1f} s")
        runs.append(run)
    return runs


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _fmt_rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _categories(runs: Sequence[MatcherRun], positive: bool) -> list[str]:
    figures = runs[0].figures
    return [
        name
        for name, f in figures.items()
        if name != "overall" and (f.positives > 0 if positive else f.positives == 0)
    ]


def summary_table(key: str, runs: Sequence[MatcherRun]) -> list[str]:
    """The overall figures of each matcher, with our targets beside them."""
    target_precision, target_recall = TARGETS[key]
    lines = [
        "| matcher | alert precision | alert recall | F1 | review recall | top-1 "
        "| false alerts / 1k non-matching | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        f = run.figures["overall"]
        lines.append(
            f"| {run.key} | {_fmt(f.alert_precision, 4)} | {_fmt(f.alert_recall, 4)} | {_fmt(f.f1)} "
            f"| {_fmt(f.review_recall)} | {_fmt(f.top1_accuracy)} | {_fmt_rate(f.false_alerts_per_1000)} "
            f"| {sum(run.seconds.values()):.1f} |"
        )
    ours = runs[0].figures["overall"]
    met_p = ours.alert_precision is not None and ours.alert_precision >= target_precision
    met_r = ours.alert_recall is not None and ours.alert_recall >= target_recall
    lines.append(
        f"| **target (ours)** | >= {target_precision} {'met' if met_p else '**not met**'} "
        f"| >= {target_recall} {'met' if met_r else '**not met**'} | | | | | |"
    )
    return lines


def positive_table(runs: Sequence[MatcherRun]) -> list[str]:
    """Per positive category: alert recall, review recall, top-1 and alert precision of each matcher."""
    header = "| category | n |" + "".join(
        f" {run.key} alert R | {run.key} review R | {run.key} top-1 | {run.key} P |" for run in runs
    )
    lines = [header, "|---|---|" + "---|---|---|---|" * len(runs)]
    for category in _categories(runs, positive=True):
        row = f"| {category} | {runs[0].figures[category].positives} |"
        for run in runs:
            f = run.figures[category]
            row += (
                f" {_fmt(f.alert_recall)} | {_fmt(f.review_recall)} | {_fmt(f.top1_accuracy)} "
                f"| {_fmt(f.alert_precision)} |"
            )
        lines.append(row)
    return lines


def negative_table(runs: Sequence[MatcherRun]) -> list[str]:
    """Per negative category: false alerts per 1,000 queries of each matcher."""
    lines = [
        "| category | n |" + "".join(f" {run.key} false alerts / 1k |" for run in runs),
        "|---|---|" + "---|" * len(runs),
    ]
    for category in _categories(runs, positive=False):
        row = f"| {category} | {runs[0].figures[category].negatives} |"
        row += "".join(f" {_fmt_rate(run.figures[category].false_alerts_per_1000)} |" for run in runs)
        lines.append(row)
    return lines


# what the issue says the peers reach (alert precision, alert recall), measured before this harness existed
ISSUE_PEER_FIGURES = {
    "real": {"nomenklatura": (0.996, 0.974), "rapidfuzz": (0.975, 0.835)},
    "generated": {"nomenklatura": (0.97, 0.76)},
}


def peer_check(key: str, runs: Sequence[MatcherRun]) -> list[str]:
    """Each peer's figures without the namesake negatives beside the issue's, so a harness bug would show.

    The issue's figures come from positives and other-person negatives; namesakes known by year only make
    nomenklatura alert (it has no year-only conflict), which is what pulls its precision down here.
    """
    lines = [
        "| matcher | precision without namesake queries | recall | precision, all queries "
        "| the issue quotes (P / R) |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        quoted = ISSUE_PEER_FIGURES.get(key, {}).get(run.key)
        if quoted is None:
            continue
        kept = summarise(o for o in run.outcomes if not o.category.startswith("namesake_"))
        overall = run.figures["overall"]
        lines.append(
            f"| {run.key} | {_fmt(kept.alert_precision)} | {_fmt(kept.alert_recall)} "
            f"| {_fmt(overall.alert_precision)} | {quoted[0]} / {quoted[1]} |"
        )
    lines += [
        "",
        "Year-only namesakes are what nomenklatura alerts on (it sees no conflict between a year and a full "
        "date of another year); plain rapidfuzz ignores dates and its precision follows how hard the "
        "negatives are (same-surname persons, each query scored against its 20 nearest members).",
    ]
    return lines


def worst_categories(key: str, ours: MatcherRun, limit: int = 8) -> list[tuple[str, str]]:
    """Our weakest categories: positives below the recall target (lowest first), then alerting negatives."""
    target_recall = TARGETS[key][1]
    weak: list[tuple[float, str, str]] = []
    for category, f in ours.figures.items():
        if category == "overall":
            continue
        if f.positives and f.alert_recall is not None and f.alert_recall < target_recall:
            weak.append((f.alert_recall - 1, category, f"alert recall {f.alert_recall:.3f}"))
        if f.negatives and f.false_alerts_per_1000:
            weak.append(
                (
                    -f.false_alerts_per_1000 / 1000,
                    category,
                    f"{f.false_alerts_per_1000:.1f} false alerts / 1k",
                )
            )
    weak.sort()
    return [(category, what) for _, category, what in weak[:limit]]


def example_line(engine: ModuleType, settings: MatchingSettings, category: str, tries: int = 30) -> str:
    """Our answer on the fictitious man of DESIGN.md for one generated category (safe to print).

    Tries up to `tries` seeded variants and shows the first one we get wrong (a positive not alerted, a
    negative alerted), or the last one when we get them all right.
    """
    member = Member(1, (EXAMPLE_PERSON.uk.full(),), EXAMPLE_PERSON.birth_date.isoformat())
    index = build_index(engine, [member], settings)
    positive = category in POSITIVE_CATEGORIES
    line = ""
    for seed in range(1, tries + 1):
        variant = example_variant(category, seed)
        if variant is None:
            continue
        matches = index.screen(variant.name, variant.birth_date)
        if matches:
            explanation = matches[0].explanation.to_dict()
            verdict = (explanation.get("birth_date") or {}).get("verdict", "?")
            answer = f"{matches[0].decision} {matches[0].score:.3f} (birth date: {verdict})"
        else:
            answer = "not returned"
        query = f"`{variant.name}` / `{variant.birth_date or '-'}`"
        line = f"{query} vs `{member.names[0]}` / `{member.birth_date}`: {answer}"
        alerted = bool(matches) and matches[0].decision == "alert"
        if alerted != positive:
            return line
    return f"{line} (all {tries} tries right)" if line else ""


def render_report(
    sets: Sequence[tuple[EvaluationSet, list[MatcherRun]]],
    engine: ModuleType,
    settings: MatchingSettings,
    meta: dict[str, Any],
) -> str:
    """The evaluation report in Markdown (what eval.md holds and the run prints)."""
    out = [
        "# Matching evaluation",
        "",
        f"Run {meta['run_at']} on {meta['machine']}; seed {meta['seed']}; "
        f"thresholds from config/default.toml: alert >= {settings.alert}, review >= {settings.review}, "
        f"max {settings.max_candidates} candidates.",
        "",
        "Matchers, on the same queries in the same run:",
        "",
    ]
    for run in sets[0][1]:
        out.append(f"- **{run.key}**: {run.title}")
    out += [
        "",
        "Peers are scorers, not indexes: each query is scored against a candidate set of the top "
        f"{meta['top_k']} members by a cheap retrieval (rapidfuzz token_set_ratio over ASCII-folded names) "
        "plus the expected member when the retrieval missed it; the same set for both peers. Ours answers "
        "through its own MatchIndex (`screen_many`). For nomenklatura, yente's SCORE_CUTOFF (0.50) counts "
        "as review; for rapidfuzz, 0.60.",
        "",
        "Counting: an alert is a (query, person) pair returned as `alert`; precision = true alerts / all "
        "alerts (alerts on the wrong person of a positive query count as false); alert recall = positive "
        "queries whose person alerted; review recall = positive queries whose person was returned at all "
        "(>= review); top-1 = positive queries whose first candidate is the person; false alerts / 1k = "
        "negative queries with at least one alert, per 1,000 negative queries.",
        "",
    ]
    for evaluation, runs in sets:
        out += [f"## {evaluation.title}", ""]
        out += [f"- {note}" for note in evaluation.notes]
        out += ["", "### Overall", ""] + summary_table(evaluation.key, runs)
        out += ["", "### Positive categories", ""] + positive_table(runs)
        out += ["", "### Negative categories", ""] + negative_table(runs)
        out += ["", "### The peers against the figures the issue quotes", ""] + peer_check(
            evaluation.key, runs
        )
        worst = worst_categories(evaluation.key, runs[0])
        out += ["", "### Our weakest categories (for tuning the engine)", ""]
        if not worst:
            out.append("None below the recall target, no false alerts.")
        for category, what in worst:
            line = f"- `{category}`: {what}"
            if runs[0].diagnostics.get(category):
                line += f" ({runs[0].diagnostics[category]})"
            if evaluation.key == "generated" and category in {**POSITIVE_CATEGORIES, **NEGATIVE_CATEGORIES}:
                line += f". On the fictitious man of DESIGN.md: {example_line(engine, settings, category)}"
            out.append(line)
        out.append("")
    return "\n".join(out)


def results_json(
    sets: Sequence[tuple[EvaluationSet, list[MatcherRun]]], settings: MatchingSettings, meta: dict[str, Any]
) -> dict[str, Any]:
    """Every figure of the run, JSON-serialisable (no names)."""
    return {
        **meta,
        "thresholds": {
            "alert": settings.alert,
            "review": settings.review,
            "max_candidates": settings.max_candidates,
        },
        "targets": {key: {"alert_precision": p, "alert_recall": r} for key, (p, r) in TARGETS.items()},
        "sets": {
            evaluation.key: {
                "title": evaluation.title,
                "notes": list(evaluation.notes),
                "members": len(evaluation.members),
                "queries": len(evaluation.queries),
                "matchers": {
                    run.key: {
                        "title": run.title,
                        "seconds": {name: round(value, 2) for name, value in run.seconds.items()},
                        "figures": {category: f.to_dict() for category, f in run.figures.items()},
                        "diagnostics": run.diagnostics,
                    }
                    for run in runs
                },
            }
            for evaluation, runs in sets
        },
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.evaluate_matching", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="smaller sets (300 + 200 members); prints only")
    parser.add_argument("--members", type=int, help="real-set watchlist size (default 1000, quick 300)")
    parser.add_argument(
        "--generated-members", type=int, help="generated-set watchlist size (default 600, quick 200)"
    )
    parser.add_argument("--variants", type=int, default=10, help="positive variants per generated member")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="real_names.jsonl.gz")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="the service's settings file")
    parser.add_argument(
        "--engine", default="matchers", help="module exposing MatchIndex, PersonEntry, Thresholds"
    )
    parser.add_argument(
        "--top-k", type=int, default=RETRIEVAL_TOP_K, help="peers' retrieval candidates per query"
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes scoring the peers"
    )
    parser.add_argument("--sets", default="real,generated", help="which sets to run, comma-separated")
    parser.add_argument(
        "--no-peers",
        dest="peers",
        action="store_false",
        help="our engine only (the peers take minutes); for development, not for the published results",
    )
    parser.add_argument(
        "--output-dir", type=Path, help=f"where to write eval.md/.json (default {RESULTS}; quick: none)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the evaluation, print the report and write it unless --quick."""
    args = parse_args(argv)
    members = args.members or (300 if args.quick else 1000)
    generated_members = args.generated_members or (200 if args.quick else 600)
    settings = read_matching_settings(args.config)
    engine = importlib.import_module(args.engine)
    started = time.perf_counter()
    persons = load_persons(args.data)
    wanted = {name.strip() for name in args.sets.split(",")}
    sets: list[tuple[EvaluationSet, list[MatcherRun]]] = []
    if "real" in wanted:
        real = build_real_set(persons, members, args.seed)
        sets.append((real, evaluate_set(real, engine, settings, args.workers, args.top_k, args.peers)))
    if "generated" in wanted:
        generated = build_generated_set(source_persons(persons), generated_members, args.seed, args.variants)
        sets.append(
            (generated, evaluate_set(generated, engine, settings, args.workers, args.top_k, args.peers))
        )
    meta = {
        "run_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at the end",
        "seed": args.seed,
        "top_k": args.top_k,
        "seconds": round(time.perf_counter() - started, 1),
    }
    report = render_report(sets, engine, settings, meta)
    print(report)
    output_dir = args.output_dir or (None if args.quick else RESULTS)
    if output_dir is not None:
        written = write_results(output_dir, "eval", report, results_json(sets, settings, meta))
        log(f"wrote {written} and eval.json")
    log(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
