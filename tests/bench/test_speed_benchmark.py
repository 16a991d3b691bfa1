"""The speed benchmark on a tiny synthetic watchlist: every figure is measured and the report says it."""

from __future__ import annotations

import pytest

from bench.matcher_speed import parse_args, percentile, render_markdown, run


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0


@pytest.mark.slow
def test_a_small_run_measures_every_figure_and_reports_it() -> None:
    args = parse_args(["--persons", "300", "--queries", "30", "--many", "40", "--exhaustive-queries", "20"])
    result = run(args)
    figures = result["figures"]
    assert result["names"] == 900
    assert figures["screen"]["median_ms"] > 0 and figures["screen_many_s"] > 0
    blocking = figures["blocking"]
    assert blocking["exhaustive_true_matches"] > 0
    assert 0.0 <= blocking["recall_vs_exhaustive"] <= blocking["blocking_recall"] <= 1.0
    report = render_markdown(result)
    assert "| `screen` p99 |" in report and "recall vs exhaustive" in report
