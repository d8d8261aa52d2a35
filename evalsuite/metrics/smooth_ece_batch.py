"""relplot's smooth ECE of many resamples at once, for the bootstrap interval.

:func:`relplot.smECE` takes one sample: per call it runs a bisection over the kernel bandwidth
(11 smoothers, each two ``np.convolve`` of ~3000 by ~1000 points), about 30 ms at n = 500, so
a 200-resample interval costs seconds. relplot has no batched form, so this module runs the
same computation for every resample in lockstep: each bisection step smooths all resamples
together, with one batch of FFT convolutions per group of equal grid sizes (each row with
its own kernel). Every other
step is relplot's, written for a batch: the reflected Gaussian kernel, the linear rounding to
its grid, the interpolation onto the evaluation mesh, the ``eps`` of its density and the
bandwidth search (:func:`relplot.metrics.search_param`, start 1, 10 halvings, ``eps`` 0.001).
The FFT agrees with ``np.convolve`` to rounding; the tests hold the result to relplot's within
1e-9 on many inputs.

relplot's logit-scaled kernel (``relplot.config.use_logit_scaling``) is not reproduced here;
with it set, each resample goes through :func:`relplot.smECE` itself.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["smooth_calibration_errors"]

_EPS = 0.001
"""relplot's ``smECE(eps=...)``: bandwidths below it are accepted without smoothing."""
_DENSITY_EPS = 0.0001
"""relplot's ``BaseKernelMixin.smooth(eps=...)``: added to the smoothed density."""
_REFINE = 10
"""relplot's ``search_param(refine=...)``: halvings of the bandwidth interval."""
_ROWS_PER_PASS = 100
"""Resamples searched together: bounds memory (two spectra per row at the finest grid)."""


def _grid_size(sigma: float) -> int:
    """relplot's ``GaussianKernel.apply`` grid: ``max(2000, round(20 / sigma)) // 2 + 1``."""
    return max(2000, round(20 / sigma)) // 2 + 1


def _mesh_size(sigma: float, mesh_points: int) -> int:
    """relplot's ``smooth_ece`` evaluation mesh: ``max(round(10 / sigma), smECE_mesh_pts)``."""
    return max(round(10 / sigma), mesh_points)


def _round_to_grid(f: NDArray, weights: NDArray, size: int) -> NDArray:
    """relplot's ``smooth_round_to_grid`` per row: each weight split linearly between the two
    grid points around its ``f``. ``f`` and ``weights`` are (rows, n); returns (rows, size)."""
    rows = f.shape[0]
    scaled = f * (size - 1)
    bins = scaled.astype(int).clip(0, size - 2)
    frac = scaled - bins
    offsets = (np.arange(rows) * size)[:, None]
    flat = np.bincount((bins + offsets).ravel(), ((1 - frac) * weights).ravel(), rows * size)
    flat += np.bincount((bins + 1 + offsets).ravel(), (frac * weights).ravel(), rows * size)
    return flat.reshape(rows, size)


