"""Intervals for every mutual-information estimator by resampling the examples.

Why half-samples without replacement rather than the textbook bootstrap with replacement: a
bootstrap sample repeats examples, and a repeated pair is its own nearest neighbour at distance
0, which makes KSG's counts collapse and its estimate explode; for the neural bounds a repeated
pair can land in both the training and the held-out split, which inflates the bound. Drawing
``n // 2`` distinct examples avoids both. For a statistic that is a mean of per-example terms,
the variance of a half-sample estimate without replacement equals that of the full-sample
estimate (``(s^2 / m)(1 - m / n) = s^2 / n`` at ``m = n / 2``; McCarthy 1969, half-sample
replication), so the spread of half-sample estimates is the spread of the estimate at ``n``.

The interval is ``estimate +- t(B - 1) * sd(half-sample estimates)``: centred on the full-sample
estimate, because an estimator's bias depends on ``n`` (KSG, the ``log N`` ceiling of InfoNCE)
and a half-sample has another bias. It is an interval for sampling variability only; bias is
measured separately by :mod:`evalsuite.metrics.mi_truth` and flagged by
:mod:`evalsuite.metrics.mi_checks`.

Cost: each resample re-runs the estimator. KSG and the probe are cheap (200 and 30 resamples
by default); each neural bound trains one network per resample (one seed instead of
``MIConfig.n_seeds``), so they get 20 resamples by default, at roughly 0.3 s each for n = 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import t as student_t

from evalsuite.metrics.mutual_info import (
    ESTIMATORS,
    MIConfig,
    MIEstimate,
    estimate_mutual_information,
)
from evalsuite.metrics.resampling import RandomState, as_generator

__all__ = ["DEFAULT_RESAMPLES", "INTERVAL_METHOD", "mutual_information_with_interval"]

DEFAULT_RESAMPLES: dict[str, int] = {
    "ksg": 200,
    "probe": 30,
    "infonce": 20,
    "nwj": 20,
    "smile": 20,
    "club": 20,
}
"""Half-samples per estimator when the caller does not say (see the module's note on cost)."""
INTERVAL_METHOD = "half-sample bootstrap over examples"


def mutual_information_with_interval(
    name: str,
    x: ArrayLike,
    y: ArrayLike,
    *,
    labels: Sequence[str] | None = None,
    config: MIConfig | None = None,
    n_resamples: int | None = None,
    alpha: float = 0.05,
    rng: RandomState = 0,
) -> MIEstimate:
    """The estimator ``name`` on all pairs, with a half-sample bootstrap interval over examples.

    Parameters
    ----------
    name : str
        A key of :data:`evalsuite.metrics.mutual_info.ESTIMATORS`.
    x, y : array-like of shape (n, dx) and (n, dy)
    labels : sequence of str, optional
        For ``probe``.
    config : MIConfig, optional
    n_resamples : int, optional
        Half-samples; :data:`DEFAULT_RESAMPLES` by default.
    alpha : float
        One minus the interval's level.
    rng : Generator, int or None
        Split into a stream for the full-sample estimate and one per half-sample.

    Returns
    -------
    MIEstimate
        The full-sample estimate with ``low``/``high`` replaced by the interval, and
        ``details["interval"]`` saying how it was made (method, resamples, level, sd).

    Raises
    ------
    ValueError
        For an unknown estimator, fewer than 2 resamples, or a bad ``alpha``; and whatever the
        estimator raises on its inputs.

    Examples
    --------
    >>> r = np.random.default_rng(0)
    >>> x = r.normal(size=400); y = 0.8 * x + 0.6 * r.normal(size=400)
    >>> e = mutual_information_with_interval("ksg", x, y, n_resamples=50)
    >>> e.low < 0.51 < e.high, e.details["interval"]["n_resamples"]
    (True, 50)
    """
    if name not in ESTIMATORS:
        raise ValueError(f"unknown estimator '{name}'; choose from {', '.join(ESTIMATORS)}")
    resamples = DEFAULT_RESAMPLES[name] if n_resamples is None else int(n_resamples)
    if resamples < 2:
        raise ValueError(f"n_resamples must be at least 2, got {n_resamples}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    cfg = config or MIConfig()
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    tags = None if labels is None else np.asarray(labels, dtype=object)
    point_rng, draw_rng, *fit_rngs = as_generator(rng).spawn(2 + resamples)
    estimate = estimate_mutual_information(name, a, b, labels=labels, config=cfg, rng=point_rng)

    n = a.shape[0]
    half = n // 2
    cheap = replace(cfg, n_seeds=1)  # one network per resample: the spread is over examples
    values = []
    for fit_rng in fit_rngs:
        rows = np.sort(draw_rng.choice(n, size=half, replace=False))
        sub_labels = None if tags is None else [str(v) for v in tags[rows]]
        values.append(
            estimate_mutual_information(
                name, a[rows], b[rows], labels=sub_labels, config=cheap, rng=fit_rng
            ).value
        )
    sd = float(np.std(values, ddof=1))
    quantile = float(student_t.ppf(1.0 - alpha / 2, df=resamples - 1))
    interval: dict[str, Any] = {
        "method": INTERVAL_METHOD,
        "n_resamples": resamples,
        "resample_size": half,
        "level": 1.0 - alpha,
        "sd": sd,
    }
    return replace(
        estimate,
        low=estimate.value - quantile * sd,
        high=estimate.value + quantile * sd,
        details={**estimate.details, "interval": interval},
    )
