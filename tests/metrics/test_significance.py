"""Paired tests: hand cases, references (statsmodels, exact enumeration), type-I error rates."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest

from evalsuite.metrics.significance import (
    PAIRED_TESTS,
    cochrans_q_test,
    group_stats,
    holm_adjust,
    mcnemar_test,
    paired_bootstrap_ece_test,
    paired_bootstrap_test,
    paired_permutation_test,
    pairwise_tests,
    welch_seed_test,
)


def discordant(b: int, c: int, both: int = 5, neither: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Correctness vectors with b examples only A gets right and c only B gets right."""
    a = np.r_[np.ones(b), np.zeros(c), np.ones(both), np.zeros(neither)].astype(bool)
    bb = np.r_[np.zeros(b), np.ones(c), np.ones(both), np.zeros(neither)].astype(bool)
    return a, bb


# -- hand cases --
def test_mcnemar_exact_hand_case() -> None:
    result = mcnemar_test(*discordant(10, 2))
    assert result.details == {"only_a_correct": 10, "only_b_correct": 2}
    # 2 * P(Binomial(12, 1/2) <= 2) = 2 * (1 + 12 + 66) / 4096
    assert result.p_value == pytest.approx(0.0385742, abs=1e-7)
    assert result.p_value == pytest.approx(2 * 79 / 4096)


def test_mcnemar_without_discordant_pairs_is_p_one() -> None:
    assert mcnemar_test(*discordant(0, 0)).p_value == 1.0


def test_holm_hand_case() -> None:
    assert holm_adjust([0.01, 0.04, 0.03, 0.005]).tolist() == pytest.approx(
        [0.03, 0.06, 0.06, 0.02]
    )


def test_cochrans_q_hand_case() -> None:
    table = [[1, 1, 1, 1, 0, 1], [1, 1, 1, 0, 0, 0], [1, 0, 1, 0, 0, 0]]
    # Q = (k-1)(k sum C_j^2 - N^2) / (k N - sum R_i^2) = 2 (3*38 - 100) / (30 - 24)
    result = cochrans_q_test(table)
    assert result.statistic == pytest.approx(28 / 6)
    assert result.df == 2
    assert cochrans_q_test([[1, 0, 1], [1, 0, 1]]).p_value == 1.0  # no disagreement at all


def test_group_stats_and_welch_by_hand() -> None:
    a, b = group_stats("a", [0.70, 0.72, 0.74]), group_stats("b", [0.60, 0.61, 0.65, 0.62])
    assert a.mean == pytest.approx(0.72) and a.sd == pytest.approx(0.02)
    va, vb = np.var(a.values, ddof=1) / 3, np.var(b.values, ddof=1) / 4
    result = welch_seed_test(a, b)
    assert result.details["statistic"] == pytest.approx((a.mean - b.mean) / np.sqrt(va + vb))
    assert result.difference == pytest.approx(a.mean - b.mean)
    assert group_stats("one", [0.5]).sd is None
    with pytest.raises(ValueError, match="at least two runs per group; 'one' has 1"):
        welch_seed_test(group_stats("one", [0.5]), b)


# -- references --
def test_permutation_test_equals_exact_sign_flip_enumeration() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.random(12) < 0.7, rng.random(12) < 0.4
    d = a.astype(float) - b.astype(float)
    observed = d.mean()
    flips = np.array(list(product([1.0, -1.0], repeat=d.size)))
    exact = np.mean(np.abs(flips @ d / d.size) >= abs(observed) - 1e-12)
    result = paired_permutation_test(a, b, n_resamples=2**12, rng=0)
    assert result.difference == pytest.approx(observed)
    assert result.p_value == pytest.approx(exact)


def test_multinomial_bootstrap_has_the_index_bootstrap_distribution() -> None:
    # The multinomial shortcut must give the same distribution as resampling example indices.
    rng = np.random.default_rng(1)
    a, b = rng.random(300) < 0.75, rng.random(300) < 0.7
    fast = paired_bootstrap_test(a, b, n_resamples=20_000, rng=2)
    rows = np.random.default_rng(3).integers(0, a.size, size=(20_000, a.size))
    slow = a[rows].mean(axis=1) - b[rows].mean(axis=1)
    assert (fast.low, fast.high) == pytest.approx(
        tuple(np.quantile(slow, [0.025, 0.975])), abs=0.01
    )
    slow_p = np.mean(np.abs(slow - fast.difference) >= abs(fast.difference) - 1e-12)
    assert fast.p_value == pytest.approx(slow_p, abs=0.02)


