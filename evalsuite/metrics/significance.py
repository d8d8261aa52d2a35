"""Paired significance tests between systems evaluated on the same examples.

Two systems: McNemar's exact test (statsmodels), the paired bootstrap (Berg-Kirkpatrick et al.
2012) for the accuracy and the ECE difference, and the paired permutation test (scipy). Three or
more: Cochran's Q (statsmodels), then every pair with a Holm correction (statsmodels
``multipletests``). Several seeds of one system: mean, sd and Welch's t-test across seeds.

The paired bootstrap is written here rather than taken from deepsig, which is GPL-licensed and
whose bootstrap resamples the two systems independently (not paired).

References
----------
Berg-Kirkpatrick, Burkett & Klein, "An empirical investigation of statistical significance in
NLP", EMNLP 2012. Dror et al., "The hitchhiker's guide to testing statistical significance in
NLP", ACL 2018.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from evalsuite.metrics.calibration import assign_bins, bin_edges, binned_residual_sums
from evalsuite.metrics.resampling import (
    Interval,
    RandomState,
    as_generator,
    bootstrap_index_chunks,
    percentile_interval,
    resampling_p_value,
)
from evalsuite.registry import Registry

__all__ = [
    "PAIRED_TESTS",
    "CochranResult",
    "GroupStats",
    "PairedTestResult",
    "PairwiseComparison",
    "cochrans_q_test",
    "group_stats",
    "holm_adjust",
    "mcnemar_test",
    "paired_accuracy_interval",
    "paired_bootstrap_ece_test",
    "paired_bootstrap_test",
    "paired_permutation_test",
    "pairwise_tests",
    "welch_seed_test",
]


@dataclass(frozen=True)
class PairedTestResult:
    """One paired test of system A against system B, with the decision it supports.

    Attributes
    ----------
    test : str
        ``"mcnemar"``, ``"bootstrap"``, ``"permutation"``, ``"bootstrap_ece"`` or ``"welch"``.
    difference : float
        The observed statistic of A minus that of B (accuracy, or ECE for ``bootstrap_ece``).
    p_value : float
        Two-sided. Resampling tests report ``(count + 1) / (B + 1)``, never below ``1/(B+1)``.
    n : int
        The units the test is over: the shared (paired) examples, or for ``welch`` the runs.
    alpha : float
        The level the decision is taken at (and, for bootstrap tests, ``1 -`` the interval level).
    low, high : float or None
        Percentile interval of the difference (bootstrap tests only).
    details : dict
        Test-specific numbers: McNemar's discordant counts ``only_a_correct`` (b) and
        ``only_b_correct`` (c); ``n_resamples`` of the resampling tests.

    Examples
    --------
    >>> r = PairedTestResult("mcnemar", 0.1, 0.03, n=40)
    >>> r.significant, r.decision(0.01)
    (True, 'not significant at alpha = 0.01')
    """

    test: str
    difference: float
    p_value: float
    n: int = 0
    alpha: float = 0.05
    low: float | None = None
    high: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha}")

    def significant_at(self, alpha: float) -> bool:
        """Whether H0 (no difference) is rejected at level ``alpha``: ``p_value <= alpha``."""
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {alpha}")
        return bool(self.p_value <= alpha)

    @property
    def significant(self) -> bool:
        """Whether the difference is significant at the result's own ``alpha``."""
        return self.significant_at(self.alpha)

    def decision(self, alpha: float | None = None) -> str:
        """``"significant at alpha = 0.05"`` or ``"not significant at alpha = 0.05"``."""
        level = self.alpha if alpha is None else alpha
        verdict = "significant" if self.significant_at(level) else "not significant"
        return f"{verdict} at alpha = {level:g}"

    def as_dict(self) -> dict[str, Any]:
        """JSON form, with the decision at the result's ``alpha``."""
        return {
            "test": self.test,
            "difference": self.difference,
            "p_value": self.p_value,
            "n": self.n,
            "alpha": self.alpha,
            "significant": self.significant,
            "decision": self.decision(),
            "low": self.low,
            "high": self.high,
            **self.details,
        }


