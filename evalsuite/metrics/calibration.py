"""Calibration of a model's confidence in its own answer: binned and smooth errors, scores, curves.

Inputs are 1-D: ``y_prob`` is the confidence the model gives the answer it produced and ``y_true``
is 1 when that answer is correct (netcal's "1-D confidence and 0/1 correctness" convention).
Closed label sets add the classwise view over the full ``label_probs`` matrix.

The binned errors (ECE, MCE) are computed from the same :class:`ReliabilityCurve` the diagrams
draw, so a figure and its number can never disagree. They are written with numpy rather than
called from netcal because netcal's equal-mass binning raises on tied confidences (common: many
answers get confidence 1.0) and it re-bins for every call; the test suite checks that both agree
with netcal to 1e-12 on random inputs, on netcal's own bin edges.

References
----------
Naeini et al., "Obtaining well calibrated probabilities using Bayesian binning", AAAI 2015.
Kumar et al., "Trainable calibration measures for neural networks from kernel mean embeddings",
ICML 2018 (MMCE). Blasiok & Nakkiran, "Smooth ECE", ICLR 2024 (smECE).
Geifman & El-Yaniv, "Selective classification for deep neural networks", NeurIPS 2017 (AURC).
Kumar, Liang & Ma, "Verified uncertainty calibration", NeurIPS 2019 (debiased L2-ECE).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from evalsuite.metrics.resampling import (
    Interval,
    as_generator,
    bootstrap_index_chunks,
    percentile_interval,
)

__all__ = [
    "STRATEGIES",
    "CalibrationInterval",
    "ReliabilityCurve",
    "SelectiveCurve",
    "brier_score_loss",
    "check_binary",
    "classwise_calibration_error",
    "debiased_calibration_error",
    "expected_calibration_error",
    "expected_calibration_error_interval",
    "maximum_calibration_error",
    "maximum_mean_calibration_error",
    "reliability_curve",
    "selective_prediction_curve",
    "smooth_calibration_error",
]

Strategy = Literal["uniform", "quantile"]
STRATEGIES: tuple[str, ...] = ("uniform", "quantile")


# -- input checks --
def check_binary(y_prob: ArrayLike, y_true: ArrayLike) -> tuple[NDArray[np.float64], NDArray]:
    """Confidences in [0, 1] and 0/1 correctness of one length, as float arrays, or ValueError."""
    prob = np.asarray(y_prob, dtype=np.float64).ravel()
    true = np.asarray(y_true).ravel()
    if prob.shape != true.shape:
        raise ValueError(
            f"y_prob and y_true must have the same length, got {prob.size} and {true.size}"
        )
    if prob.size == 0:
        raise ValueError("y_prob is empty: calibration needs at least one prediction")
    if not np.all(np.isfinite(prob)) or prob.min() < 0.0 or prob.max() > 1.0:
        raise ValueError("y_prob must hold probabilities in [0, 1]")
    if not np.all((true == 0) | (true == 1)):
        raise ValueError("y_true must hold 0/1 (or boolean) correctness values")
    return prob, true.astype(np.float64)


def _check_bins(n_bins: int, strategy: str) -> None:
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")


# -- the reliability curve --
@dataclass(frozen=True)
class ReliabilityCurve:
    """Per-bin accuracy, mean confidence and count: the data behind a reliability diagram.

    Attributes
    ----------
    edges : ndarray of shape (n_bins + 1,)
        Bin edges; bin ``b`` is ``[edges[b], edges[b+1])``, the last bin closed on the right.
    accuracy, confidence : ndarray of shape (n_bins,)
        Fraction correct and mean confidence in each bin; NaN for an empty bin.
    counts : ndarray of shape (n_bins,)
        Predictions per bin; 0 marks an empty bin, which a diagram must not draw as a bar.
    """

    edges: NDArray[np.float64]
    accuracy: NDArray[np.float64]
    confidence: NDArray[np.float64]
    counts: NDArray[np.int64]

    @property
    def nonempty(self) -> NDArray[np.bool_]:
        """Mask of the bins that hold at least one prediction."""
        return self.counts > 0

    @property
    def gaps(self) -> NDArray[np.float64]:
        """``|accuracy - confidence|`` per bin (NaN where empty)."""
        return np.abs(self.accuracy - self.confidence)

    def as_dict(self) -> dict[str, Any]:
        """JSON form: lists, with empty bins' accuracy and confidence as null."""

        def clean(values: NDArray[np.float64]) -> list[float | None]:
            return [None if np.isnan(v) else float(v) for v in values]

        return {
            "edges": [float(e) for e in self.edges],
            "accuracy": clean(self.accuracy),
            "confidence": clean(self.confidence),
            "counts": [int(c) for c in self.counts],
        }


