"""The evaluation end to end on made-up persons: every matcher is in the report, and no name leaks into it."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Callable

import pytest

from bench.evaluate_matching import MatchingSettings, evaluate_set, render_report, results_json
from bench.generated_set import SourcePerson, build_generated_set
from bench.real_set import RealPerson, build_real_set
from bench.synthetic_watchlist import make_watchlist

SETTINGS = MatchingSettings(alert=0.86, review=0.70, max_candidates=10)


@pytest.mark.slow
def test_report_compares_all_matchers_per_category_without_printing_a_name(
    made_up_persons: Callable[[int], list[RealPerson]],
) -> None:
    engine = importlib.import_module("matchers")
    real = build_real_set(made_up_persons(50), members=20, seed=1)
    sources = [
        SourcePerson(p.ru, p.uk, dt.date.fromisoformat(p.birth_date)) for p in make_watchlist(60, seed=9)
    ]
    generated = build_generated_set(sources, members=20, seed=1, variants_per_member=4)
    sets = [(s, evaluate_set(s, engine, SETTINGS, workers=1, top_k=3)) for s in (real, generated)]
    meta = {"run_at": "now", "machine": "test", "seed": 1, "top_k": 3}
    report = render_report(sets, engine, SETTINGS, meta)
    for key in ("ours", "nomenklatura", "rapidfuzz"):
        assert f"| {key} |" in report
    assert "| latin_name_only |" in report and "| initials |" in report
    assert "| namesake_born_20_years_apart |" in report
    dumped = json.dumps(results_json(sets, SETTINGS, meta), ensure_ascii=False)
    for evaluation, _ in sets:
        for member in evaluation.members:
            assert member.names[0] not in report and member.names[0] not in dumped
        for query in evaluation.queries:
            assert query.name not in dumped