def _paired(a: ArrayLike, b: ArrayLike) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    x, y = np.asarray(a).ravel(), np.asarray(b).ravel()
    if x.shape != y.shape:
        raise ValueError(f"paired inputs must have the same length, got {x.size} and {y.size}")
    if x.size == 0:
        raise ValueError("paired inputs are empty")
    for name, v in (("correct_a", x), ("correct_b", y)):
        if not np.all((v == 0) | (v == 1)):
            raise ValueError(f"{name} must hold 0/1 (or boolean) correctness values")
    return x.astype(bool), y.astype(bool)


def _two_sided_shift_p(samples: NDArray[np.float64], observed: float) -> float:
    """Berg-Kirkpatrick's shifted bootstrap p-value, made two-sided, as ``(count+1)/(B+1)``.

    Under H0 the bootstrap distribution is re-centred at 0, so the chance of a difference at
    least as extreme as the observed one is the share of ``|s - observed| >= |observed|``
    (Berg-Kirkpatrick's one-sided ``s > 2 * observed`` taken on both tails). The observed data
    count as one resample (:func:`~evalsuite.metrics.resampling.resampling_p_value`), so the
    p-value is never 0: at least ``1 / (B + 1)``.
    """
    tol = 1e-12 * max(1.0, abs(observed))
    extreme = int(np.sum(np.abs(samples - observed) >= abs(observed) - tol))
    return resampling_p_value(extreme, samples.size)


# -- two systems -------------------------------------------------------------------------------
def mcnemar_test(
    correct_a: ArrayLike, correct_b: ArrayLike, *, alpha: float = 0.05
) -> PairedTestResult:
    """McNemar's exact test (statsmodels) on the discordant pairs.

    ``b`` counts examples only A gets right, ``c`` those only B gets right; the exact p-value is
    the two-sided binomial test of ``b`` out of ``b + c`` at 1/2.

    Examples
    --------
    >>> a = [1] * 10 + [0] * 2 + [1] * 5
    >>> b = [0] * 10 + [1] * 2 + [1] * 5
    >>> r = mcnemar_test(a, b)
    >>> r.details["only_a_correct"], r.details["only_b_correct"], round(r.p_value, 7)
    (10, 2, 0.0385742)
    """
    from statsmodels.stats.contingency_tables import mcnemar

    x, y = _paired(correct_a, correct_b)
    both, only_a = int(np.sum(x & y)), int(np.sum(x & ~y))
    only_b, neither = int(np.sum(~x & y)), int(np.sum(~x & ~y))
    p = 1.0 if only_a + only_b == 0 else float(
        mcnemar([[both, only_a], [only_b, neither]], exact=True).pvalue
    )  # fmt: skip
    return PairedTestResult(
        test="mcnemar",
        difference=float(x.mean() - y.mean()),
        p_value=p,
        n=int(x.size),
        alpha=alpha,
        details={"only_a_correct": only_a, "only_b_correct": only_b},
    )


def paired_bootstrap_test(
    correct_a: ArrayLike,
    correct_b: ArrayLike,
    *,
    n_resamples: int = 10_000,
    alpha: float = 0.05,
    rng: RandomState = None,
) -> PairedTestResult:
    """Paired bootstrap of the accuracy difference: p-value and percentile interval.

    Resampling ``n`` example pairs with replacement changes the accuracy difference only through
    how many resampled pairs are (right, wrong) and (wrong, right). Those two counts and the rest
    follow a multinomial law, so all resamples are drawn at once with ``Generator.multinomial``:
    exactly the distribution of index resampling, at O(n_resamples) cost instead of
    O(n_resamples * n).

    Examples
    --------
    >>> r = paired_bootstrap_test([1, 1, 1, 1, 0], [0, 0, 1, 1, 0], rng=0, n_resamples=2000)
    >>> r.difference, r.low <= r.difference <= r.high
    (0.4, True)
    """
    x, y = _paired(correct_a, correct_b)
    samples = _accuracy_difference_samples(x, y, n_resamples, rng)
    observed = float(x.mean() - y.mean())
    low, high = percentile_interval(samples, alpha=alpha)
    return PairedTestResult(
        test="bootstrap",
        difference=observed,
        p_value=_two_sided_shift_p(samples, observed),
        n=int(x.size),
        alpha=alpha,
        low=low,
        high=high,
        details={"n_resamples": int(n_resamples)},
    )


