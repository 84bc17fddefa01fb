"""Wilson intervals against published values, quantiles against numpy, and the Rate text."""

from __future__ import annotations

import numpy as np
import pytest

from harness.repro import Rate, distribution, quantile, wilson

# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in Medicine
# 17:857-872, Table I, method 3 (Wilson score interval without continuity correction).
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]
# The edges: 0/n and n/n reach exactly 0 and 1, the other bound is (z²/n)/(1+z²/n).
EDGES = [
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (0, 30, 0.0, 0.1135),
    (30, 30, 0.8865, 1.0),
    (5, 10, 0.2366, 0.7634),
]


@pytest.mark.parametrize(("hits", "n", "low", "high"), NEWCOMBE + EDGES)
def test_wilson_matches_the_published_table(hits: int, n: int, low: float, high: float) -> None:
    got_low, got_high = wilson(hits, n)
    assert (round(got_low, 4), round(got_high, 4)) == (low, high)


def test_wilson_edges_are_exact_and_no_trial_means_no_knowledge() -> None:
    assert wilson(0, 7)[0] == 0.0
    assert wilson(7, 7)[1] == 1.0
    assert wilson(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(("hits", "n"), [(-1, 3), (4, 3), (0, -1)])
def test_wilson_refuses_impossible_counts(hits: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson(hits, n)


SAMPLES = [[5.0], [3.0, 1.0], [10.0, 20.0, 30.0, 40.0], [7.5, 1.0, 3.0, 9.0, 2.0, 11.0, 4.0],
           [float(v) for v in range(1, 31)]]


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("q", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_quantile_is_numpys_linear_interpolation(sample: list[float], q: float) -> None:
    assert quantile(sample, q) == pytest.approx(float(np.quantile(sample, q)))


def test_distribution_of_a_sample_and_of_nothing() -> None:
    dist = distribution([300.0, 900.0, 600.0, 450.0])
    assert dist is not None
    assert (dist.count, dist.min, dist.median, dist.max) == (4, 300.0, 525.0, 900.0)
    assert dist.p90 == pytest.approx(810.0)
    assert distribution([]) is None
    with pytest.raises(ValueError):
        quantile([], 0.5)


@pytest.mark.parametrize(("rate", "text"), [
    (Rate(30, 30), "30/30 = 100.0 %  [88.6 %, 100.0 %]"),
    (Rate(0, 30), "0/30 = 0.0 %  [0.0 %, 11.4 %]"),
    (Rate(12, 30), "12/30 = 40.0 %  [24.6 %, 57.7 %]"),
    (Rate(0, 0), "no runs with a verdict"),
])
def test_rate_text(rate: Rate, text: str) -> None:
    assert rate.text() == text


def test_rate_contains_the_probability_it_estimates() -> None:
    assert Rate(30, 30).contains(1.0) and not Rate(30, 30).contains(0.8)
    assert Rate(12, 30).contains(0.5) and not Rate(12, 30).contains(0.2)