def bin_edges(
    y_prob: NDArray[np.float64], *, n_bins: int = 10, strategy: Strategy = "uniform"
) -> NDArray[np.float64]:
    """Bin edges on [0, 1]: equal width, or equal mass (sample quantiles, ties merged).

    Equal-mass edges are ``np.quantile(y_prob, linspace(0, 1, n_bins + 1))`` with the outer two
    set to 0 and 1, as netcal does. When confidences tie, several quantiles coincide; those edges
    are merged (as scikit-learn's ``calibration_curve`` does), so fewer than ``n_bins`` bins remain.
    """
    _check_bins(n_bins, strategy)
    if strategy == "uniform":
        # Rounded so that 0.6 is an edge, not 0.6000000000000001: a confidence of exactly 0.6
        # belongs in [0.6, 0.7). (netcal keeps linspace's raw edges; off the edges we agree.)
        return np.round(np.linspace(0.0, 1.0, int(n_bins) + 1), 12)
    edges = np.quantile(y_prob, np.linspace(0.0, 1.0, int(n_bins) + 1))
    edges[0], edges[-1] = 0.0, 1.0
    return np.unique(edges)


def assign_bins(y_prob: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.intp]:
    """Index of the bin of each prediction: ``[e_b, e_{b+1})``, the last bin closed at 1."""
    return np.clip(np.searchsorted(edges, y_prob, side="right") - 1, 0, len(edges) - 2)


def reliability_curve(
    y_prob: ArrayLike,
    y_true: ArrayLike,
    *,
    n_bins: int = 10,
    strategy: Strategy = "uniform",
) -> ReliabilityCurve:
    """Bin predictions by confidence; per bin, the accuracy, the mean confidence and the count.

    Parameters
    ----------
    y_prob : array-like of shape (n,)
        Confidence in the answer given, in [0, 1].
    y_true : array-like of shape (n,)
        1 (or True) when the answer is correct.
    n_bins : int
        Number of bins (fewer remain for ``"quantile"`` when confidences tie).
    strategy : {"uniform", "quantile"}
        Equal-width bins, or equal-mass bins from the sample quantiles.

    Returns
    -------
    ReliabilityCurve
        Empty bins have count 0 and NaN accuracy and confidence.

    Raises
    ------
    ValueError
        On mismatched lengths, empty input, probabilities outside [0, 1], non-0/1 labels,
        ``n_bins < 1`` or an unknown strategy.

    Examples
    --------
    >>> c = reliability_curve([0.25, 0.25, 0.75, 0.75], [0, 0, 1, 1], n_bins=4)
    >>> c.counts.tolist(), c.accuracy.tolist()
    ([0, 2, 0, 2], [nan, 0.0, nan, 1.0])
    """
    prob, true = check_binary(y_prob, y_true)
    edges = bin_edges(prob, n_bins=n_bins, strategy=strategy)
    index = assign_bins(prob, edges)
    size = len(edges) - 1
    counts = np.bincount(index, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.bincount(index, weights=true, minlength=size) / counts
        confidence = np.bincount(index, weights=prob, minlength=size) / counts
    return ReliabilityCurve(
        edges=edges,
        accuracy=accuracy,
        confidence=confidence,
        counts=counts.astype(np.int64),
    )


# -- binned errors --
def expected_calibration_error(
    y_prob: ArrayLike,
    y_true: ArrayLike,
    *,
    n_bins: int = 10,
    strategy: Strategy = "uniform",
) -> float:
    """ECE: the count-weighted mean of ``|accuracy - confidence|`` over the bins.

    Equal to netcal's ``ECE(n_bins, equal_intervals=strategy == "uniform")`` on 1-D confidence and
    0/1 correctness (tested), and also defined when equal-mass quantiles tie.

    Parameters
    ----------
    y_prob, y_true, n_bins, strategy
        As for :func:`reliability_curve`.

    Examples
    --------
    >>> conf = [0.9] * 4 + [0.6] * 6
    >>> hit = [1, 1, 1, 0, 1, 0, 0, 1, 0, 0]
    >>> round(expected_calibration_error(conf, hit, n_bins=10), 6)
    0.22
    >>> expected_calibration_error([0.25, 0.25, 0.75, 0.75], [0, 0, 1, 1], n_bins=2)
    0.25
    """
    curve = reliability_curve(y_prob, y_true, n_bins=n_bins, strategy=strategy)
    keep = curve.nonempty
    weights = curve.counts[keep] / curve.counts.sum()
    return float(np.sum(weights * curve.gaps[keep]))


def maximum_calibration_error(
    y_prob: ArrayLike,
    y_true: ArrayLike,
    *,
    n_bins: int = 10,
    strategy: Strategy = "uniform",
) -> float:
    """MCE: the largest ``|accuracy - confidence|`` over the non-empty bins.

    Examples
    --------
    >>> conf = [0.9] * 4 + [0.6] * 6
    >>> hit = [1, 1, 1, 0, 1, 0, 0, 1, 0, 0]
    >>> round(maximum_calibration_error(conf, hit, n_bins=10), 6)
    0.266667
    """
    curve = reliability_curve(y_prob, y_true, n_bins=n_bins, strategy=strategy)
    return float(np.max(curve.gaps[curve.nonempty]))


@dataclass(frozen=True)
class CalibrationInterval:
    """A calibration error with a bootstrap percentile interval.

    Attributes
    ----------
    estimate : float
        The error on the data as given.
    low, high : float
        Percentile interval over ``n_resamples`` bootstrap resamples of the predictions.
    n_resamples : int
    alpha : float
    """

    estimate: float
    low: float
    high: float
    n_resamples: int
    alpha: float

    @property
    def interval(self) -> Interval:
        """The interval alone, labelled as a bootstrap percentile interval."""
        return Interval(self.low, self.high, "bootstrap percentile", 1.0 - self.alpha)

    def as_dict(self) -> dict[str, float | int]:
        """JSON form."""
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "n_resamples": self.n_resamples,
            "alpha": self.alpha,
        }


