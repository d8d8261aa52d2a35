"""Calibration depth: debiased ECE (Kumar et al. 2019), bootstrap intervals, temperature scaling."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import expit, logit
from scipy.stats import bootstrap

from evalsuite.metrics.calibration import (
    brier_score_loss,
    debiased_calibration_error,
    expected_calibration_error,
    expected_calibration_error_interval,
    reliability_curve,
    smooth_calibration_error,
)
from evalsuite.metrics.calibration_bootstrap import (
    brier_score_interval,
    calibration_intervals,
    smooth_calibration_error_interval,
)
from evalsuite.metrics.temperature import (
    TemperatureScaler,
    fit_temperature,
    temperature_scaled_ece,
)


def calibrated(seed: int, n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    prob = rng.random(n)
    return prob, (rng.random(n) < prob).astype(int)


def overconfident(seed: int, n: int, temperature: float = 2.5) -> tuple[np.ndarray, np.ndarray]:
    """Confidences whose log-odds are ``temperature`` times too large."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.3, 0.95, n)
    prob = expit(logit(truth) * temperature)
    return prob, (rng.random(n) < truth).astype(int)


# -- debiased ECE --
def test_debiased_ece_hand_table() -> None:
    # 4 equal-width bins. bin [0, .25): five at 0.2, one hit: gap 0, variance .2*.8/4 = .04;
    # bin [.5, .75): four at 0.5, all hits: gap^2 .25, variance 0; bin [.75, 1]: one at 0.75
    # (no variance estimate: contributes 0, but counts in n = 10).
    # E^2 = .5 * (0 - .04) + .4 * (.25 - 0) = 0.08
    prob = [0.2] * 5 + [0.5] * 4 + [0.75]
    hit = [1, 0, 0, 0, 0] + [1] * 4 + [0]
    kwargs = {"n_bins": 4, "strategy": "uniform"}
    squared = debiased_calibration_error(prob, hit, squared=True, **kwargs)
    assert squared == pytest.approx(0.08, abs=1e-12)
    assert debiased_calibration_error(prob, hit, **kwargs) == pytest.approx(np.sqrt(0.08))


def test_debiased_ece_is_zero_when_the_variance_outweighs_the_gap() -> None:
    # E^2 = 5/9 * (0 - .04) + 4/9 * (.0225 - .0625) = -0.04: an estimate of 0, clipped for L2.
    prob, hit = [0.2] * 5 + [0.9] * 4, [1, 0, 0, 0, 0, 1, 1, 1, 0]
    kwargs = {"n_bins": 4, "strategy": "uniform"}
    assert debiased_calibration_error(prob, hit, squared=True, **kwargs) == pytest.approx(-0.04)
    assert debiased_calibration_error(prob, hit, **kwargs) == 0.0


def test_debiased_ece_is_unbiased_on_calibrated_data_where_plain_ece_is_not() -> None:
    squared, plug_in, ece = [], [], []
    for seed in range(300):
        prob, hit = calibrated(seed)
        squared.append(debiased_calibration_error(prob, hit, squared=True))
        curve = reliability_curve(prob, hit, n_bins=15, strategy="quantile")
        weights = curve.counts / curve.counts.sum()
        plug_in.append(np.sum(weights * (curve.accuracy - curve.confidence) ** 2))
        ece.append(expected_calibration_error(prob, hit, n_bins=15, strategy="quantile"))
    mean, se = np.mean(squared), np.std(squared, ddof=1) / np.sqrt(len(squared))
    assert abs(mean) < 3 * se  # an unbiased estimate of the true value, 0
    # The plug-in squared error is biased up by about sum_b w_b Var(ybar_b) ~ 15 * E[p(1-p)] / n
    assert np.mean(plug_in) == pytest.approx(15 * (1 / 6) / 500, rel=0.15)
    assert np.mean(plug_in) > 20 * abs(mean)
    # and plain (L1) ECE of a perfectly calibrated model is far from 0 at n = 500
    assert np.mean(ece) > 0.04


def test_debiased_ece_finds_a_real_miscalibration() -> None:
    # y ~ Bernoulli(p^2): the true L2 error is sqrt(E[(p - p^2)^2]) = sqrt(1/30) for p ~ U(0, 1);
    # 15 equal-mass bins average a little of it away.
    values = []
    for seed in range(50):
        rng = np.random.default_rng(seed)
        prob = rng.random(2000)
        values.append(debiased_calibration_error(prob, rng.random(2000) < prob**2))
    assert np.mean(values) == pytest.approx(np.sqrt(1 / 30), rel=0.05)


# -- bootstrap intervals --
def test_brier_interval_agrees_with_scipy_bootstrap() -> None:
    prob, hit = overconfident(0, 300)
    ours = brier_score_interval(prob, hit, n_resamples=4000, rng=1)
    reference = bootstrap(
        ((prob - hit) ** 2,), np.mean, n_resamples=4000, method="percentile", rng=2
    ).confidence_interval
    assert ours.estimate == pytest.approx(brier_score_loss(prob, hit))
    assert ours.low == pytest.approx(reference.low, abs=0.006)
    assert ours.high == pytest.approx(reference.high, abs=0.006)