def test_ece_bootstrap_matches_a_loop_over_resamples() -> None:
    from evalsuite.metrics.calibration import expected_calibration_error

    rng = np.random.default_rng(4)
    pa, pb = rng.random(150), rng.random(150) ** 0.5
    ya, yb = rng.random(150) < pa, rng.random(150) < pa
    fast = paired_bootstrap_ece_test(pa, ya, pb, yb, n_resamples=300, rng=9)
    rows = np.random.default_rng(9).integers(0, 150, size=(300, 150))
    slow = [
        expected_calibration_error(pa[r], ya[r]) - expected_calibration_error(pb[r], yb[r])
        for r in rows
    ]
    observed = expected_calibration_error(pa, ya) - expected_calibration_error(pb, yb)
    assert fast.difference == pytest.approx(observed)
    assert (fast.low, fast.high) == pytest.approx(tuple(np.quantile(slow, [0.025, 0.975])))


# -- behaviour --
def test_bootstrap_is_seeded_and_its_interval_covers_the_difference() -> None:
    a, b = discordant(30, 10, both=50, neither=10)
    first = paired_bootstrap_test(a, b, rng=11)
    assert first == paired_bootstrap_test(a, b, rng=11)
    assert first.difference == pytest.approx(20 / 100)
    assert first.low < first.difference < first.high
    assert first.p_value < 0.01


def test_identical_systems_give_p_one_everywhere() -> None:
    a = np.random.default_rng(0).random(50) < 0.6
    for name, test in PAIRED_TESTS.items():
        result = test(a, a, n_resamples=999, rng=0)
        assert result.difference == 0.0, name
        assert result.p_value == pytest.approx(1.0), name
    conf = np.random.default_rng(1).random(50)
    assert paired_bootstrap_ece_test(conf, a, conf, a, n_resamples=200, rng=0).p_value == 1.0


def test_ece_difference_detects_an_overconfident_system() -> None:
    rng = np.random.default_rng(5)
    conf = rng.random(2000)
    hit = rng.random(2000) < conf
    result = paired_bootstrap_ece_test(conf**0.3, hit, conf, hit, n_resamples=500, rng=0)
    assert result.difference > 0.1 and result.low > 0 and result.p_value < 0.01


def test_pairwise_tests_are_holm_adjusted_together() -> None:
    rng = np.random.default_rng(6)
    table = np.vstack([rng.random(200) < p for p in (0.5, 0.6, 0.8)])
    rows = pairwise_tests(["a", "b", "c"], table, test="mcnemar")
    assert [(r.a, r.b) for r in rows] == [("a", "b"), ("a", "c"), ("b", "c")]
    raw = [mcnemar_test(table[i], table[j]).p_value for i, j in ((0, 1), (0, 2), (1, 2))]
    assert [r.p_holm for r in rows] == pytest.approx(holm_adjust(raw).tolist())
    with pytest.raises(ValueError, match="unknown test 'z'; choose from bootstrap, mcnemar"):
        pairwise_tests(["a", "b"], table[:2], test="z")


# -- type-I error ----------------------------------------------------------------------------------
N_SIMULATIONS = 500