def binned_residual_sums(
    index: NDArray[np.intp], residual: NDArray[np.float64], n_bins: int, rows: NDArray[np.intp]
) -> NDArray[np.float64]:
    """ECE of each bootstrap row: ``sum_b |sum_{i in b} (y_i - p_i)| / n`` in one bincount.

    ``rows`` has shape (R, n) and holds resampled example indices. The identity
    ``n_b/n * |acc_b - conf_b| = |sum_b (y - p)| / n`` lets every resample be binned at once.
    """
    n_rows, n = rows.shape
    flat = (np.arange(n_rows)[:, None] * n_bins + index[rows]).ravel()
    sums = np.bincount(flat, weights=residual[rows].ravel(), minlength=n_rows * n_bins)
    return np.abs(sums.reshape(n_rows, n_bins)).sum(axis=1) / n


def expected_calibration_error_interval(
    y_prob: ArrayLike,
    y_true: ArrayLike,
    *,
    n_bins: int = 10,
    n_resamples: int = 1000,
    alpha: float = 0.05,
    rng: np.random.Generator | int | None = None,
) -> CalibrationInterval:
    """ECE (equal-width bins) with a bootstrap percentile interval, resampled in one pass.

    The bins stay fixed (equal width) across resamples, so each resample needs only a bincount;
    see :func:`binned_residual_sums`. Note that ECE is biased upwards on small samples, and the
    percentile interval inherits that bias: read it as the spread, not as a bias correction.

    Examples
    --------
    >>> r = expected_calibration_error_interval([0.9] * 50 + [0.6] * 50, [1] * 80 + [0] * 20, rng=0)
    >>> r.low <= r.estimate <= r.high
    True
    """
    prob, true = check_binary(y_prob, y_true)
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be positive, got {n_resamples}")
    generator = as_generator(rng)
    edges = bin_edges(prob, n_bins=n_bins, strategy="uniform")
    index = assign_bins(prob, edges)
    residual = true - prob
    samples = np.concatenate(
        [
            binned_residual_sums(index, residual, int(n_bins), rows)
            for rows in bootstrap_index_chunks(prob.size, n_resamples, generator)
        ]
    )
    low, high = percentile_interval(samples, alpha=alpha)
    estimate = float(
        np.abs(np.bincount(index, weights=residual, minlength=n_bins)).sum() / prob.size
    )
    return CalibrationInterval(estimate, low, high, int(n_resamples), float(alpha))


