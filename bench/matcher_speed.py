"""The matcher speed benchmark: index build, memory, screen latency, screen_many throughput and blocking
recall against an exhaustive rapidfuzz cdist, on a synthetic watchlist (bench/synthetic_watchlist.py).

    python -m bench.matcher_speed            # 100,000 persons (300,000 names); writes bench/results/
    python -m bench.matcher_speed --quick    # 10,000 persons; prints only

Memory is the growth of the process's resident set (VmRSS) across the build, after a garbage collection,
with the entries already made: it counts the index and what it allocated, not the input list.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import rapidfuzz
from rapidfuzz import fuzz, process

from bench.evaluate_matching import DEFAULT_CONFIG, MatchingSettings, read_matching_settings
from bench.peers import ascii_fold
from bench.report import RESULTS, write_results
from bench.synthetic_watchlist import SyntheticPerson, hit_query, make_watchlist, miss_query
from watchlist.screening import build_long_lived

SEED = 20261124
TARGETS = {
    "screen_median_ms": 2.0,
    "screen_p99_ms": 10.0,
    "screen_many_100k_s": 60.0,
    "build_s": 30.0,
    "memory_mb": 500.0,
    "blocking_recall": 0.995,
}


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"[speed {dt.datetime.now(dt.UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def resident_mb() -> float:
    """The process's resident set size in MB (Linux /proc; ru_maxrss elsewhere, which is a peak)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine_info() -> dict[str, Any]:
    """What the benchmark ran on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gb = None
    try:
        memory_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "rapidfuzz": rapidfuzz.__version__,
        "platform": platform.platform(),
        # other work on the machine slows every figure; the load at the start says how busy it was
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


def canonical_function(engine: ModuleType) -> tuple[str, Callable[[str], str]]:
    """The engine's canonical form of a name: parse_name().canonical, else normalize_name, else ASCII."""
    try:
        names = importlib.import_module(f"{engine.__name__}.names")
        parse = names.parse_name
        return f"{engine.__name__}.names.parse_name(name).canonical", lambda text: str(parse(text).canonical)
    except (ImportError, AttributeError):
        pass
    try:
        normalize = importlib.import_module(f"{engine.__name__}.normalize").normalize_name
        return f"{engine.__name__}.normalize.normalize_name(name)", lambda text: str(normalize(text))
    except (ImportError, AttributeError):
        # an engine with no canonical form of its own is compared on ASCII-folded names
        return "bench.peers.ascii_fold(name)", ascii_fold


def measure_latency(index: Any, queries: Sequence[tuple[str, str | None]]) -> list[float]:
    """Time one screen call per query, in milliseconds."""
    timings = []
    for name, birth_date in queries:
        started = time.perf_counter()
        index.screen(name, birth_date)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def latency_summary(timings: Sequence[float]) -> dict[str, float]:
    """Median, p95 and p99 of a list of milliseconds."""
    return {
        "median_ms": round(statistics.median(timings), 3),
        "p95_ms": round(percentile(timings, 0.95), 3),
        "p99_ms": round(percentile(timings, 0.99), 3),
        "mean_ms": round(statistics.fmean(timings), 3),
    }