def equally_accurate_pairs(rng: np.random.Generator, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """500 simulated pairs of systems with the same accuracy (0.7), partly correlated."""
    a = rng.random((N_SIMULATIONS, n)) < 0.7
    fresh = rng.random((N_SIMULATIONS, n)) < 0.7
    b = np.where(rng.random((N_SIMULATIONS, n)) < 0.3, a, fresh)
    return a, b


def test_bootstrap_type_one_error_is_near_alpha() -> None:
    a, b = equally_accurate_pairs(np.random.default_rng(100))
    rng = np.random.default_rng(101)
    p = np.array(
        [
            paired_bootstrap_test(x, y, n_resamples=2000, rng=rng).p_value
            for x, y in zip(a, b, strict=True)
        ]
    )
    assert 0.02 <= np.mean(p < 0.05) <= 0.08


def test_mcnemar_type_one_error_is_near_alpha() -> None:
    a, b = equally_accurate_pairs(np.random.default_rng(200))
    p = np.array([mcnemar_test(x, y).p_value for x, y in zip(a, b, strict=True)])
    assert 0.02 <= np.mean(p < 0.05) <= 0.08


def test_tests_have_power_against_a_real_difference() -> None:
    rng = np.random.default_rng(300)
    a, b = rng.random((50, 400)) < 0.75, rng.random((50, 400)) < 0.6
    assert np.mean([mcnemar_test(x, y).p_value < 0.05 for x, y in zip(a, b, strict=True)]) > 0.9
    assert (
        np.mean(
            [
                paired_bootstrap_test(x, y, n_resamples=1000, rng=rng).p_value < 0.05
                for x, y in zip(a, b, strict=True)
            ]
        )
        > 0.9
    )


# -- errors --
def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="same length, got 2 and 1"):
        mcnemar_test([1, 0], [1])
    with pytest.raises(ValueError, match="correct_b must hold 0/1"):
        paired_bootstrap_test([1, 0], [1, 3])
    with pytest.raises(ValueError, match="empty"):
        paired_permutation_test([], [])
    with pytest.raises(ValueError, match="n_resamples must be positive"):
        paired_bootstrap_test([1], [0], n_resamples=0)
    with pytest.raises(ValueError, match="confidence in both runs"):
        paired_bootstrap_ece_test([0.5, np.nan], [1, 0], [0.5, 0.5], [1, 0])
    with pytest.raises(ValueError, match=r"shape \(n_systems >= 2, n\)"):
        cochrans_q_test([[1, 0, 1]])
    with pytest.raises(ValueError, match="group 'g' has no runs"):
        group_stats("g", [])


# -- p-values are never below 1 / (B + 1); decisions --
@pytest.mark.parametrize("seed", range(40))
def test_bootstrap_p_value_is_never_below_one_over_b_plus_one(seed: int) -> None:
    # Issue 14: `compare` printed "p = 0.0e+00" for a bootstrap; a resampling p-value is never 0.
    rng = np.random.default_rng(seed)
    n, b = int(rng.integers(5, 300)), int(rng.integers(1, 400))
    a = rng.random(n) < rng.uniform(0.5, 1.0)
    c = rng.random(n) < rng.uniform(0.0, 0.5)
    p = paired_bootstrap_test(a, c, n_resamples=b, rng=seed).p_value
    assert 1 / (b + 1) <= p <= 1.0
    conf = rng.random((2, n))
    p_ece = paired_bootstrap_ece_test(conf[0], a, conf[1], c, n_resamples=b, rng=seed).p_value
    assert 1 / (b + 1) <= p_ece <= 1.0
    p_perm = paired_permutation_test(a, c, n_resamples=b, rng=seed).p_value
    assert 1 / (b + 1) <= p_perm <= 1.0


def test_an_overwhelming_difference_gets_exactly_the_floor() -> None:
    a, b = discordant(200, 0)
    result = paired_bootstrap_test(a, b, n_resamples=999, rng=0)
    assert result.p_value == pytest.approx(1 / 1000)
    assert result.significant and result.decision() == "significant at alpha = 0.05"
    assert result.n == a.size and result.as_dict()["n"] == a.size


@pytest.mark.parametrize("name", sorted(PAIRED_TESTS))
def test_every_test_states_its_decision_and_shared_examples(name: str) -> None:
    a, b = discordant(3, 2)
    result = PAIRED_TESTS[name](a, b, n_resamples=500, rng=0, alpha=0.1)
    assert result.n == a.size and result.alpha == 0.1
    assert not result.significant
    assert result.decision() == "not significant at alpha = 0.1"
    assert result.significant_at(0.99) is (result.p_value <= 0.99)
    assert result.as_dict()["significant"] is False


def test_decision_refuses_a_bad_alpha() -> None:
    result = mcnemar_test(*discordant(3, 2))
    with pytest.raises(ValueError, match="alpha must be in"):
        result.decision(1.5)