def _accuracy_difference_samples(
    x: NDArray[np.bool_], y: NDArray[np.bool_], n_resamples: int, rng: RandomState
) -> NDArray[np.float64]:
    """Bootstrap draws of ``mean(x) - mean(y)`` over resampled example pairs (multinomial)."""
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be positive, got {n_resamples}")
    n = x.size
    counts = np.array([np.sum(x & ~y), np.sum(~x & y)], dtype=np.float64)
    pvals = np.append(counts / n, max(0.0, 1.0 - counts.sum() / n))
    draws = as_generator(rng).multinomial(n, pvals / pvals.sum(), size=int(n_resamples))
    return np.asarray((draws[:, 0] - draws[:, 1]) / n, dtype=np.float64)


def paired_accuracy_interval(
    correct_a: ArrayLike,
    correct_b: ArrayLike,
    *,
    n_resamples: int = 10_000,
    alpha: float = 0.05,
    rng: RandomState = None,
) -> Interval:
    """Paired bootstrap percentile interval of the accuracy difference A - B, on its own.

    A comparison reports this interval whatever test gives its p-value, drawn from an rng
    stream of its own, so the interval cannot change with the test chosen.

    Examples
    --------
    >>> i = paired_accuracy_interval([1, 1, 1, 1, 0], [0, 0, 1, 1, 0], rng=0, n_resamples=2000)
    >>> i.method, i.low <= 0.4 <= i.high
    ('paired bootstrap percentile', True)
    """
    x, y = _paired(correct_a, correct_b)
    low, high = percentile_interval(
        _accuracy_difference_samples(x, y, n_resamples, rng), alpha=alpha
    )
    return Interval(low, high, "paired bootstrap percentile", 1.0 - alpha)


def paired_bootstrap_ece_test(
    y_prob_a: ArrayLike,
    correct_a: ArrayLike,
    y_prob_b: ArrayLike,
    correct_b: ArrayLike,
    *,
    n_bins: int = 10,
    n_resamples: int = 2000,
    alpha: float = 0.05,
    rng: RandomState = None,
) -> PairedTestResult:
    """Paired bootstrap of ``ECE(A) - ECE(B)`` (equal-width bins): p-value and interval.

    The same resampled examples are used for both systems. Bins stay fixed across resamples,
    so each chunk of resamples is one bincount per system (vectorised, chunked for memory).
    """
    x, y = _paired(correct_a, correct_b)
    pa = np.asarray(y_prob_a, dtype=np.float64).ravel()
    pb = np.asarray(y_prob_b, dtype=np.float64).ravel()
    if pa.shape != x.shape or pb.shape != x.shape:
        raise ValueError("confidences and correctness must all have the same length")
    if not (np.all(np.isfinite(pa)) and np.all(np.isfinite(pb))):
        raise ValueError("every paired example needs a confidence in both runs")
    edges = bin_edges(pa, n_bins=n_bins)
    index_a, index_b = assign_bins(pa, edges), assign_bins(pb, edges)
    resid_a, resid_b = x - pa, y - pb
    generator = as_generator(rng)
    samples = np.concatenate(
        [
            binned_residual_sums(index_a, resid_a, n_bins, rows)
            - binned_residual_sums(index_b, resid_b, n_bins, rows)
            for rows in bootstrap_index_chunks(x.size, n_resamples, generator)
        ]
    )
    everything = np.arange(x.size)[None, :]
    observed = float(
        binned_residual_sums(index_a, resid_a, n_bins, everything)[0]
        - binned_residual_sums(index_b, resid_b, n_bins, everything)[0]
    )
    low, high = percentile_interval(samples, alpha=alpha)
    return PairedTestResult(
        test="bootstrap_ece",
        difference=observed,
        p_value=_two_sided_shift_p(samples, observed),
        n=int(x.size),
        alpha=alpha,
        low=low,
        high=high,
        details={"n_resamples": int(n_resamples), "n_bins": int(n_bins)},
    )


