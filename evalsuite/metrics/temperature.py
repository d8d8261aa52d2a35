"""Temperature scaling of answer confidences, fitted on one split and applied to another.

What is scaled: a run stores, per example, the confidence ``p`` in the answer it gave and whether
that answer is correct, not the logits of a closed label set. So the scaling is the binary form
of Guo et al.'s temperature scaling: the confidence's log-odds are divided by one temperature,
``p_T = sigmoid(logit(p) / T)``, and ``T`` minimises the mean Bernoulli negative log-likelihood
of correctness on the fitting split. That NLL is convex in ``1 / T`` (a logistic regression
with one feature and no intercept), so a bounded scalar search (scipy) finds its minimum.
Confidences are clipped to ``[1e-7, 1 - 1e-7]`` first: a confidence of exactly 1.0 (common)
would have an infinite logit that no temperature could bring down.

scipy rather than netcal's ``TemperatureScaling``: netcal pulls in torch, pyro and gpytorch and
is kept as a test reference (the tests check both fit the same temperature).

Fitting on the test split is refused: a temperature chosen on the examples it is then scored
on makes the "after scaling" ECE optimistic. The API makes the split explicit:
:func:`fit_temperature` takes the split name and returns a :class:`TemperatureScaler` that
remembers it.

References
----------
Guo, Pleiss, Sun & Weinberger, "On calibration of modern neural networks", ICML 2017.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize_scalar
from scipy.special import expit, logit

from evalsuite.metrics.calibration import check_binary, expected_calibration_error

__all__ = [
    "TemperatureScaledECE",
    "TemperatureScaler",
    "fit_temperature",
    "temperature_scaled_ece",
]

EPSILON = 1e-7
"""Confidences are clipped to ``[EPSILON, 1 - EPSILON]`` before taking log-odds."""
TEMPERATURE_RANGE = (0.01, 100.0)
"""Where the temperature is searched for; a fit at either end is flagged ``at_bound``."""
_REFUSED_SPLITS = frozenset({"test"})


def _log_odds(y_prob: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(logit(np.clip(y_prob, EPSILON, 1.0 - EPSILON)), dtype=np.float64)


def _mean_nll(z: NDArray[np.float64], y: NDArray[np.float64], temperature: float) -> float:
    s = z / temperature
    # -[y log sigmoid(s) + (1 - y) log sigmoid(-s)], stably
    return float(np.mean(np.logaddexp(0.0, -s) * y + np.logaddexp(0.0, s) * (1.0 - y)))


@dataclass(frozen=True)
class TemperatureScaler:
    """A temperature fitted on one named split; :meth:`apply` it to any other.

    Attributes
    ----------
    temperature : float
        ``T`` in ``sigmoid(logit(p) / T)``; above 1 softens over-confident answers.
    fitted_on : str
        The split it was fitted on (never ``"test"``).
    n : int
        Examples it was fitted on.
    nll_before, nll_after : float
        Mean negative log-likelihood of correctness on the fitting split at ``T = 1`` and at the
        fitted ``T`` (after <= before, up to the clipping of confidences).
    at_bound : bool
        The fit ended at an end of :data:`TEMPERATURE_RANGE` (the NLL still fell there).
    """

    temperature: float
    fitted_on: str
    n: int
    nll_before: float
    nll_after: float
    at_bound: bool = False

    def apply(self, y_prob: ArrayLike) -> NDArray[np.float64]:
        """Scaled confidences ``sigmoid(logit(p) / T)`` of shape (n,).

        Examples
        --------
        >>> s = TemperatureScaler(2.0, "valid", 10, 0.7, 0.6)
        >>> s.apply([0.5, 0.9]).round(4).tolist()
        [0.5, 0.75]
        """
        prob = np.asarray(y_prob, dtype=np.float64).ravel()
        if not np.all(np.isfinite(prob)) or (prob.size and (prob.min() < 0 or prob.max() > 1)):
            raise ValueError("y_prob must hold probabilities in [0, 1]")
        return np.asarray(expit(_log_odds(prob) / self.temperature), dtype=np.float64)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "temperature": self.temperature,
            "fitted_on": self.fitted_on,
            "n": self.n,
            "nll_before": self.nll_before,
            "nll_after": self.nll_after,
            "at_bound": self.at_bound,
        }


def fit_temperature(y_prob: ArrayLike, y_true: ArrayLike, *, split: str) -> TemperatureScaler:
    """Fit the temperature minimising the NLL of correctness on ``split``.

    Parameters
    ----------
    y_prob : array-like of shape (n,)
        Confidence in the answer given, in [0, 1].
    y_true : array-like of shape (n,)
        1 where that answer is correct.
    split : str
        Name of the split these predictions come from, e.g. ``"valid"``. Keyword-only and
        required so that no caller fits on an unnamed split by accident.

    Raises
    ------
    ValueError
        When ``split`` is ``"test"``, or the split has only correct or only wrong answers (no
        finite temperature is best), or on invalid inputs.

    Examples
    --------
    >>> r = np.random.default_rng(0)
    >>> p = r.uniform(0.5, 1.0, 20_000)
    >>> y = r.random(20_000) < expit(logit(p) / 3)  # true temperature 3
    >>> abs(fit_temperature(p, y, split="valid").temperature - 3) < 0.3
    True
    """
    name = str(split).strip()
    if name.lower() in _REFUSED_SPLITS:
        raise ValueError(
            f"refusing to fit a temperature on split '{name}': fit on the validation split and "
            "apply it to test, or the scaled ECE is optimistic"
        )
    prob, true = check_binary(y_prob, y_true)
    if true.min() == true.max():
        raise ValueError(
            f"fitting a temperature needs both correct and wrong answers; split '{name}' has "
            f"only {'correct' if true[0] else 'wrong'} ones ({true.size})"
        )
    z = _log_odds(prob)
    low, high = np.log(TEMPERATURE_RANGE)
    found = minimize_scalar(
        lambda log_t: _mean_nll(z, true, float(np.exp(log_t))),
        bounds=(low, high),
        method="bounded",
        options={"xatol": 1e-8},
    )
    temperature = float(np.exp(found.x))
    at_bound = bool(min(found.x - low, high - found.x) < 1e-4)
    return TemperatureScaler(
        temperature=temperature,
        fitted_on=name,
        n=int(prob.size),
        nll_before=_mean_nll(z, true, 1.0),
        nll_after=_mean_nll(z, true, temperature),
        at_bound=at_bound,
    )


@dataclass(frozen=True)
class TemperatureScaledECE:
    """ECE of one split before and after a temperature fitted on another.

    Attributes
    ----------
    scaler : TemperatureScaler
        Fitted on ``scaler.fitted_on``.
    split : str
        The split both ECEs are measured on.
    n : int
        Examples of that split.
    ece_raw, ece_scaled : float
        ECE (equal-width bins) of the raw and of the scaled confidences.
    n_bins : int
    """

    scaler: TemperatureScaler
    split: str
    n: int
    ece_raw: float
    ece_scaled: float
    n_bins: int

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            **self.scaler.as_dict(),
            "split": self.split,
            "n": self.n,
            "ece_raw": self.ece_raw,
            "ece_scaled": self.ece_scaled,
            "n_bins": self.n_bins,
        }


def temperature_scaled_ece(
    fit_prob: ArrayLike,
    fit_true: ArrayLike,
    eval_prob: ArrayLike,
    eval_true: ArrayLike,
    *,
    fit_split: str,
    eval_split: str,
    n_bins: int = 10,
) -> TemperatureScaledECE:
    """Fit a temperature on ``fit_split`` (never test); ECE on ``eval_split``, raw and scaled.

    The report's "ECE after temperature scaling" is ``temperature_scaled_ece(valid..., test...,
    fit_split="valid", eval_split="test")``: the temperature never sees a test example.

    Raises
    ------
    ValueError
        As :func:`fit_temperature` (``fit_split == "test"`` above all).
    """
    scaler = fit_temperature(fit_prob, fit_true, split=fit_split)
    prob, true = check_binary(eval_prob, eval_true)
    return TemperatureScaledECE(
        scaler=scaler,
        split=str(eval_split),
        n=int(prob.size),
        ece_raw=expected_calibration_error(prob, true, n_bins=n_bins),
        ece_scaled=expected_calibration_error(scaler.apply(prob), true, n_bins=n_bins),
        n_bins=int(n_bins),
    )
