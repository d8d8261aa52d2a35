"""Rates: Wilson intervals (hand case and statsmodels), counts, and the no-data case."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from evalsuite.metrics.rates import proportion_rate, rate_of


def test_wilson_hand_case() -> None:
    rate = proportion_rate(8, 10)
    assert (rate.value, rate.k, rate.n) == (0.8, 8, 10)
    assert rate.low == pytest.approx(0.490162, abs=1e-6)
    assert rate.high == pytest.approx(0.943318, abs=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_wilson_equals_statsmodels_and_covers_the_rate(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 500))
    k = int(rng.integers(0, n + 1))
    rate = proportion_rate(k, n)
    low, high = proportion_confint(k, n, method="wilson")
    assert (rate.low, rate.high) == pytest.approx((low, high))
    assert 0.0 <= rate.low <= k / n <= rate.high <= 1.0


def test_wilson_stays_inside_the_unit_interval_at_the_extremes() -> None:
    assert proportion_rate(0, 20).low == pytest.approx(0.0, abs=1e-12)
    assert proportion_rate(20, 20).high == pytest.approx(1.0, abs=1e-12)
    assert proportion_rate(20, 20).low > 0.8


def test_no_data_is_none_not_zero() -> None:
    assert proportion_rate(0, 0).as_dict() == {
        "value": None, "k": 0, "n": 0, "low": None, "high": None
    }  # fmt: skip


def test_rate_of_leaves_out_not_applicable_flags() -> None:
    rate = rate_of([True, None, False, True, None])
    assert (rate.k, rate.n) == (2, 3)


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match=r"0 <= k <= n, got k=5, n=3"):
        proportion_rate(5, 3)
    with pytest.raises(ValueError, match=r"got k=-1"):
        proportion_rate(-1, 3)


def test_wilson_interval_of_zero_out_of_five() -> None:
    # Issue 14: 0/5 must read [0.0, 43.4] %, not a symmetric "0.0 +- x".
    interval = proportion_rate(0, 5).interval
    assert interval is not None and interval.method == "wilson"
    assert interval.low == pytest.approx(0.0, abs=1e-12)
    # Wilson upper end at k=0: z^2 / (n + z^2) with z = 1.959964
    z2 = 1.959963984540054**2
    assert interval.high == pytest.approx(z2 / (5 + z2), abs=1e-12)
    assert round(100 * interval.high, 1) == 43.4


def test_no_data_has_no_interval() -> None:
    assert proportion_rate(0, 0).interval is None