def paired_permutation_test(
    correct_a: ArrayLike,
    correct_b: ArrayLike,
    *,
    n_resamples: int = 9999,
    alpha: float = 0.05,
    rng: RandomState = None,
) -> PairedTestResult:
    """Paired permutation (sign-flip) test of the accuracy difference, via scipy.

    Under H0 the two systems' outputs are exchangeable within each example, so scipy's
    ``permutation_test(permutation_type="samples")`` swaps them pair by pair. When there are
    fewer sign flips than ``n_resamples`` scipy enumerates them all (an exact p-value);
    otherwise its randomised p-value already counts the observed data as one resample,
    ``(count + 1) / (B + 1)`` per tail, so it is never below ``1 / (B + 1)``.

    Examples
    --------
    >>> r = paired_permutation_test([1] * 20 + [0] * 10, [0] * 20 + [0] * 10, rng=0)
    >>> r.difference, r.p_value < 0.001
    (0.6666666666666666, True)
    """
    from scipy.stats import permutation_test

    x, y = _paired(correct_a, correct_b)

    def mean_difference(u: NDArray[np.float64], v: NDArray[np.float64], axis: int) -> Any:
        return np.mean(u, axis=axis) - np.mean(v, axis=axis)

    result = permutation_test(
        (x.astype(np.float64), y.astype(np.float64)),
        mean_difference,
        permutation_type="samples",
        vectorized=True,
        n_resamples=int(n_resamples),
        alternative="two-sided",
        rng=as_generator(rng),
    )
    return PairedTestResult(
        test="permutation",
        difference=float(result.statistic),
        p_value=float(result.pvalue),
        n=int(x.size),
        alpha=alpha,
        details={"n_resamples": int(n_resamples)},
    )


PairedTest = Callable[..., PairedTestResult]

PAIRED_TESTS: Registry[PairedTest] = Registry(
    "test",
    {
        "bootstrap": lambda a, b, *, n_resamples, rng, alpha=0.05: paired_bootstrap_test(
            a, b, n_resamples=n_resamples, alpha=alpha, rng=rng
        ),
        "mcnemar": lambda a, b, *, n_resamples, rng, alpha=0.05: mcnemar_test(a, b, alpha=alpha),
        "permutation": lambda a, b, *, n_resamples, rng, alpha=0.05: paired_permutation_test(
            a, b, n_resamples=n_resamples, alpha=alpha, rng=rng
        ),
    },
    error=ValueError,
)
"""Accuracy tests by the names of :data:`evalsuite.names.PAIRED_TESTS`, as ``evalsuite compare
--test`` offers them: ``PAIRED_TESTS[name](correct_a, correct_b, n_resamples=..., rng=...,
alpha=0.05)``."""


# -- three or more systems ---------------------------------------------------------------------
@dataclass(frozen=True)
class CochranResult:
    """Cochran's Q test that several systems have the same accuracy on paired examples."""

    statistic: float
    df: int
    p_value: float


def cochrans_q_test(correct: ArrayLike) -> CochranResult:
    """Cochran's Q (statsmodels) over ``correct`` of shape (n_systems, n_examples).

    Examples
    --------
    >>> r = cochrans_q_test([[1, 1, 1, 1, 0, 1], [1, 1, 1, 0, 0, 0], [1, 0, 1, 0, 0, 0]])
    >>> r.df, round(r.statistic, 4)
    (2, 4.6667)
    """
    from statsmodels.stats.contingency_tables import cochrans_q

    table = np.asarray(correct)
    if table.ndim != 2 or table.shape[0] < 2:
        raise ValueError(f"correct must have shape (n_systems >= 2, n), got {table.shape}")
    if np.all(table == table[:1]):  # no example where the systems disagree: Q is 0/0
        return CochranResult(statistic=0.0, df=table.shape[0] - 1, p_value=1.0)
    result = cochrans_q(table.T.astype(np.int64))
    return CochranResult(float(result.statistic), int(result.df), float(result.pvalue))


