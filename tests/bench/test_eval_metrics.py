"""The evaluation's figures: what counts as a true alert, a false alert, a review hit and a top-1 answer."""

from __future__ import annotations

import pytest

from bench.metrics import Hit, Outcome, hits_from_scores, summarise, summarise_by_category


def test_an_alert_on_the_expected_person_is_a_true_alert_and_counts_for_recall() -> None:
    figures = summarise(
        [
            Outcome("latin", 1, (Hit(1, 0.95, "alert"),)),
            Outcome("latin", 2, (Hit(2, 0.75, "review"),)),
            Outcome("latin", 3, ()),
        ]
    )
    assert figures.true_alerts == 1
    assert figures.alert_recall == pytest.approx(1 / 3)
    assert figures.review_recall == pytest.approx(2 / 3)
    assert figures.alert_precision == 1.0


def test_an_alert_on_another_person_is_false_even_when_the_query_is_a_positive() -> None:
    figures = summarise([Outcome("latin", 1, (Hit(7, 0.97, "alert"), Hit(1, 0.91, "alert")))])
    assert (figures.true_alerts, figures.false_alerts) == (1, 1)
    assert figures.alert_precision == 0.5
    assert figures.top1_accuracy == 0.0  # the wrong person came first


def test_false_alerts_per_thousand_count_negative_queries_that_raised_any_alert() -> None:
    outcomes = [Outcome("namesake", None, (Hit(1, 0.9, "alert"), Hit(2, 0.88, "alert")))]
    outcomes += [Outcome("namesake", None, (Hit(1, 0.8, "review"),))] * 3
    figures = summarise(outcomes)
    assert figures.false_alerts == 2
    assert figures.false_alerts_per_1000 == 250.0
    assert figures.alert_recall is None and figures.alert_precision == 0.0


def test_f1_is_the_harmonic_mean_of_alert_precision_and_recall() -> None:
    outcomes = [
        Outcome("a", 1, (Hit(1, 0.9, "alert"),)),
        Outcome("a", 2, ()),
        Outcome("b", None, (Hit(3, 0.9, "alert"),)),
    ]
    figures = summarise(outcomes)
    precision, recall = 0.5, 0.5
    assert figures.f1 == pytest.approx(2 * precision * recall / (precision + recall))


def test_figures_are_given_per_category_and_overall() -> None:
    outcomes = [Outcome("a", 1, (Hit(1, 0.9, "alert"),)), Outcome("b", 2, ())]
    figures = summarise_by_category(outcomes)
    assert list(figures) == ["a", "b", "overall"]
    assert figures["a"].alert_recall == 1.0 and figures["b"].alert_recall == 0.0
    assert figures["overall"].alert_recall == 0.5


def test_a_scorer_s_scores_become_hits_like_an_index_returns_them() -> None:
    hits = hits_from_scores([(1, 0.65), (2, 0.9), (3, 0.72)], alert=0.86, review=0.7)
    assert hits == (Hit(2, 0.9, "alert"), Hit(3, 0.72, "review"))
