"""Mutual information between a run's label and rationale representations, in nats.

Estimators (one registry, :data:`ESTIMATORS`):

- ``ksg``: Kraskov-Stoegbauer-Grassberger (algorithm 1), k nearest neighbours in the max-norm
  with ``scipy.spatial.cKDTree``, after PCA of each side to a few components (kNN estimators
  degrade quickly with dimension).
- ``infonce``, ``nwj``, ``smile``: variational lower bounds with a critic trained on one split
  and evaluated on held-out pairs (:mod:`evalsuite.metrics.critics`). InfoNCE can never exceed
  ``log N`` (N = evaluation batch), so it saturates when the MI is large.
- ``club``: the CLUB upper bound (only an upper bound when ``q(y|x)`` fits well).
- ``probe``: for closed label sets, ``I(Y; R) >= H(Y) - CE(probe)`` with a cross-validated
  logistic-regression probe from R to the label Y.

This is an estimate of I(label representation; rationale representation), not lm-eval's
``acc_mutual_info`` (a scoring rule for multiple-choice answers).

The ``low``/``high`` an estimator returns by itself are not confidence intervals (see
:class:`MIEstimate`). Reported intervals come from :mod:`evalsuite.metrics.mi_bootstrap`
(resampled examples); each estimator's bias at the widths in use from
:mod:`evalsuite.metrics.mi_truth`; and disagreements between estimators are turned into warning
lines by :mod:`evalsuite.metrics.mi_checks`.

References
----------
Kraskov, Stoegbauer & Grassberger, "Estimating mutual information", Phys. Rev. E 69, 2004.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree
from scipy.special import digamma

from evalsuite.metrics.critics import CriticConfig, club_bound, variational_bound
from evalsuite.metrics.resampling import RandomState, as_generator
from evalsuite.registry import Registry

__all__ = [
    "ESTIMATORS",
    "MIConfig",
    "MIEstimate",
    "complete_pairs",
    "estimate_mutual_information",
    "gaussian_mutual_information",
    "ksg_mutual_information",
    "probe_mutual_information",
    "reduce_dimension",
]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class MIEstimate:
    """One MI estimate in nats with its interval and what it is.

    Attributes
    ----------
    estimator : str
    value : float
        Nats.
    low, high : float
        As returned by an estimator alone, a rough spread and not a confidence interval:
        for ``ksg`` and ``probe`` mean +- 1.96 standard errors of the per-example terms (kNN
        terms are not independent, so this is too narrow), for the neural bounds the range over
        seeds. :func:`evalsuite.metrics.mi_bootstrap.mutual_information_with_interval` replaces
        them with a resampling interval over examples and says so in ``details["interval"]``.
    n : int
        Pairs used.
    kind : str
        ``"estimate"``, ``"lower bound"`` or ``"upper bound"``.
    caveat : str
        What to keep in mind when reading the number (printed with it).
    details : dict
        Per-seed values, the bound ``log N``, components kept, dropped labels ...
    """

    estimator: str
    value: float
    low: float
    high: float
    n: int
    kind: str
    caveat: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "estimator": self.estimator,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "kind": self.kind,
            "caveat": self.caveat,
            **self.details,
        }


@dataclass(frozen=True)
class MIConfig:
    """Settings of every estimator; validated once.

    Attributes
    ----------
    k : int
        Neighbours for KSG.
    ksg_components : int
        PCA components per side before KSG.
    critic_components : int
        PCA components per side before the neural estimators.
    n_seeds : int
        Independent trainings of each neural estimator (the interval is their range).
    probe_folds : int
        Cross-validation folds of the probe.
    critic : CriticConfig
        Network and training settings.
    """

    k: int = 3
    ksg_components: int = 4
    critic_components: int = 16
    n_seeds: int = 3
    probe_folds: int = 5
    critic: CriticConfig = field(default_factory=CriticConfig)

    def __post_init__(self) -> None:
        for name in ("k", "ksg_components", "critic_components", "n_seeds"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"MIConfig.{name} must be a positive integer, got {value!r}")
        if not isinstance(self.probe_folds, int) or self.probe_folds < 2:
            raise ValueError(f"MIConfig.probe_folds must be at least 2, got {self.probe_folds!r}")


def gaussian_mutual_information(rho: float, d: int) -> float:
    """``-d/2 log(1 - rho^2)``: MI of d independent pairs of unit Gaussians with correlation rho.

    Examples
    --------
    >>> round(gaussian_mutual_information(0.8, 1), 6)
    0.510826
    """
    return float(-0.5 * d * np.log1p(-(rho**2)))


def _as_matrix(values: ArrayLike, name: str) -> Array:
    a = np.asarray(values, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (n,) or (n, d), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return a


def complete_pairs(x: ArrayLike, y: ArrayLike) -> NDArray[np.bool_]:
    """Rows where both ``x`` and ``y`` are finite: the pairs MI can be estimated on.

    A scorer writes a NaN row where an example has no such representation (a single-output
    generation that states no rationale), so those examples are left out rather than the run.

    >>> complete_pairs([[0.0], [np.nan], [1.0]], [[1.0], [2.0], [np.inf]]).tolist()
    [True, False, False]
    """
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    finite_a = np.isfinite(a).reshape(a.shape[0], -1).all(axis=1)
    finite_b = np.isfinite(b).reshape(b.shape[0], -1).all(axis=1)
    if finite_a.shape != finite_b.shape:
        raise ValueError(f"x and y must pair up, got {a.shape[0]} and {b.shape[0]} rows")
    return np.asarray(finite_a & finite_b)


def reduce_dimension(values: ArrayLike, n_components: int) -> Array:
    """Centre, project on the top ``n_components`` principal axes (if wider), standardise.

    Constant directions are dropped (they carry no information and break the scaling).
    """
    a = _as_matrix(values, "values")
    a = a - a.mean(axis=0)
    if a.shape[1] > n_components:
        _, _, vt = np.linalg.svd(a, full_matrices=False)
        a = a @ vt[:n_components].T
    sd = a.std(axis=0)
    keep = sd > 1e-12 * max(1.0, float(sd.max(initial=0.0)))
    if not np.any(keep):
        raise ValueError("representation is constant: mutual information is zero and undefined")
    return a[:, keep] / sd[keep]


def _paired_matrices(x: ArrayLike, y: ArrayLike) -> tuple[Array, Array]:
    a, b = _as_matrix(x, "x"), _as_matrix(y, "y")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"x and y must pair up, got {a.shape[0]} and {b.shape[0]} rows")
    return a, b


def _mean_interval(terms: Array) -> tuple[float, float, float]:
    mean = float(terms.mean())
    half = 1.96 * float(terms.std(ddof=1)) / np.sqrt(terms.size) if terms.size > 1 else 0.0
    return mean, float(mean - half), float(mean + half)


# -- KSG -------------------------------------------------------------------------------------------
def ksg_mutual_information(
    x: ArrayLike, y: ArrayLike, *, k: int = 3, n_components: int = 4, rng: RandomState = 0
) -> MIEstimate:
    """KSG estimator (algorithm 1): ``psi(k) + psi(N) - <psi(n_x + 1) + psi(n_y + 1)>``.

    ``n_x`` counts the points strictly closer in x than the k-th joint neighbour (max-norm).
    Each side is reduced to ``n_components`` principal components and standardised first, and
    a 1e-10 jitter (seeded) breaks ties between identical points, as scikit-learn does.

    Parameters
    ----------
    x, y : array-like of shape (n, dx) and (n, dy)
    k : int
        Neighbours; small k has less bias, large k less variance.
    n_components : int
    rng : Generator, int or None
        Seed of the jitter only.

    Examples
    --------
    >>> r = np.random.default_rng(0)
    >>> x = r.normal(size=2000); y = 0.8 * x + 0.6 * r.normal(size=2000)
    >>> abs(ksg_mutual_information(x, y).value - gaussian_mutual_information(0.8, 1)) < 0.05
    True
    """
    a, b = _paired_matrices(x, y)
    n = a.shape[0]
    if not 1 <= k < n:
        raise ValueError(f"k must be in [1, n - 1] = [1, {n - 1}], got {k}")
    a, b = reduce_dimension(a, n_components), reduce_dimension(b, n_components)
    generator = as_generator(rng)
    a = a + 1e-10 * generator.standard_normal(a.shape)
    b = b + 1e-10 * generator.standard_normal(b.shape)
    joint = np.hstack([a, b])
    distance, _ = cKDTree(joint).query(joint, k=k + 1, p=np.inf, workers=-1)
    radius = np.nextafter(distance[:, k], 0.0)  # strictly closer than the k-th neighbour
    count_x = cKDTree(a).query_ball_point(a, radius, p=np.inf, return_length=True, workers=-1)
    count_y = cKDTree(b).query_ball_point(b, radius, p=np.inf, return_length=True, workers=-1)
    # counts include the point itself, so they already equal n_x + 1 and n_y + 1
    terms = digamma(k) + digamma(n) - digamma(count_x) - digamma(count_y)
    value, low, high = _mean_interval(terms)
    return MIEstimate(
        estimator="ksg",
        value=value,
        low=low,
        high=high,
        n=n,
        kind="estimate",
        caveat=(
            f"kNN estimate after PCA to {a.shape[1]}+{b.shape[1]} components, k={k}; "
            "biased low when the MI is large or the dimension high"
        ),
        details={"k": k, "components": [a.shape[1], b.shape[1]]},
    )


# -- neural bounds ---------------------------------------------------------------------------------
def _seeded(
    name: str,
    x: ArrayLike,
    y: ArrayLike,
    config: MIConfig,
    rng: RandomState,
    train: Callable[[Array, Array, np.random.Generator], float],
) -> tuple[Array, int, Array, Array]:
    a, b = _paired_matrices(x, y)
    a = reduce_dimension(a, config.critic_components)
    b = reduce_dimension(b, config.critic_components)
    seeds = as_generator(rng).spawn(config.n_seeds)
    values = np.array([train(a, b, s) for s in seeds])
    return values, a.shape[0], a, b


def _neural_estimate(
    name: str, values: Array, n: int, kind: str, caveat: str, **details: Any
) -> MIEstimate:
    return MIEstimate(
        estimator=name,
        value=float(values.mean()),
        low=float(values.min()),
        high=float(values.max()),
        n=n,
        kind=kind,
        caveat=caveat,
        details={"seed_values": [float(v) for v in values], **details},
    )


def _eval_batch(n: int, config: MIConfig) -> int:  # mirrors critics._split
    n_test = max(2, round(n * config.critic.test_fraction))
    return min(config.critic.batch_size, n_test)


def _bound_estimator(bound: str, caveat: str) -> Callable[..., MIEstimate]:
    def estimate(
        x: ArrayLike, y: ArrayLike, *, config: MIConfig | None = None, rng: RandomState = 0
    ) -> MIEstimate:
        cfg = config or MIConfig()
        values, n, _, _ = _seeded(
            bound,
            x,
            y,
            cfg,
            rng,
            lambda a, b, s: variational_bound(a, b, bound=bound, config=cfg.critic, rng=s),
        )
        batch = _eval_batch(n, cfg)
        log_n = float(np.log(batch))
        return _neural_estimate(
            bound,
            values,
            n,
            "lower bound",
            caveat.format(log_n=log_n, batch=batch),
            eval_batch=batch,
            log_n=log_n,
        )

    estimate.__name__ = f"{bound}_mutual_information"
    estimate.__doc__ = f"The {bound} lower bound, trained and evaluated per seed (held-out)."
    return estimate


infonce_mutual_information = _bound_estimator(
    "infonce",
    "lower bound; InfoNCE <= log N = {log_n:.3f} nats (N = {batch} held-out pairs per batch), "
    "so it saturates near log N",
)
nwj_mutual_information = _bound_estimator(
    "nwj", "lower bound; NWJ is unbiased but high-variance when the MI is large"
)
smile_mutual_information = _bound_estimator(
    "smile", "clipped Donsker-Varadhan (tau=5) on a JS-trained critic; biased, low variance"
)


def club_mutual_information(
    x: ArrayLike, y: ArrayLike, *, config: MIConfig | None = None, rng: RandomState = 0
) -> MIEstimate:
    """The CLUB upper bound with a Gaussian variational conditional, per seed (held-out)."""
    cfg = config or MIConfig()
    values, n, _, _ = _seeded(
        "club", x, y, cfg, rng, lambda a, b, s: club_bound(a, b, config=cfg.critic, rng=s)
    )
    return _neural_estimate(
        "club",
        values,
        n,
        "upper bound",
        "upper bound only insofar as the Gaussian q(y|x) fits the true conditional",
    )


# -- probe -----------------------------------------------------------------------------------------
def probe_mutual_information(
    labels: Sequence[str] | ArrayLike,
    x: ArrayLike,
    *,
    folds: int = 5,
    n_components: int = 16,
    rng: RandomState = 0,
) -> MIEstimate:
    """``I(Y; X) >= H(Y) - CE``: a cross-validated logistic-regression probe from X to labels Y.

    Any predictor q gives ``H(Y) - E[-log q(Y|X)] <= I(Y; X)``; the probe (scikit-learn
    ``LogisticRegression``) is fitted on k-1 folds and scored on the held-out fold, and H(Y) is
    the plug-in entropy of the label frequencies. Labels with fewer than ``folds`` examples are
    left out (and counted in ``details``).

    Raises
    ------
    ValueError
        When fewer than two labels have at least ``folds`` examples.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = np.asarray(labels, dtype=object).ravel()
    a = _as_matrix(x, "x")
    if a.shape[0] != y.size:
        raise ValueError(f"labels and x must pair up, got {y.size} and {a.shape[0]}")
    names, counts = np.unique(y.astype(str), return_counts=True)
    kept = set(names[counts >= folds])
    mask = np.array([str(v) in kept for v in y])
    if len(kept) < 2:
        raise ValueError(
            f"the probe needs at least two labels with >= {folds} examples each, "
            f"got counts {dict(zip(names.tolist(), counts.tolist(), strict=True))}"
        )
    target = y[mask].astype(str)
    features = reduce_dimension(a[mask], n_components)
    seed = int(as_generator(rng).integers(2**31 - 1))
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    probs = cross_val_predict(
        LogisticRegression(max_iter=1000), features, target, cv=split, method="predict_proba"
    )
    classes = np.unique(target)  # the column order of predict_proba
    column = np.searchsorted(classes, target)
    prior = np.bincount(column) / column.size
    q = np.clip(probs[np.arange(column.size), column], 1e-12, 1.0)
    terms = -np.log(prior[column]) + np.log(q)
    value, low, high = _mean_interval(terms)
    return MIEstimate(
        estimator="probe",
        value=value,
        low=low,
        high=high,
        n=int(column.size),
        kind="lower bound",
        caveat=f"H(Y) - CE of a {folds}-fold logistic probe; only as tight as the probe is good",
        details={
            "entropy": float(-(prior * np.log(prior)).sum()),
            "labels": len(classes),
            "dropped": int((~mask).sum()),
        },
    )