def debiased_calibration_error(
    y_prob: ArrayLike,
    y_true: ArrayLike,
    *,
    n_bins: int = 15,
    strategy: Strategy = "quantile",
    squared: bool = False,
) -> float:
    """Debiased L2 calibration error of Kumar, Liang & Ma (2019).

    The plug-in estimate of the squared (L2) calibration error,
    ``sum_b (n_b / n) * (ybar_b - pbar_b)^2`` with ``ybar_b`` the accuracy and ``pbar_b`` the mean
    confidence of bin ``b``, is biased upwards: even for a perfectly calibrated model the noise
    of ``ybar_b`` adds its variance, ``E[(ybar_b - pbar_b)^2] = bias_b^2 + Var(ybar_b)``.
    The debiased estimator subtracts an unbiased estimate of that variance per bin,

    ``E^2_db = sum_b (n_b / n) * [(ybar_b - pbar_b)^2 - ybar_b (1 - ybar_b) / (n_b - 1)]``,

    (``ybar_b (1 - ybar_b) / (n_b - 1)`` is the unbiased variance of a mean of ``n_b`` 0/1
    labels). Bins with a single prediction have no variance estimate and contribute 0. The
    paper's default is equal-mass bins, which keep every ``n_b`` large; 15 bins as there.

    Parameters
    ----------
    y_prob, y_true
        As for :func:`reliability_curve`.
    n_bins, strategy
        As for :func:`reliability_curve`; ``"quantile"`` by default.
    squared : bool
        Return the debiased squared error itself, which may be slightly negative when the model
        is well calibrated (an unbiased estimate of 0 must be). Otherwise return the L2-ECE,
        ``sqrt(max(E^2_db, 0))``, on the scale of ECE.

    Returns
    -------
    float

    References
    ----------
    Kumar, Liang & Ma, "Verified uncertainty calibration", NeurIPS 2019, section 5 (the
    debiased estimator) and its proposition on the plug-in estimator's bias.

    Examples
    --------
    Two bins of four: confidences 0.25 with one hit and 0.75 with four hits.

    >>> p = [0.25] * 4 + [0.75] * 4
    >>> y = [1, 0, 0, 0, 1, 1, 1, 1]
    >>> # bin 1: (0.25 - 0.25)^2 - 0.25 * 0.75 / 3 = -0.0625; bin 2: 0.0625 - 0 = 0.0625
    >>> debiased_calibration_error(p, y, n_bins=2, strategy="uniform", squared=True)
    0.0
    """
    curve = reliability_curve(y_prob, y_true, n_bins=n_bins, strategy=strategy)
    keep = curve.counts >= 2
    counts, accuracy = curve.counts[keep], curve.accuracy[keep]
    plug_in = (accuracy - curve.confidence[keep]) ** 2
    variance = accuracy * (1.0 - accuracy) / (counts - 1)
    value = float(np.sum(counts / curve.counts.sum() * (plug_in - variance)))
    return value if squared else float(np.sqrt(max(value, 0.0)))


# -- other measures --
def smooth_calibration_error(y_prob: ArrayLike, y_true: ArrayLike) -> float:
    """Smooth ECE (Blasiok & Nakkiran) with its automatic bandwidth, from relplot.

    Unlike binned ECE it is consistent and has no bin-count knob.

    Examples
    --------
    >>> round(smooth_calibration_error([0.5] * 4, [0, 1, 0, 1]), 6)
    0.0
    """
    import relplot

    prob, true = check_binary(y_prob, y_true)
    return float(relplot.smECE(prob, true))


def brier_score_loss(y_prob: ArrayLike, y_true: ArrayLike) -> float:
    """Brier score of the confidence as a forecast of correctness: ``mean((p - y)^2)``.

    For a closed label set, the multiclass Brier score over ``label_probs`` is
    ``brier_score_loss(P.ravel(), onehot.ravel()) * K``.

    Examples
    --------
    >>> brier_score_loss([1.0, 0.5], [1, 0])
    0.125
    """
    prob, true = check_binary(y_prob, y_true)
    return float(np.mean((prob - true) ** 2))


