"""Known-truth checks: how far each MI estimator is off at the sample size and widths in use.

An MI estimate from a few hundred pairs of 128-dimensional representations is biased, and by
how much depends on n, the widths, the estimator and its settings (KSG's PCA components above
all). So rather than trusting any one of them, simulate data with the same n and widths whose MI
is known, run the estimator as it is run on the real data, and report the bias; the report can
then state it beside the number, and KSG's number of components is the one with the smallest
bias there.

The simulated data (:func:`correlated_gaussians`) model representations whose shared information
lives in a few leading directions: ``signal_dims`` coordinate pairs with correlation ``rho`` and
standard deviation ``signal_scale``, the other coordinates independent unit noise, then a random
rotation of each side. Its MI is ``-signal_dims / 2 * log(1 - rho^2)`` exactly (rotations and
scalings of one side do not change MI), whatever the width. This is an assumption about the
representations, stated with every bias it produces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import quad
from scipy.special import xlogy
from scipy.stats import norm

from evalsuite.metrics.mutual_info import MIConfig, estimate_mutual_information
from evalsuite.metrics.resampling import RandomState, as_generator

__all__ = [
    "COVERAGE_TOLERANCE",
    "KSG_COMPONENT_GRID",
    "BiasCheck",
    "GaussianSample",
    "choose_ksg_components",
    "correlated_gaussians",
    "known_truth_bias",
    "label_mutual_information",
]

KSG_COMPONENT_GRID: tuple[int, ...] = (2, 4, 8, 16)
"""PCA components per side that :func:`choose_ksg_components` tries."""
COVERAGE_TOLERANCE = 0.025
"""A bias that would cost an interval more than this much of its nominal coverage is warned of."""

Array = NDArray[np.float64]


@dataclass(frozen=True)
class GaussianSample:
    """Paired samples with known MI, and a binary label with a known MI to ``y``.

    Attributes
    ----------
    x, y : ndarray of shape (n, dx) and (n, dy)
    labels : list of str
        ``"pos"``/``"neg"``, the sign of x's first signal coordinate (for the probe).
    mi : float
        ``I(x; y)`` in nats.
    label_mi : float
        ``I(label; y)`` in nats (what the probe bounds).
    """

    x: Array
    y: Array
    labels: list[str]
    mi: float
    label_mi: float


def _rho(mi: float, signal_dims: int) -> float:
    return float(np.sqrt(-np.expm1(-2.0 * mi / signal_dims)))


def label_mutual_information(rho: float) -> float:
    """``I(1[u > 0]; v)`` for unit Gaussians ``u, v`` with correlation ``rho``, by quadrature.

    ``P(u > 0 | v) = Phi(rho v / sqrt(1 - rho^2))``, so the MI is ``log 2 - E_v[h(Phi(.))]``
    with ``h`` the binary entropy in nats.

    Examples
    --------
    >>> label_mutual_information(0.0)
    0.0
    >>> bool(abs(label_mutual_information(0.999999) - np.log(2)) < 1e-3)
    True
    """
    if rho == 0.0:
        return 0.0
    slope = rho / np.sqrt(1.0 - rho * rho)

    def conditional_entropy(v: float) -> float:
        q = float(norm.cdf(slope * v))
        return float(-(xlogy(q, q) + xlogy(1.0 - q, 1.0 - q)) * norm.pdf(v))

    return float(np.log(2.0) - quad(conditional_entropy, -12.0, 12.0, limit=200)[0])


def correlated_gaussians(
    n: int,
    dx: int,
    dy: int,
    *,
    mi: float,
    signal_dims: int = 8,
    signal_scale: float = 2.0,
    rng: RandomState = None,
) -> GaussianSample:
    """``n`` pairs of Gaussian vectors of widths ``dx`` and ``dy`` with ``I(x; y) = mi`` nats.

    Raises
    ------
    ValueError
        When ``signal_dims`` exceeds a width, or ``mi`` is negative.

    Examples
    --------
    >>> s = correlated_gaussians(100, 128, 64, mi=2.0, rng=0)
    >>> s.x.shape, s.y.shape, s.mi
    ((100, 128), (100, 64), 2.0)
    """
    if not 1 <= signal_dims <= min(dx, dy):
        raise ValueError(f"signal_dims must be in [1, min(dx, dy)] = [1, {min(dx, dy)}]")
    if mi < 0:
        raise ValueError(f"mi must be non-negative, got {mi}")
    g = as_generator(rng)
    rho = _rho(mi, signal_dims)
    u = g.standard_normal((n, signal_dims))
    v = rho * u + np.sqrt(1.0 - rho * rho) * g.standard_normal((n, signal_dims))
    x, y = g.standard_normal((n, dx)), g.standard_normal((n, dy))
    x[:, :signal_dims], y[:, :signal_dims] = signal_scale * u, signal_scale * v
    rotate_x, _ = np.linalg.qr(g.standard_normal((dx, dx)))
    rotate_y, _ = np.linalg.qr(g.standard_normal((dy, dy)))
    return GaussianSample(
        x=x @ rotate_x,
        y=y @ rotate_y,
        labels=["pos" if value > 0 else "neg" for value in u[:, 0]],
        mi=float(-0.5 * signal_dims * np.log1p(-rho * rho)),
        label_mi=label_mutual_information(rho),
    )


@dataclass(frozen=True)
class BiasCheck:
    """An estimator's mean error on simulated data with known MI at the settings in use.

    Attributes
    ----------
    estimator : str
    n, dx, dy : int
        Pairs and widths simulated (those of the real data).
    truth : float
        The simulated MI (``I(label; y)`` for the probe).
    values : tuple of float
        One estimate per replicate.
    signal_dims : int
        Directions the simulated MI lives in (the modelling assumption).
    settings : dict
        What else shaped the estimate (e.g. KSG's components).
    """

    estimator: str
    n: int
    dx: int
    dy: int
    truth: float
    values: tuple[float, ...]
    signal_dims: int
    settings: dict[str, Any]

    @property
    def bias(self) -> float:
        """Mean estimate minus the truth (negative: biased low)."""
        return float(np.mean(self.values) - self.truth)

    @property
    def spread(self) -> float:
        """Standard deviation of the replicates (0 with one replicate)."""
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else 0.0

    def coverage(self, half_width: float, *, level: float = 0.95) -> float:
        """Coverage of the truth by ``estimate +- half_width`` if the estimator has this bias.

        The interval is read as ``level``-normal, ``half_width = z * sigma``; shifted by the
        bias ``b`` it covers the truth with probability
        ``Phi(z - |b|/sigma) - Phi(-z - |b|/sigma)``.
        """
        z = float(norm.ppf(0.5 + level / 2))
        if half_width <= 0:
            return 0.0 if self.bias != 0 else 1.0
        shift = abs(self.bias) * z / half_width
        return float(norm.cdf(z - shift) - norm.cdf(-z - shift))

    def warning(self, half_width: float, *, level: float = 0.95) -> str | None:
        """A warning line when the bias costs an interval of this half-width more than
        :data:`COVERAGE_TOLERANCE` of its coverage, else None.

        Examples
        --------
        >>> c = BiasCheck("ksg", 500, 128, 128, 2.0, (0.8, 0.9), 8, {})
        >>> c.warning(0.1)[:34], c.warning(5.0)
        ('ksg: biased low by 1.15 nats at n=', None)
        """
        coverage = self.coverage(half_width, level=level)
        if coverage >= level - COVERAGE_TOLERANCE:
            return None
        direction = "low" if self.bias < 0 else "high"
        return (
            f"{self.estimator}: biased {direction} by {abs(self.bias):.2f} nats at n={self.n}, "
            f"d={self.dx}+{self.dy} (known-truth check: truth {self.truth:.2f} nats, Gaussian "
            f"signal in {self.signal_dims} directions, {len(self.values)} replicates), so its "
            f"{level:.0%} interval covers the truth only about {coverage:.0%} of the time"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "estimator": self.estimator,
            "n": self.n,
            "dims": [self.dx, self.dy],
            "truth": self.truth,
            "bias": self.bias,
            "spread": self.spread,
            "values": list(self.values),
            "signal_dims": self.signal_dims,
            **self.settings,
        }


def known_truth_bias(
    name: str,
    *,
    n: int,
    dx: int,
    dy: int,
    mi: float,
    config: MIConfig | None = None,
    signal_dims: int = 8,
    replicates: int = 3,
    rng: RandomState = 0,
) -> BiasCheck:
    """Run estimator ``name`` as configured on ``replicates`` simulated data sets with known MI.

    Parameters
    ----------
    name : str
        A key of :data:`evalsuite.metrics.mutual_info.ESTIMATORS`; ``probe`` is checked against
        ``I(label; y)`` of the simulated binary label.
    n, dx, dy : int
        The real data's pairs and widths.
    mi : float
        The simulated truth in nats (e.g. near the estimates on the real data).
    config : MIConfig, optional
        The settings the real estimate used.

    Examples
    --------
    >>> check = known_truth_bias("ksg", n=300, dx=32, dy=32, mi=1.0, replicates=2)
    >>> check.truth, len(check.values), check.bias < 0
    (1.0, 2, True)
    """
    if replicates < 1:
        raise ValueError(f"replicates must be positive, got {replicates}")
    cfg = config or MIConfig()
    values, truth = [], mi
    for stream in as_generator(rng).spawn(replicates):
        data_rng, fit_rng = stream.spawn(2)
        sample = correlated_gaussians(n, dx, dy, mi=mi, signal_dims=signal_dims, rng=data_rng)
        truth = sample.label_mi if name == "probe" else sample.mi
        values.append(
            estimate_mutual_information(
                name, sample.x, sample.y, labels=sample.labels, config=cfg, rng=fit_rng
            ).value
        )
    settings: dict[str, Any] = {"ksg_components": cfg.ksg_components} if name == "ksg" else {}
    return BiasCheck(name, n, dx, dy, truth, tuple(values), signal_dims, settings)


def choose_ksg_components(
    *,
    n: int,
    dx: int,
    dy: int,
    mi: float,
    grid: Sequence[int] = KSG_COMPONENT_GRID,
    config: MIConfig | None = None,
    signal_dims: int = 8,
    replicates: int = 3,
    rng: RandomState = 0,
) -> tuple[int, list[BiasCheck]]:
    """The PCA components per side with the smallest KSG bias at ``n``, ``dx``, ``dy``.

    Returns
    -------
    (int, list of BiasCheck)
        The chosen number of components and the check of every candidate (for the report).
    """
    cfg = config or MIConfig()
    usable = [c for c in grid if c <= min(dx, dy)] or [min(dx, dy)]
    checks = [
        known_truth_bias(
            "ksg",
            n=n,
            dx=dx,
            dy=dy,
            mi=mi,
            config=MIConfig(**{**cfg.__dict__, "ksg_components": c}),
            signal_dims=signal_dims,
            replicates=replicates,
            rng=rng,
        )
        for c in usable
    ]
    best = min(range(len(checks)), key=lambda i: abs(checks[i].bias))
    return usable[best], checks