# -- registry --------------------------------------------------------------------------------------
def _pair_estimator(
    fn: Callable[..., MIEstimate],
) -> Callable[[Array, Array, Any, MIConfig, RandomState], MIEstimate]:
    return lambda x, y, labels, config, rng: fn(x, y, config=config, rng=rng)


Estimator = Callable[[Array, Array, Any, MIConfig, RandomState], MIEstimate]

ESTIMATORS: Registry[Estimator] = Registry(
    "estimator",
    {
        "ksg": lambda x, y, labels, config, rng: ksg_mutual_information(
            x, y, k=config.k, n_components=config.ksg_components, rng=rng
        ),
        "infonce": _pair_estimator(infonce_mutual_information),
        "nwj": _pair_estimator(nwj_mutual_information),
        "smile": _pair_estimator(smile_mutual_information),
        "club": _pair_estimator(club_mutual_information),
        "probe": lambda x, y, labels, config, rng: probe_mutual_information(
            labels, y, folds=config.probe_folds, n_components=config.critic_components, rng=rng
        ),
    },
    error=ValueError,
)
"""Estimators by the names of :data:`evalsuite.names.MI_ESTIMATORS`: ``fn(x, y, labels,
config, rng)``; ``probe`` uses labels and y only."""


def estimate_mutual_information(
    name: str,
    x: ArrayLike,
    y: ArrayLike,
    *,
    labels: Sequence[str] | None = None,
    config: MIConfig | None = None,
    rng: RandomState = 0,
) -> MIEstimate:
    """Run the estimator registered as ``name`` on paired ``x`` and ``y``.

    Raises
    ------
    ValueError
        For an unknown name, or ``probe`` without labels.
    """
    estimator = ESTIMATORS[name]
    if name == "probe" and labels is None:
        raise ValueError("the probe needs labels (a closed label set)")
    a, b = _paired_matrices(x, y)
    return estimator(a, b, labels, config or MIConfig(), rng)