def test_smooth_ece_interval_resamples_relplot() -> None:
    prob, hit = overconfident(1, 200)
    result = smooth_calibration_error_interval(prob, hit, n_resamples=60, rng=0)
    assert result.estimate == pytest.approx(smooth_calibration_error(prob, hit))
    assert result.low < result.estimate < result.high
    again = smooth_calibration_error_interval(prob, hit, n_resamples=60, rng=0)
    assert (again.low, again.high) == (result.low, result.high)
    assert result.interval.method == "bootstrap percentile" and result.interval.level == 0.95


def test_calibration_intervals_use_independent_streams() -> None:
    prob, hit = overconfident(2, 200)
    first = calibration_intervals(prob, hit, n_resamples=300, n_resamples_smooth=20, rng=5)
    second = calibration_intervals(prob, hit, n_resamples=300, n_resamples_smooth=40, rng=5)
    assert first.ece == second.ece and first.brier == second.brier  # smooth ECE's B moved nothing
    assert first.smooth_ece != second.smooth_ece
    assert first.ece.estimate == pytest.approx(expected_calibration_error(prob, hit))
    assert set(first.as_dict()) == {"ece", "smooth_ece", "brier"}


def test_ece_interval_covers_the_population_ece_mostly() -> None:
    # Over-confident by a known temperature: the population ECE (equal-width bins) is computed on
    # a huge sample; the percentile interval at n = 400 should cover it most of the time (the
    # small-sample upward bias of ECE makes it a little less than 95 %).
    big_prob, big_hit = overconfident(999, 400_000)
    population = expected_calibration_error(big_prob, big_hit)
    covered = [
        expected_calibration_error_interval(
            *overconfident(s, 400), n_resamples=300, rng=s
        ).interval.contains(population)
        for s in range(40)
    ]
    assert np.mean(covered) >= 0.8


@pytest.mark.parametrize("function", [brier_score_interval, smooth_calibration_error_interval])
def test_interval_errors(function) -> None:
    with pytest.raises(ValueError, match="n_resamples must be a positive integer, got 0"):
        function([0.5], [1], n_resamples=0)
    with pytest.raises(ValueError, match="y_prob must hold probabilities"):
        function([1.5], [1])


# -- temperature scaling --
def test_temperature_fitted_on_valid_lowers_the_valid_ece() -> None:
    prob, hit = overconfident(3, 600)
    scaler = fit_temperature(prob, hit, split="valid")
    assert scaler.fitted_on == "valid" and scaler.n == 600
    assert scaler.temperature > 1.5  # it softens over-confident answers
    assert scaler.nll_after < scaler.nll_before
    before = expected_calibration_error(prob, hit)
    after = expected_calibration_error(scaler.apply(prob), hit)
    assert after < before / 2


def test_temperature_recovers_a_known_temperature() -> None:
    prob, hit = overconfident(4, 50_000, temperature=2.5)
    assert fit_temperature(prob, hit, split="valid").temperature == pytest.approx(2.5, rel=0.05)


def test_temperature_agrees_with_netcal() -> None:
    from netcal.scaling import TemperatureScaling

    prob, hit = overconfident(5, 800)
    ours = fit_temperature(prob, hit, split="valid")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = TemperatureScaling().fit(prob, hit).transform(prob)
    np.testing.assert_allclose(ours.apply(prob), reference, atol=2e-3)


@pytest.mark.parametrize("split", ["test", "TEST", " test "])
def test_temperature_is_never_fitted_on_test(split: str) -> None:
    prob, hit = overconfident(6, 100)
    with pytest.raises(ValueError, match=r"(?i)refusing to fit a temperature on split 'test'"):
        fit_temperature(prob, hit, split=split)
    with pytest.raises(ValueError, match="refusing to fit"):
        temperature_scaled_ece(prob, hit, prob, hit, fit_split=split, eval_split="test")
    with pytest.raises(TypeError):
        fit_temperature(prob, hit)  # type: ignore[call-arg]  # the split must be named


def test_scaled_ece_on_test_uses_the_valid_temperature() -> None:
    valid, test = overconfident(7, 800), overconfident(8, 500)
    result = temperature_scaled_ece(*valid, *test, fit_split="valid", eval_split="test")
    scaler = fit_temperature(*valid, split="valid")
    assert result.scaler == scaler and result.split == "test" and result.n == 500
    assert result.ece_raw == pytest.approx(expected_calibration_error(*test))
    assert result.ece_scaled == pytest.approx(
        expected_calibration_error(scaler.apply(test[0]), test[1])
    )
    assert result.ece_scaled < result.ece_raw
    assert result.as_dict()["fitted_on"] == "valid"


def test_temperature_needs_both_outcomes() -> None:
    with pytest.raises(ValueError, match="split 'valid' has only correct ones"):
        fit_temperature([0.9, 0.8], [1, 1], split="valid")
    with pytest.raises(ValueError, match="y_prob must hold probabilities"):
        TemperatureScaler(2.0, "valid", 2, 0.5, 0.4).apply([2.0])


def test_confidence_one_stays_finite() -> None:
    scaled = TemperatureScaler(2.0, "valid", 2, 0.5, 0.4).apply([1.0, 0.0])
    assert np.all(np.isfinite(scaled)) and scaled[0] < 1.0 and scaled[1] > 0.0
