"""Calibration: hand cases, agreement with netcal and relplot, properties over random inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import relplot
from netcal.metrics import ECE, MCE, MMCE

from evalsuite.metrics.calibration import (
    brier_score_loss,
    classwise_calibration_error,
    expected_calibration_error,
    expected_calibration_error_interval,
    maximum_calibration_error,
    maximum_mean_calibration_error,
    reliability_curve,
    selective_prediction_curve,
    smooth_calibration_error,
)

CONF = [0.9] * 4 + [0.6] * 6
HIT = [1, 1, 1, 0, 1, 0, 0, 1, 0, 0]


def random_predictions(seed: int, n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    prob = rng.random(n)
    hit = (rng.random(n) < prob**1.5).astype(int)  # miscalibrated on purpose
    return prob, hit


def netcal(metric: type, prob: np.ndarray, hit: np.ndarray, **kwargs: object) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(metric(**kwargs).measure(prob, hit))


# -- hand-computed cases --
def test_ece_and_mce_hand_case() -> None:
    # bin [0.9, 1]: acc 3/4, conf .9, gap .15; bin [0.6, 0.7): acc 2/6, conf .6,
    # gap .2667; ECE = .4 * .15 + .6 * .26667 = 0.22; MCE = 0.266667
    assert expected_calibration_error(CONF, HIT, n_bins=10) == pytest.approx(0.22, abs=1e-12)
    assert maximum_calibration_error(CONF, HIT, n_bins=10) == pytest.approx(0.266667, abs=1e-6)


def test_two_bin_hand_case() -> None:
    assert expected_calibration_error(
        [0.25, 0.25, 0.75, 0.75], [0, 0, 1, 1], n_bins=2
    ) == pytest.approx(0.25)


def test_reliability_curve_marks_empty_bins() -> None:
    curve = reliability_curve(CONF, HIT, n_bins=10)
    assert curve.counts.tolist() == [0, 0, 0, 0, 0, 0, 6, 0, 0, 4]
    assert np.isnan(curve.accuracy[curve.counts == 0]).all()
    assert curve.accuracy[6] == pytest.approx(2 / 6)
    assert curve.confidence[9] == pytest.approx(0.9)
    as_json = curve.as_dict()
    assert as_json["accuracy"][0] is None and as_json["counts"][9] == 4


def test_brier_hand_case() -> None:
    # (0.1^2 * 3 + 0.9^2) * 4/10 + (0.4^2 * 2 + 0.6^2 * 4) / 10
    expected = (3 * 0.01 + 0.81 + 2 * 0.16 + 4 * 0.36) / 10
    assert brier_score_loss(CONF, HIT) == pytest.approx(expected)


def test_mmce_matches_a_hand_computation() -> None:
    # two predictions: r = (0.3, 0.8), y = (1, 0): a = (0.7, -0.8), k(0.3, 0.8) = exp(-0.5/0.4)
    k = np.exp(-0.5 / 0.4)
    by_hand = np.sqrt(0.7**2 + 0.8**2 + 2 * 0.7 * -0.8 * k) / 2
    assert maximum_mean_calibration_error([0.3, 0.8], [1, 0]) == pytest.approx(by_hand)


@pytest.mark.parametrize("seed", range(5))
def test_mmce_equals_the_quadratic_definition(seed: int) -> None:
    prob, hit = random_predictions(seed, n=300)
    prob[:20] = prob[20]  # ties must not matter
    a = hit - prob
    kernel = np.exp(-np.abs(prob[:, None] - prob[None, :]) / 0.4)
    direct = np.sqrt(a @ kernel @ a) / prob.size
    assert maximum_mean_calibration_error(prob, hit) == pytest.approx(direct, rel=1e-10)


def test_mmce_agrees_with_netcal_above_one_half() -> None:
    rng = np.random.default_rng(3)
    prob = 0.5 + 0.5 * rng.random(400)
    hit = (rng.random(400) < prob).astype(int)
    assert maximum_mean_calibration_error(prob, hit) == pytest.approx(
        netcal(MMCE, prob, hit), rel=1e-10
    )


def test_netcal_mmce_misreads_confidences_below_one_half() -> None:
    # Pins why MMCE is hand-written: netcal turns a 1-D confidence of 0.4 into a prediction of
    # class 0, so a correct answer held with confidence 0.4 counts as a miss.
    prob, hit = np.array([0.4, 0.4]), np.array([1, 1])
    ours = maximum_mean_calibration_error(prob, hit)
    assert ours == pytest.approx(0.6)  # both residuals 0.6, kernel 1: sqrt(4 * 0.36) / 2
    assert netcal(MMCE, prob, hit) == pytest.approx(0.4)  # it scored them as misses


def test_selective_curve_hand_case() -> None:
    curve = selective_prediction_curve([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 0])
    assert curve.risk.tolist() == pytest.approx([0, 0, 1 / 3, 1 / 2])
    assert curve.aurc == pytest.approx((0 + 0 + 1 / 3 + 1 / 2) / 4)
    assert curve.coverage.tolist() == [0.25, 0.5, 0.75, 1.0]


def test_selective_curve_averages_over_tie_orders() -> None:
    # Two tied predictions, one right one wrong: E[risk at k=1] = 1/2 whatever the input order.
    a = selective_prediction_curve([0.5, 0.5], [1, 0])
    b = selective_prediction_curve([0.5, 0.5], [0, 1])
    assert a.risk.tolist() == b.risk.tolist() == [0.5, 0.5]


def test_classwise_ece_hand_case() -> None:
    probs = [[0.8, 0.2], [0.8, 0.2], [0.3, 0.7], [0.3, 0.7]]
    labels = [0, 1, 1, 1]
    # class 0: bins 0.8 (acc 1/2, gap .3, w .5) and 0.3 (acc 0, gap .3, w .5) -> .3
    # class 1: bins 0.2 (acc 1/2, gap .3) and 0.7 (acc 1, gap .3) -> .3
    assert classwise_calibration_error(probs, labels) == pytest.approx(0.3)


# -- agreement with independent references --
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n_bins", [10, 15])
def test_ece_and_mce_equal_netcal_on_random_inputs(seed: int, n_bins: int) -> None:
    prob, hit = random_predictions(seed)
    assert expected_calibration_error(prob, hit, n_bins=n_bins) == pytest.approx(
        netcal(ECE, prob, hit, bins=n_bins), abs=1e-12
    )
    assert maximum_calibration_error(prob, hit, n_bins=n_bins) == pytest.approx(
        netcal(MCE, prob, hit, bins=n_bins), abs=1e-12
    )


@pytest.mark.parametrize("seed", range(6))
def test_equal_mass_ece_equals_netcal_on_random_inputs(seed: int) -> None:
    prob, hit = random_predictions(seed)
    ours = expected_calibration_error(prob, hit, n_bins=10, strategy="quantile")
    assert ours == pytest.approx(netcal(ECE, prob, hit, bins=10, equal_intervals=False), abs=1e-12)
    mce = maximum_calibration_error(prob, hit, n_bins=10, strategy="quantile")
    assert mce == pytest.approx(netcal(MCE, prob, hit, bins=10, equal_intervals=False), abs=1e-12)


def test_equal_mass_bins_survive_tied_confidences() -> None:
    # Regression: netcal raises "smallest edge difference is numerically 0" when quantiles tie
    # (half the answers at confidence 1.0); tied edges are merged here instead.
    prob = np.r_[np.full(50, 1.0), np.linspace(0.3, 0.9, 50)]
    hit = np.r_[np.ones(45), np.zeros(5), np.ones(25), np.zeros(25)].astype(int)
    curve = reliability_curve(prob, hit, n_bins=10, strategy="quantile")
    assert curve.counts.sum() == 100 and len(curve.counts) < 10
    assert np.all(np.diff(curve.edges) > 0)
    with pytest.raises(ValueError, match="edge"):
        netcal(ECE, prob, hit, bins=10, equal_intervals=False)


@pytest.mark.parametrize("seed", range(4))
def test_smooth_ece_equals_relplot(seed: int) -> None:
    prob, hit = random_predictions(seed)
    assert smooth_calibration_error(prob, hit) == pytest.approx(
        float(relplot.smECE(prob, hit.astype(float))), abs=1e-12
    )


# -- properties --
@pytest.mark.parametrize("seed", range(10))
def test_properties_on_random_inputs(seed: int) -> None:
    prob, hit = random_predictions(seed, n=200)
    order = np.random.default_rng(seed).permutation(prob.size)
    ece = expected_calibration_error(prob, hit)
    assert 0.0 <= ece <= maximum_calibration_error(prob, hit) <= 1.0
    assert expected_calibration_error(prob[order], hit[order]) == pytest.approx(ece)
    assert maximum_mean_calibration_error(prob[order], hit[order]) == pytest.approx(
        maximum_mean_calibration_error(prob, hit)
    )
    assert selective_prediction_curve(prob[order], hit[order]).aurc == pytest.approx(
        selective_prediction_curve(prob, hit).aurc
    )
    curve = reliability_curve(prob, hit, n_bins=10, strategy="quantile")
    assert curve.counts.sum() == prob.size
    assert curve.counts.max() - curve.counts.min() <= 1  # equal mass without ties


def test_calibrated_predictions_have_small_errors() -> None:
    rng = np.random.default_rng(0)
    prob = rng.random(200_000)
    hit = rng.random(prob.size) < prob
    assert expected_calibration_error(prob, hit) < 0.005
    assert smooth_calibration_error(prob, hit) < 0.01
    assert maximum_mean_calibration_error(prob, hit) < 0.005
    overconfident = np.sqrt(prob)  # same outcomes, inflated confidence
    assert expected_calibration_error(overconfident, hit) > 0.1


def test_ranking_by_confidence_lowers_aurc() -> None:
    rng = np.random.default_rng(1)
    prob = rng.random(2000)
    hit = rng.random(prob.size) < prob
    informative = selective_prediction_curve(prob, hit).aurc
    uninformative = selective_prediction_curve(np.full(prob.size, 0.5), hit).aurc
    assert uninformative == pytest.approx(1 - hit.mean())  # ties: expected risk is flat
    assert informative < uninformative - 0.1


def test_ece_interval_is_seeded_and_covers_the_estimate() -> None:
    prob, hit = random_predictions(0, n=1000)
    a = expected_calibration_error_interval(prob, hit, n_resamples=500, rng=7)
    b = expected_calibration_error_interval(prob, hit, n_resamples=500, rng=7)
    assert a == b
    assert a.estimate == pytest.approx(expected_calibration_error(prob, hit))
    assert a.low < a.estimate < a.high


def test_ece_interval_matches_a_loop_over_resamples() -> None:
    # The vectorised bincount must give the same ECE per resample as recomputing it.
    prob, hit = random_predictions(1, n=200)
    rng = np.random.default_rng(5)
    fast = expected_calibration_error_interval(prob, hit, n_resamples=200, rng=rng)
    rng = np.random.default_rng(5)
    rows = rng.integers(0, prob.size, size=(200, prob.size))
    slow = [expected_calibration_error(prob[r], hit[r]) for r in rows]
    assert (fast.low, fast.high) == pytest.approx(tuple(np.quantile(slow, [0.025, 0.975])))


# -- errors --
@pytest.mark.parametrize(
    ("prob", "hit", "kwargs", "message"),
    [
        ([0.5, 0.5], [1], {}, "same length"),
        ([], [], {}, "empty"),
        ([1.2], [1], {}, r"probabilities in \[0, 1\]"),
        ([float("nan")], [1], {}, r"probabilities in \[0, 1\]"),
        ([0.5], [2], {}, "0/1"),
        ([0.5], [1], {"n_bins": 0}, "n_bins must be a positive integer"),
        ([0.5], [1], {"strategy": "kmeans"}, "unknown strategy 'kmeans'; choose from uniform"),
    ],
)
def test_bad_inputs_are_refused(prob: list, hit: list, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        expected_calibration_error(prob, hit, **kwargs)


def test_classwise_errors() -> None:
    with pytest.raises(ValueError, match=r"shape \(n, K\)"):
        classwise_calibration_error([0.5, 0.5], [0, 1])
    with pytest.raises(ValueError, match=r"class indices in 0..1"):
        classwise_calibration_error([[0.5, 0.5]], [2])


def test_mmce_bandwidth_error() -> None:
    with pytest.raises(ValueError, match=r"bandwidth must be at least 0\.05"):
        maximum_mean_calibration_error([0.5], [1], bandwidth=0.01)


def test_a_confidence_on_an_edge_goes_to_the_bin_it_opens() -> None:
    # Regression: np.linspace(0, 1, 11)[6] is 0.6000000000000001, which put 0.6 in [0.5, 0.6).
    curve = reliability_curve([0.6, 0.3, 1.0, 0.0], [1, 0, 1, 0], n_bins=10)
    assert curve.counts.tolist() == [1, 0, 0, 1, 0, 0, 1, 0, 0, 1]