def blocking_recall(
    engine: ModuleType,
    index: Any,
    persons: Sequence[SyntheticPerson],
    queries: Sequence[tuple[str, SyntheticPerson]],
    settings: MatchingSettings,
) -> dict[str, Any]:
    """Compare the index with an exhaustive cdist over the same canonical names.

    The exhaustive comparison scores each query's canonical form against every canonical name with
    token_sort_ratio; its true matches are the queries whose source person has a name at or above the review
    threshold. Recall vs exhaustive is the share of those the index returns (name only, up to 100 candidates).
    Recall of blocking alone leaves out the pairs the engine's own scoring rejects (a one-person index of the
    source person does not return them), so it measures only what the blocking loses.
    """
    describe, canonical = canonical_function(engine)
    started = time.perf_counter()
    name_forms = [canonical(name) for person in persons for name in person.names]
    owners = np.repeat(np.arange(len(persons)), [len(person.names) for person in persons])
    canonicalised = time.perf_counter() - started
    position = {person.person_id: number for number, person in enumerate(persons)}
    cutoff = int(settings.review * 100)
    query_forms = [canonical(name) for name, _ in queries]
    started = time.perf_counter()
    found_by_exhaustive: list[bool] = []
    for start in range(0, len(queries), 200):
        scores = process.cdist(
            query_forms[start : start + 200],
            name_forms,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=cutoff,
            dtype=np.uint8,
            workers=-1,
        )
        for offset, row in enumerate(scores):
            source = position[queries[start + offset][1].person_id]
            found_by_exhaustive.append(bool(row[owners == source].max() >= cutoff))
    exhaustive_seconds = time.perf_counter() - started
    thresholds = engine.Thresholds(alert=settings.alert, review=settings.review)
    returned = scored = returned_scored = 0
    for (name, person), found in zip(queries, found_by_exhaustive, strict=True):
        if not found:
            continue
        got = any(match.person_id == person.person_id for match in index.screen(name, None, limit=100))
        returned += got
        alone = engine.MatchIndex.build(
            [engine.PersonEntry(person.person_id, person.names, person.birth_date)], thresholds
        )
        if alone.screen(name, None):
            scored += 1
            returned_scored += got
    true_matches = sum(found_by_exhaustive)
    return {
        "canonical_form": describe,
        "exhaustive_scorer": f"rapidfuzz.process.cdist(fuzz.token_sort_ratio, score_cutoff={cutoff})",
        "queries": len(queries),
        "canonicalise_names_s": round(canonicalised, 2),
        "exhaustive_s": round(exhaustive_seconds, 2),
        "exhaustive_ms_per_query": round(exhaustive_seconds * 1000 / max(1, len(queries)), 2),
        "exhaustive_true_matches": true_matches,
        "index_returned": returned,
        "recall_vs_exhaustive": round(returned / true_matches, 4) if true_matches else None,
        "engine_scores_them": scored,
        "blocking_recall": round(returned_scored / scored, 4) if scored else None,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run every measurement and return the results."""
    settings = read_matching_settings(args.config)
    engine = importlib.import_module(args.engine)
    rng = random.Random(f"{args.seed}:queries")
    log(f"making {args.persons} synthetic persons")
    persons = make_watchlist(args.persons, args.seed)
    entries = [engine.PersonEntry(p.person_id, p.names, p.birth_date) for p in persons]
    thresholds = engine.Thresholds(alert=settings.alert, review=settings.review)
    gc.collect()
    before = resident_mb()
    started = time.perf_counter()
    if engine.__name__ == "matchers":
        # as the service builds the index it loads: out of the garbage collector's way (gc.freeze)
        index = build_long_lived(entries, thresholds, settings.max_candidates)
    else:
        index = engine.MatchIndex.build(entries, thresholds, max_candidates=settings.max_candidates)
    build_seconds = time.perf_counter() - started
    gc.collect()
    memory = resident_mb() - before
    log(f"built in {build_seconds:.1f} s, {memory:.0f} MB")

    hits = [(p, hit_query(p, rng)) for p in rng.sample(persons, args.queries * 2 // 3)]
    misses = [miss_query(rng) for _ in range(args.queries - len(hits))]
    measure_latency(index, [query for _, query in hits[:50]])  # warm caches
    hit_timings = measure_latency(index, [query for _, query in hits])
    miss_timings = measure_latency(index, misses)
    log(f"screen: median {statistics.median(hit_timings + miss_timings):.2f} ms over {args.queries} queries")

    records = []
    for _ in range(args.many):
        if rng.random() < 0.2:
            records.append(hit_query(rng.choice(persons), rng))
        else:
            records.append(miss_query(rng))
    started = time.perf_counter()
    index.screen_many(records)
    many_seconds = time.perf_counter() - started
    log(f"screen_many of {args.many}: {many_seconds:.1f} s")

    sample = [(query[0], person) for person, query in hits[: args.exhaustive_queries]]
    blocking = blocking_recall(engine, index, persons, sample, settings)
    log(
        f"recall vs exhaustive: {blocking['recall_vs_exhaustive']}, "
        f"blocking alone {blocking['blocking_recall']}"
    )

    all_timings = hit_timings + miss_timings
    screen = latency_summary(all_timings)
    many_100k = many_seconds * 100_000 / args.many
    figures = {
        "build_s": round(build_seconds, 2),
        "memory_mb": round(memory, 1),
        "screen": screen,
        "screen_hits": latency_summary(hit_timings),
        "screen_misses": latency_summary(miss_timings),
        "screen_many_records": args.many,
        "screen_many_s": round(many_seconds, 3),
        "screen_many_100k_s": round(many_100k, 2),
        "blocking": blocking,
        "median_speedup_vs_exhaustive": round(blocking["exhaustive_ms_per_query"] / screen["median_ms"], 2)
        if screen["median_ms"]
        else None,
    }
    checks = {
        "screen_median_ms": screen["median_ms"] <= TARGETS["screen_median_ms"],
        "screen_p99_ms": screen["p99_ms"] <= TARGETS["screen_p99_ms"],
        "screen_many_100k_s": many_100k <= TARGETS["screen_many_100k_s"],
        "build_s": build_seconds <= TARGETS["build_s"] * args.persons / 100_000,
        "memory_mb": memory <= TARGETS["memory_mb"] * args.persons / 100_000,
        "blocking_recall": (blocking["recall_vs_exhaustive"] or 0) >= TARGETS["blocking_recall"],
    }
    return {
        "run_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(),
        "engine": args.engine,
        # mypyc-compiled modules or the Python sources (README, "The compiled matcher")
        "compiled": bool(getattr(engine, "compiled", lambda: False)()),
        "thresholds": {"alert": settings.alert, "review": settings.review},
        "persons": args.persons,
        "names": sum(len(p.names) for p in persons),
        "queries": {"hits": len(hits), "misses": len(misses)},
        "memory_measure": "VmRSS growth across MatchIndex.build, after gc, entries made beforehand",
        "figures": figures,
        "targets": TARGETS,
        "targets_met": checks,
    }


def render_markdown(result: dict[str, Any]) -> str:
    """The benchmark's results as Markdown."""
    f = result["figures"]
    b = f["blocking"]
    met = result["targets_met"]
    machine = result["machine"]

    def mark(key: str) -> str:
        return "met" if met[key] else "**not met**"

    lines = [
        "# Matcher speed",
        "",
        f"Run {result['run_at']} on {machine['cpu']} ({machine['cpus']} CPUs, {machine['memory_gb']} GB), "
        f"load average {machine['load_average_1m']} at the start, Python {machine['python']}, "
        f"rapidfuzz {machine['rapidfuzz']}; engine `{result['engine']}` "
        f"({'compiled with mypyc' if result.get('compiled') else 'Python sources'}), "
        "thresholds "
        f"alert {result['thresholds']['alert']} / review {result['thresholds']['review']}.",
        "",
        f"Synthetic watchlist of {result['persons']:,} made-up persons ({result['names']:,} names: "
        "Ukrainian and "
        "Russian Cyrillic and one Latin form each; bench/synthetic_watchlist.py). Queries: "
        f"{result['queries']['hits']:,} hits (another transliteration, order, 30% with a surname typo, "
        "half with "
        f"a birth date) and {result['queries']['misses']:,} misses (made-up persons not on the list).",
        "The index is built as the service builds the one it loads (`watchlist.screening.build_long_lived`): "
        "garbage collected first, the build with Python's cyclic collector paused, the index then frozen "
        "out of it (`gc.freeze`).",
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
        f"| index build | {f['build_s']:.1f} s | <= {TARGETS['build_s']:.0f} s (100k) | {mark('build_s')} |",
        f"| index memory ({result['memory_measure']}) | {f['memory_mb']:.0f} MB "
        f"| <= {TARGETS['memory_mb']:.0f} MB "
        f"(100k) | {mark('memory_mb')} |",
        f"| `screen` median | {f['screen']['median_ms']:.2f} ms | <= {TARGETS['screen_median_ms']} ms "
        f"| {mark('screen_median_ms')} |",
        f"| `screen` p95 | {f['screen']['p95_ms']:.2f} ms | | |",
        f"| `screen` mean (what throughput follows) | {f['screen']['mean_ms']:.2f} ms | | |",
        f"| `screen` p99 | {f['screen']['p99_ms']:.2f} ms | <= {TARGETS['screen_p99_ms']} ms "
        f"| {mark('screen_p99_ms')} |",
        f"| `screen` median hits / misses | {f['screen_hits']['median_ms']:.2f} / "
        f"{f['screen_misses']['median_ms']:.2f}"
        " ms | | |",
        f"| `screen_many` {f['screen_many_records']:,} records (20% hits) | {f['screen_many_s']:.1f} s "
        f"(= {f['screen_many_100k_s']:.1f} s per 100k) | <= {TARGETS['screen_many_100k_s']:.0f} s per 100k "
        f"| {mark('screen_many_100k_s')} |",
        f"| exhaustive cdist, per query | {b['exhaustive_ms_per_query']:.1f} ms (2 workers) | | |",
        f"| exhaustive per query / `screen` median | {f['median_speedup_vs_exhaustive']} | | |",
        f"| recall vs exhaustive ({b['exhaustive_true_matches']} of {b['queries']} hit queries found >= "
        "review by "
        f"the exhaustive comparison) | {b['recall_vs_exhaustive']} | >= {TARGETS['blocking_recall']} "
        f"| {mark('blocking_recall')} |",
        f"| recall of blocking alone ({b['engine_scores_them']} pairs the engine's scoring accepts) "
        f"| {b['blocking_recall']} | | |",
        "",
        f"Exhaustive comparison: {b['exhaustive_scorer']} over `{b['canonical_form']}` of all names. "
        "Recall vs exhaustive: of the queries whose source person the exhaustive comparison finds at or "
        "above the review threshold, the share `screen` (name only, up to 100 candidates) returns. Blocking "
        "alone: the same, counting only the pairs that a one-person index of the source person returns, so "
        "that scoring differences between token_sort_ratio and the engine are left out.",
        "",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.matcher_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 persons, fewer queries; prints only")
    parser.add_argument("--persons", type=int, help="watchlist size (default 100000, quick 10000)")
    parser.add_argument("--queries", type=int, help="single screen calls timed (default 3000, quick 600)")
    parser.add_argument("--many", type=int, help="records for screen_many (default 100000, quick 10000)")
    parser.add_argument(
        "--exhaustive-queries", type=int, help="hit queries for blocking recall (default 1000)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument(
        "--engine", default="matchers", help="module exposing MatchIndex, PersonEntry, Thresholds"
    )
    parser.add_argument(
        "--output-dir", type=Path, help=f"where to write matcher-speed.md/.json (default {RESULTS})"
    )
    args = parser.parse_args(argv)
    args.persons = args.persons or (10_000 if args.quick else 100_000)
    args.queries = args.queries or (600 if args.quick else 3000)
    args.many = args.many or (10_000 if args.quick else 100_000)
    args.exhaustive_queries = args.exhaustive_queries or (200 if args.quick else 1000)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print it and write the results unless --quick."""
    args = parse_args(argv)
    result = run(args)
    report = render_markdown(result)
    print(report)
    output_dir = args.output_dir or (None if args.quick else RESULTS)
    if output_dir is not None:
        log(f"wrote {write_results(output_dir, 'matcher-speed', report, result)} and .json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
