"""The batched smooth ECE against relplot's own ``smECE``, one sample at a time (the reference
it rewrites for a batch), and the bootstrap interval built on it against relplot per resample."""

from __future__ import annotations

import numpy as np
import pytest
import relplot

from evalsuite.metrics.calibration_bootstrap import smooth_calibration_error_interval
from evalsuite.metrics.resampling import bootstrap_index_chunks, percentile_interval
from evalsuite.metrics.smooth_ece_batch import smooth_calibration_errors

TOLERANCE = 1e-9
"""FFT against ``np.convolve``: the two agree to rounding (about 1e-16 on these inputs)."""


def _relplot(f: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.array([relplot.smECE(row_f, row_y) for row_f, row_y in zip(f, y, strict=True)])


def _sample(rng: np.random.Generator, n: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Confidences and correctness of one made-up student."""
    if kind == "calibrated":
        f = rng.uniform(0, 1, n)
        return f, (rng.uniform(size=n) < f).astype(float)
    if kind == "overconfident":
        f = rng.uniform(0.6, 1, n)
        return f, (rng.uniform(size=n) < f - 0.3).astype(float)
    if kind == "underconfident":
        f = rng.uniform(0.3, 0.7, n)
        return f, (rng.uniform(size=n) < np.clip(f + 0.25, 0, 1)).astype(float)
    assert kind == "lumpy"  # a few repeated values, as vote shares are
    f = rng.choice([0.2, 0.4, 0.6, 0.8, 1.0], n)
    return f, (rng.uniform(size=n) < f).astype(float)


@pytest.mark.parametrize("kind", ["calibrated", "overconfident", "underconfident", "lumpy"])
@pytest.mark.parametrize("n", [1, 2, 7, 60, 500])
def test_each_row_is_relplots_smece_of_that_row(kind: str, n: int) -> None:
    rng = np.random.default_rng(n)
    f, y = _sample(rng, n, kind)
    rows = rng.integers(0, n, size=(12, n))  # bootstrap rows: each its own bandwidth
    expected = _relplot(f[rows], y[rows])
    assert smooth_calibration_errors(f[rows], y[rows]) == pytest.approx(expected, abs=TOLERANCE)


def test_rows_of_different_data_in_one_batch_match() -> None:
    # Rows that stop the bandwidth search at very different steps sit in one batch: the
    # grouping by grid and mesh size must keep each row its own.
    rng = np.random.default_rng(3)
    samples = [_sample(rng, 300, kind) for kind in ("calibrated", "overconfident", "lumpy")]
    f = np.stack([s[0] for s in samples] * 2)
    y = np.stack([s[1] for s in samples] * 2)
    values = smooth_calibration_errors(f, y)
    assert values == pytest.approx(_relplot(f, y), abs=TOLERANCE)
    assert len(set(np.round(values[:3], 6))) == 3  # three different answers, not one repeated


@pytest.mark.parametrize(
    ("f", "y"),
    [
        ([0.5] * 40, [0, 1] * 20),  # smooth ECE 0: the search halves to the finest bandwidths
        ([1.0, 0.0] * 10, [1, 0] * 10),  # confidence equals correctness
        ([1.0] * 10, [0] * 10),  # confidently wrong: the largest error
        ([0.0] * 10, [1] * 10),
        ([0.0, 1.0, 0.999999, 1e-9], [0, 1, 0, 1]),  # the ends of the grid
        ([0.73], [1]),
    ],
)
def test_edge_cases_match_relplot(f: list[float], y: list[int]) -> None:
    rows_f, rows_y = np.array([f], dtype=float), np.array([y], dtype=float)
    assert smooth_calibration_errors(rows_f, rows_y) == pytest.approx(
        _relplot(rows_f, rows_y), abs=TOLERANCE
    )


def test_more_resamples_than_one_pass_holds() -> None:
    # Rows are searched in passes of a bounded size; the pass boundary must not show.
    rng = np.random.default_rng(9)
    f, y = _sample(rng, 40, "overconfident")
    rows = rng.integers(0, 40, size=(230, 40))
    values = smooth_calibration_errors(f[rows], y[rows])
    assert values.shape == (230,)
    assert values == pytest.approx(_relplot(f[rows], y[rows]), abs=TOLERANCE)


def test_logit_scaled_relplot_is_followed_not_rewritten(monkeypatch: pytest.MonkeyPatch) -> None:
    # relplot's other kernel is not rewritten here: with it set, relplot computes each row.
    rng = np.random.default_rng(4)
    f, y = _sample(rng, 80, "overconfident")
    rows = rng.integers(0, 80, size=(3, 80))
    plain = smooth_calibration_errors(f[rows], y[rows])
    monkeypatch.setattr(relplot.config, "use_logit_scaling", True)
    logit = smooth_calibration_errors(f[rows], y[rows])
    assert logit == pytest.approx(_relplot(f[rows], y[rows]), abs=1e-12)
    assert not np.allclose(logit, plain)


def test_interval_is_the_percentiles_of_relplot_per_resample() -> None:
    # The interval's samples are relplot's smECE of the same resamples (same generator draws),
    # so the interval is what the former one-resample-at-a-time loop gave.
    rng = np.random.default_rng(5)
    f, y = _sample(rng, 150, "overconfident")
    result = smooth_calibration_error_interval(f, y, n_resamples=40, rng=11)
    draws = bootstrap_index_chunks(150, 40, np.random.default_rng(11))
    reference = np.concatenate([_relplot(f[rows], y[rows]) for rows in draws])
    low, high = percentile_interval(reference)
    assert (result.low, result.high) == pytest.approx((low, high), abs=TOLERANCE)
    assert result.estimate == pytest.approx(relplot.smECE(f, y), abs=1e-12)