def maximum_mean_calibration_error(
    y_prob: ArrayLike, y_true: ArrayLike, *, bandwidth: float = 0.4
) -> float:
    """MMCE (Kumar et al. 2018) with the Laplacian kernel ``exp(-|r - r'| / bandwidth)``.

    ``MMCE^2 = (1/n^2) sum_ij (y_i - r_i)(y_j - r_j) k(r_i, r_j)`` with ``r`` the confidence and
    ``y`` the correctness.

    Written by hand because netcal's MMCE, given 1-D input, reads it as the probability of a
    positive class: a confidence at or below 0.5 becomes a prediction of class 0, so a correct
    answer held with confidence 0.4 is scored as a miss (a test pins this). This version is also
    exact in O(n log n) rather than O(n^2) memory: in one dimension, after sorting,
    ``sum_{j<i} a_j exp(-(r_i - r_j)/w) = exp(-r_i/w) * cumsum(a_j exp(r_j/w))``, and
    ``exp(r/w) <= exp(1/w)`` cannot overflow for confidences in [0, 1] and sane bandwidths.

    Examples
    --------
    >>> round(maximum_mean_calibration_error([0.5, 0.5], [1, 0]), 6)
    0.0
    >>> round(maximum_mean_calibration_error([1.0], [0]), 6)
    1.0
    """
    prob, true = check_binary(y_prob, y_true)
    if not bandwidth >= 0.05:
        raise ValueError(f"bandwidth must be at least 0.05, got {bandwidth!r}")
    order = np.argsort(prob, kind="stable")
    r, a = prob[order], (true - prob)[order]
    up = np.exp(r / bandwidth)
    before = np.cumsum(a * up) - a * up  # sum over j < i of a_j exp(r_j / w)
    total = np.sum(a * a) + 2.0 * np.sum(a * np.exp(-r / bandwidth) * before)
    return float(np.sqrt(max(total, 0.0)) / prob.size)


def classwise_calibration_error(
    y_prob: ArrayLike, y_true: ArrayLike, *, n_bins: int = 10, strategy: Strategy = "uniform"
) -> float:
    """Classwise ECE (Kull et al. 2019): the mean over classes of one-vs-rest ECE.

    Parameters
    ----------
    y_prob : array-like of shape (n, K)
        Probability of every label of a closed label set (rows sum to 1).
    y_true : array-like of shape (n,)
        Index of the gold label in ``0 .. K-1``.

    Examples
    --------
    >>> classwise_calibration_error([[1.0, 0.0], [0.0, 1.0]], [0, 1])
    0.0
    """
    probs = np.asarray(y_prob, dtype=np.float64)
    labels = np.asarray(y_true)
    if probs.ndim != 2 or probs.shape[0] != labels.size:
        raise ValueError(
            f"y_prob must have shape (n, K) with n = len(y_true), got {probs.shape} "
            f"and {labels.size} labels"
        )
    if not np.all((labels >= 0) & (labels < probs.shape[1]) & (labels == labels.astype(int))):
        raise ValueError(f"y_true must hold class indices in 0..{probs.shape[1] - 1}")
    errors = [
        expected_calibration_error(probs[:, k], labels == k, n_bins=n_bins, strategy=strategy)
        for k in range(probs.shape[1])
    ]
    return float(np.mean(errors))


# -- selective prediction --
@dataclass(frozen=True)
class SelectiveCurve:
    """Accuracy and risk when only the ``k`` most confident answers are kept, for every ``k``.

    Attributes
    ----------
    coverage : ndarray of shape (n,)
        ``k / n`` for ``k = 1..n``.
    risk : ndarray of shape (n,)
        Error rate among the kept answers; with tied confidences, its expectation over a random
        order of the ties, so the curve does not depend on the input order.
    aurc : float
        Area under the risk-coverage curve: the mean of ``risk`` (lower is better).
    """

    coverage: NDArray[np.float64]
    risk: NDArray[np.float64]
    aurc: float

    @property
    def accuracy(self) -> NDArray[np.float64]:
        """Selective accuracy, ``1 - risk``."""
        return 1.0 - self.risk


def selective_prediction_curve(y_prob: ArrayLike, y_true: ArrayLike) -> SelectiveCurve:
    """Risk-coverage (accuracy-coverage) curve and its area, AURC (Geifman & El-Yaniv 2017).

    Examples
    --------
    >>> c = selective_prediction_curve([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 0])
    >>> c.risk.tolist(), c.aurc
    ([0.0, 0.0, 0.3333333333333333, 0.5], 0.20833333333333331)
    """
    prob, true = check_binary(y_prob, y_true)
    n = prob.size
    order = np.argsort(-prob, kind="stable")
    conf, errors = prob[order], 1.0 - true[order]
    # Tie groups: the expected errors among the first k inside a group grow linearly.
    starts = np.flatnonzero(np.r_[True, conf[1:] != conf[:-1]])
    sizes = np.diff(np.r_[starts, n])
    group_errors = np.add.reduceat(errors, starts)
    before = np.cumsum(group_errors) - group_errors
    group = np.repeat(np.arange(starts.size), sizes)
    position = np.arange(n) - starts[group] + 1  # 1-based position inside the tie group
    expected = before[group] + position * group_errors[group] / sizes[group]
    k = np.arange(1, n + 1)
    risk = expected / k
    return SelectiveCurve(coverage=k / n, risk=risk, aurc=float(risk.mean()))