def holm_adjust(p_values: ArrayLike) -> NDArray[np.float64]:
    """Holm's step-down adjusted p-values (statsmodels ``multipletests(method="holm")``).

    Examples
    --------
    >>> holm_adjust([0.01, 0.04, 0.03, 0.005]).round(6).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=np.float64).ravel()
    if p.size == 0:
        return p
    return np.asarray(multipletests(p, method="holm")[1], dtype=np.float64)


@dataclass(frozen=True)
class PairwiseComparison:
    """One pair among several systems, with its Holm-adjusted p-value."""

    a: str
    b: str
    result: PairedTestResult
    p_holm: float

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"a": self.a, "b": self.b, **self.result.as_dict(), "p_holm": self.p_holm}


def pairwise_tests(
    names: Sequence[str],
    correct: ArrayLike,
    *,
    test: str = "mcnemar",
    n_resamples: int = 10_000,
    rng: RandomState = None,
) -> list[PairwiseComparison]:
    """Every pair of systems with the chosen paired test, p-values Holm-adjusted together.

    Parameters
    ----------
    names : sequence of str
        One per row of ``correct``.
    correct : array-like of shape (n_systems, n)
    test : str
        A key of :data:`PAIRED_TESTS`.

    Raises
    ------
    ValueError
        For an unknown test name or mismatched shapes.
    """
    paired_test = PAIRED_TESTS[test]
    table = np.asarray(correct).astype(bool)
    if table.ndim != 2 or table.shape[0] != len(names):
        raise ValueError(f"correct must have one row per name, got {table.shape} for {len(names)}")
    generator = as_generator(rng)
    pairs = list(combinations(range(len(names)), 2))
    results = [
        paired_test(table[i], table[j], n_resamples=n_resamples, rng=generator) for i, j in pairs
    ]
    adjusted = holm_adjust([r.p_value for r in results])
    return [
        PairwiseComparison(names[i], names[j], r, float(p))
        for (i, j), r, p in zip(pairs, results, adjusted, strict=True)
    ]


# -- repeated seeds ----------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupStats:
    """A metric over several seeds of one system: mean, sample sd (ddof=1) and the values."""

    name: str
    values: tuple[float, ...]
    mean: float
    sd: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"name": self.name, "values": list(self.values), "mean": self.mean, "sd": self.sd}


def group_stats(name: str, values: ArrayLike) -> GroupStats:
    """Mean and sample sd over seeds (sd is None with a single seed).

    Examples
    --------
    >>> g = group_stats("dss", [0.5, 0.6, 0.7])
    >>> round(g.mean, 6), round(g.sd, 6)
    (0.6, 0.1)
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError(f"group '{name}' has no runs")
    sd = float(np.std(v, ddof=1)) if v.size > 1 else None
    return GroupStats(name, tuple(float(x) for x in v), float(v.mean()), sd)


def welch_seed_test(a: GroupStats, b: GroupStats, *, alpha: float = 0.05) -> PairedTestResult:
    """Welch's t-test (scipy) that two systems' seed-to-seed mean metrics differ.

    Seeds, not examples, are the unit here: the question is whether the difference survives
    retraining. Needs at least two seeds per group.
    """
    from scipy.stats import ttest_ind

    if len(a.values) < 2 or len(b.values) < 2:
        raise ValueError(
            f"a test across seeds needs at least two runs per group; "
            f"'{a.name}' has {len(a.values)}, '{b.name}' has {len(b.values)}"
        )
    result = ttest_ind(a.values, b.values, equal_var=False)
    p = float(result.pvalue)
    return PairedTestResult(
        test="welch",
        difference=a.mean - b.mean,
        p_value=1.0 if np.isnan(p) else p,
        n=len(a.values) + len(b.values),
        alpha=alpha,
        details={"statistic": float(result.statistic), "df": float(result.df)},
    )
