"""MI you can trust: half-sample intervals, known-truth bias checks, contradiction warnings."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from evalsuite.metrics.critics import CriticConfig
from evalsuite.metrics.mi_bootstrap import mutual_information_with_interval
from evalsuite.metrics.mi_checks import contradictions
from evalsuite.metrics.mi_truth import (
    BiasCheck,
    choose_ksg_components,
    correlated_gaussians,
    known_truth_bias,
    label_mutual_information,
)
from evalsuite.metrics.mutual_info import (
    MIConfig,
    MIEstimate,
    gaussian_mutual_information,
    ksg_mutual_information,
)

FAST = MIConfig(n_seeds=1, critic=CriticConfig(steps=200))


def one_d(n: int, seed: int, rho: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return x, rho * x + np.sqrt(1 - rho**2) * rng.normal(size=n)


def estimate(name: str, value: float, low: float, high: float, kind: str, **details) -> MIEstimate:
    return MIEstimate(name, value, low, high, n=500, kind=kind, caveat="", details=details)


# -- simulated truth --
def test_simulated_gaussians_have_the_stated_mi() -> None:
    # Reference: the Gaussian MI from the sample covariance of a large sample,
    # 1/2 (log det Sx + log det Sy - log det S), which does not know how the data were built.
    sample = correlated_gaussians(200_000, 12, 10, mi=1.5, signal_dims=4, rng=0)
    joint = np.cov(np.hstack([sample.x, sample.y]).T)
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    reference = 0.5 * (logdet(joint[:12, :12]) + logdet(joint[12:, 12:]) - logdet(joint))
    assert sample.mi == pytest.approx(1.5, abs=1e-12)
    assert reference == pytest.approx(1.5, abs=0.01)


def test_label_mutual_information_matches_monte_carlo() -> None:
    rho = 0.7
    rng = np.random.default_rng(0)
    u = rng.normal(size=400_000)
    v = rho * u + np.sqrt(1 - rho**2) * rng.normal(size=u.size)
    p_pos = norm.cdf(rho * v / np.sqrt(1 - rho**2))
    monte_carlo = np.mean(np.log(np.where(u > 0, p_pos, 1 - p_pos)) + np.log(2))
    assert label_mutual_information(rho) == pytest.approx(monte_carlo, abs=3e-3)


def test_bias_check_finds_ksg_unbiased_in_one_dimension_and_biased_when_wide() -> None:
    narrow = known_truth_bias("ksg", n=1000, dx=1, dy=1, mi=0.5, signal_dims=1, replicates=3)
    assert abs(narrow.bias) < 0.05
    wide = known_truth_bias("ksg", n=300, dx=64, dy=64, mi=2.0, signal_dims=8, replicates=2)
    assert wide.bias < -0.5  # PCA to 4+4 of 64 dims, 300 pairs: far below 2 nats
    assert wide.as_dict()["ksg_components"] == 4


def test_ksg_components_are_the_least_biased_on_the_grid() -> None:
    chosen, checks = choose_ksg_components(
        n=300, dx=32, dy=32, mi=1.0, grid=(1, 4), signal_dims=4, replicates=2
    )
    biases = {c.settings["ksg_components"]: abs(c.bias) for c in checks}
    assert set(biases) == {1, 4} and chosen == min(biases, key=biases.get)
    assert chosen == 4  # one component of four signal directions loses most of the MI


def test_bias_warning_follows_the_coverage_it_costs() -> None:
    check = BiasCheck("ksg", 500, 128, 128, 2.0, (1.0, 1.0), 8, {})
    assert check.coverage(100.0) == pytest.approx(0.95, abs=1e-3)
    z = norm.ppf(0.975)  # half-width z * 0.5: sigma 0.5, so a bias of 1 is 2 sigma
    expected = norm.cdf(z - 2) - norm.cdf(-z - 2)
    assert check.coverage(z * 0.5) == pytest.approx(expected)
    assert "covers the truth only about 48% of the time" in check.warning(z * 0.5)
    assert "biased low by 1.00 nats" in check.warning(z * 0.5)
    assert check.warning(100.0) is None


# -- half-sample intervals --
def test_half_sample_spread_matches_the_spread_across_independent_samples() -> None:
    # The claim the interval rests on: the sd of half-sample estimates equals the sd of the
    # full-sample estimate over independent samples of size n.
    values, half_sds = [], []
    for seed in range(20):
        x, y = one_d(400, seed)
        values.append(ksg_mutual_information(x, y).value)
        e = mutual_information_with_interval("ksg", x, y, n_resamples=40, rng=seed)
        half_sds.append(e.details["interval"]["sd"])
    ratio = np.mean(half_sds) / np.std(values, ddof=1)
    assert 0.6 < ratio < 1.6


def test_ksg_interval_covers_the_truth_where_ksg_is_unbiased() -> None:
    truth = gaussian_mutual_information(0.8, 1)
    covered = [
        mutual_information_with_interval("ksg", *one_d(400, s), n_resamples=40, rng=s).low
        <= truth
        <= mutual_information_with_interval("ksg", *one_d(400, s), n_resamples=40, rng=s).high
        for s in range(20)
    ]
    assert np.mean(covered) >= 0.8


def test_interval_is_seeded_labelled_and_replaces_the_seed_range() -> None:
    sample = correlated_gaussians(200, 16, 16, mi=1.0, signal_dims=2, rng=0)
    first = mutual_information_with_interval(
        "infonce", sample.x, sample.y, config=FAST, n_resamples=3, rng=1
    )
    again = mutual_information_with_interval(
        "infonce", sample.x, sample.y, config=FAST, n_resamples=3, rng=1
    )
    assert (first.low, first.value, first.high) == (again.low, again.value, again.high)
    assert first.low < first.value < first.high
    info = first.as_dict()["interval"]
    assert info["method"] == "half-sample bootstrap over examples"
    assert (info["n_resamples"], info["resample_size"], info["level"]) == (3, 100, 0.95)
    assert "seed_values" in first.details


def test_probe_interval_resamples_labels_with_the_pairs() -> None:
    sample = correlated_gaussians(300, 16, 16, mi=1.0, signal_dims=2, rng=0)
    e = mutual_information_with_interval(
        "probe", sample.x, sample.y, labels=sample.labels, n_resamples=5, rng=0
    )
    assert e.kind == "lower bound" and e.low < e.value < e.high


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "bogus"}, "unknown estimator 'bogus'; choose from ksg"),
        ({"name": "ksg", "n_resamples": 1}, "n_resamples must be at least 2, got 1"),
        ({"name": "ksg", "alpha": 0.0}, r"alpha must be in \(0, 1\), got 0.0"),
    ],
)
def test_interval_errors(kwargs: dict, message: str) -> None:
    x, y = one_d(50, 0)
    with pytest.raises(ValueError, match=message):
        mutual_information_with_interval(x=x, y=y, **kwargs)


# -- contradictions --
def test_the_demo_contradictions_are_all_flagged() -> None:
    # Issue 14's demo numbers: KSG 2.05 below the InfoNCE lower bound 3.89, CLUB at 67.6 nats.
    ksg = estimate("ksg", 2.05, 1.95, 2.15, "estimate")
    nce = estimate("infonce", 3.89, 3.80, 3.98, "lower bound", log_n=np.log(150))
    club = estimate("club", 67.6, 60.0, 75.0, "upper bound")
    lines = contradictions([ksg, nce, club])
    assert any(
        line.startswith("infonce lower bound 3.89") and "above ksg" in line for line in lines
    )
    assert any(
        line.startswith("club upper bound 67.60") and "log n = 6.21" in line for line in lines
    )
    assert len(lines) == 2
    saturated = estimate("infonce", 4.7, 4.6, 4.8, "lower bound", log_n=np.log(128))
    assert any("saturates near its ceiling log N = 4.85" in x for x in contradictions([saturated]))


def test_consistent_estimates_give_no_warning() -> None:
    lines = contradictions(
        [
            estimate("ksg", 1.0, 0.9, 1.1, "estimate"),
            estimate("infonce", 0.8, 0.7, 0.95, "lower bound", log_n=np.log(128)),
            estimate("club", 1.5, 1.2, 1.8, "upper bound"),
        ]
    )
    assert lines == []


def test_upper_bound_below_a_lower_bound_and_a_label_ceiling() -> None:
    lines = contradictions(
        [
            estimate("nwj", 2.0, 1.8, 2.2, "lower bound"),
            estimate("club", 1.0, 0.8, 1.2, "upper bound"),
            estimate("probe", 0.9, 0.8, 1.0, "lower bound"),
        ],
        max_information=np.log(2),
        max_information_reason="the entropy of a binary label",
    )
    assert any("club upper bound 1.00" in line and "lies below nwj" in line for line in lines)
    assert any(
        line.startswith("probe lower bound 0.90") and "0.69 nats, the entropy of a binary" in line
        for line in lines
    )


def test_impossible_values_are_flagged() -> None:
    lines = contradictions(
        [
            estimate("infonce", 5.2, 5.0, 5.3, "lower bound", log_n=np.log(128)),
            estimate("nwj", -0.4, -0.6, -0.2, "lower bound"),
        ]
    )
    assert any("exceeds its own ceiling log N = 4.85" in line for line in lines)
    assert any(line.startswith("nwj lower bound -0.40") and "below 0" in line for line in lines)


def test_bias_checks_add_their_warning() -> None:
    ksg = estimate("ksg", 0.8, 0.7, 0.9, "estimate")
    check = BiasCheck("ksg", 500, 128, 128, 2.0, (0.75, 0.85), 8, {})
    lines = contradictions([ksg], bias_checks=[check])
    assert lines == [check.warning(0.1)] and "biased low by 1.20" in lines[0]


def test_every_interval_covers_the_truth_or_warns_at_width_128() -> None:
    # Issue 14 "must show", at the width scoring writes (d = 128), on a budget: fewer pairs,
    # resamples and training steps than bench/mi_truth.py (whose table is the full check).
    n, d, mi = 300, 128, 2.0
    sample = correlated_gaussians(n, d, d, mi=mi, signal_dims=8, rng=0)
    config = MIConfig(n_seeds=1, ksg_components=8, critic=CriticConfig(steps=200))
    for i, name in enumerate(("ksg", "infonce", "club", "probe")):
        e = mutual_information_with_interval(
            name, sample.x, sample.y, labels=sample.labels, config=config, n_resamples=4, rng=i
        )
        check = known_truth_bias(name, n=n, dx=d, dy=d, mi=mi, config=config, replicates=2, rng=i)
        truth = sample.label_mi if name == "probe" else sample.mi
        warning = check.warning((e.high - e.low) / 2)
        assert e.low <= truth <= e.high or warning, (name, e, check)