class _ReflectedGrids:
    """Each row's residuals ``f - y`` and unit weights rounded to a grid, as spectra of their
    reflections, per grid size: they do not depend on the bandwidth, so each is computed once
    per search, not once per bisection step.

    relplot's ``ReflectedGaussianKernel.convolve`` convolves ``[flip(v)[:-1], v, flip(v)[1:]]``
    (``v`` the grid values) with the Gaussian sampled on the grid and keeps the middle
    ``size`` points. That sequence is a window of the periodic even extension of ``v``
    (period ``2 * size - 2``) and the kernel (``size`` points) is shorter than the period, so
    the kept points are a circular convolution over one period: one FFT per row.
    """

    def __init__(self, f: NDArray, y: NDArray) -> None:
        self.f, self.residual = f, f - y
        self._spectra: dict[int, tuple[NDArray, NDArray]] = {}

    def smooth(self, rows: NDArray, sigmas: NDArray, size: int) -> tuple[NDArray, NDArray]:
        """The smoothed residuals and density of ``rows`` on the grid of ``size`` points, each
        row at its bandwidth ``sigmas``; two arrays of shape (len(rows), size)."""
        if size not in self._spectra:
            self._spectra[size] = (self._spectrum(self.residual, size),
                                   self._spectrum(np.ones_like(self.f), size))  # fmt: skip
        period = 2 * size - 2
        t = np.linspace(0, 1, size)
        var = sigmas[:, None] ** 2
        kernel = np.exp(-(t - 0.5) * (t - 0.5) / (2 * var))
        kernel /= np.sqrt(2 * np.pi) * sigmas[:, None]  # relplot's kernel_ev
        kernel_spectrum = np.fft.rfft(kernel, n=period, axis=1)
        keep = slice(size // 2, size // 2 + size)
        return tuple(  # type: ignore[return-value]
            np.fft.irfft(spectrum[rows] * kernel_spectrum, n=period, axis=1)[:, keep]
            for spectrum in self._spectra[size]
        )

    def _spectrum(self, weights: NDArray, size: int) -> NDArray:
        values = _round_to_grid(self.f, weights, size)
        even = np.concatenate([values, values[:, -2:0:-1]], axis=1)
        return np.fft.rfft(even, axis=1)


def _interpolate(t: NDArray, grid: NDArray) -> NDArray:
    """relplot's ``interpolate`` per row: ``grid`` (rows, size) read linearly at ``t``."""
    size = grid.shape[1]
    bucket = 1 / (size - 1)
    inds = (t * (size - 1)).astype(int).clip(0, size - 2)
    residual = (t - inds * bucket) / bucket
    return grid[:, inds] * (1 - residual) + grid[:, inds + 1] * residual


def _smooth_ece_rows(
    grids: _ReflectedGrids, rows: NDArray, sigmas: NDArray, mesh_points: int
) -> NDArray:
    """relplot's ``smooth_ece`` of each row in ``rows`` at its own bandwidth ``sigmas[i]``;
    rows are grouped by grid and mesh size, each group smoothed in one batch."""
    result = np.empty(rows.size)
    sizes = [(_grid_size(s), _mesh_size(s, mesh_points)) for s in sigmas.tolist()]
    for grid, mesh in sorted(set(sizes)):
        group = np.array([i for i, key in enumerate(sizes) if key == (grid, mesh)])
        smoothed, density = grids.smooth(rows[group], sigmas[group], grid)
        t = np.linspace(0, 1, mesh)
        ys, dens = _interpolate(t, smoothed), _interpolate(t, density) + _DENSITY_EPS
        result[group] = np.sum(np.abs(ys / dens) * dens, axis=1) / np.sum(dens, axis=1)
    return result


def _search(f: NDArray, y: NDArray, mesh_points: int) -> NDArray:
    """relplot's ``smECE`` bandwidth search and final smoother for every row at once."""
    rows = f.shape[0]
    grids = _ReflectedGrids(f, y)
    everything = np.arange(rows)
    # search_param: accept bandwidth 1 if it passes, else bisect [0, 1] keeping ``start``
    # (the last bandwidth that failed) and ``end`` (the last that passed) per row.
    # A bandwidth passes when it is below eps or below the smooth ECE it gives.
    at_one = _smooth_ece_rows(grids, everything, np.ones(rows), mesh_points)
    value = at_one.copy()  # the smooth ECE at each row's current ``start``
    start, end = np.ones(rows), np.zeros(rows)
    searching = ~(at_one > 1.0)
    for _ in range(_REFINE):
        midpoint = (start + end) / 2
        passes = searching & (midpoint < _EPS)
        measured = searching & ~passes
        at_mid = np.full(rows, np.nan)
        if measured.any():
            at_mid[measured] = _smooth_ece_rows(grids, everything[measured], midpoint[measured],
                                                mesh_points)  # fmt: skip
            passes |= measured & (midpoint < at_mid)
        fails = measured & ~passes
        end = np.where(passes, midpoint, end)
        start = np.where(fails, midpoint, start)
        value = np.where(fails, at_mid, value)
    # relplot then smooths once more at ``start``: a bandwidth measured above (every ``start``
    # is one that failed, or 1), and the smoother is deterministic, so that value is reused.
    return value


def smooth_calibration_errors(f: NDArray, y: NDArray) -> NDArray:
    """Smooth ECE of each row, as :func:`relplot.smECE` computes it for that row alone.

    Parameters
    ----------
    f, y : ndarray of shape (rows, n)
        Confidences in [0, 1] and 0/1 correctness, one sample per row (already checked).

    Returns
    -------
    ndarray of shape (rows,)
        ``relplot.smECE(f[i], y[i])`` for each row ``i``, to floating-point rounding.

    Examples
    --------
    >>> import relplot
    >>> f = np.array([[0.9, 0.8, 0.3, 0.6], [0.5, 0.5, 0.5, 0.5]])
    >>> y = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
    >>> batch = smooth_calibration_errors(f, y)
    >>> bool(np.allclose(batch, [relplot.smECE(f[i], y[i]) for i in range(2)], atol=1e-12))
    True
    """
    import relplot

    f = np.asarray(f, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if relplot.config.use_logit_scaling:
        return np.array([relplot.smECE(row_f, row_y) for row_f, row_y in zip(f, y, strict=True)])
    mesh_points = int(relplot.config.smECE_mesh_pts)
    return np.concatenate(
        [
            _search(f[i : i + _ROWS_PER_PASS], y[i : i + _ROWS_PER_PASS], mesh_points)
            for i in range(0, f.shape[0], _ROWS_PER_PASS)
        ]
    )
