"""Speed of the analysis layer against straightforward Python-loop references, in the same run.

  .venv/bin/python bench/analysis.py

Targets (issue 5): paired bootstrap 10k resamples x 10k examples < 1 s; ECE on 1M predictions
< 1 s; KSG on 10k pairs of 4-d vectors < 10 s. Each line prints the vectorised time, the target,
the loop reference's time and the ratio. The loop references would take minutes at full size,
so each runs on a stated fraction of the work and is scaled linearly (their cost is linear in
that fraction by construction); the output says which.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import digamma

from evalsuite.metrics.calibration import expected_calibration_error
from evalsuite.metrics.mutual_info import ksg_mutual_information, reduce_dimension
from evalsuite.metrics.significance import paired_bootstrap_test


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def report(name: str, fast: float, target: float, slow: float, note: str) -> bool:
    ok = fast < target
    print(
        f"{name:<44} {fast:8.3f} s  (target < {target:g} s: {'ok' if ok else 'MISSED'})  "
        f"loop reference {slow:9.2f} s  ratio x{slow / fast:,.0f}"
    )
    print(f"{'':<44} reference: {note}")
    return ok


# -- paired bootstrap ----------------------------------------------------------------------------
def bootstrap_loop(a: list[bool], b: list[bool], n_resamples: int, seed: int) -> list[float]:
    """Resample example indices one by one and recount both accuracies, per resample."""
    rng = random.Random(seed)
    n = len(a)
    out = []
    for _ in range(n_resamples):
        hits_a = hits_b = 0
        for _ in range(n):
            i = rng.randrange(n)
            hits_a += a[i]
            hits_b += b[i]
        out.append((hits_a - hits_b) / n)
    return out


def bench_bootstrap() -> bool:
    rng = np.random.default_rng(0)
    n, n_resamples = 10_000, 10_000
    a, b = rng.random(n) < 0.75, rng.random(n) < 0.73
    fast, _ = timed(lambda: paired_bootstrap_test(a, b, n_resamples=n_resamples, rng=1))
    sub = 50
    slow, _ = timed(lambda: bootstrap_loop(a.tolist(), b.tolist(), sub, 2), repeat=1)
    scale = n_resamples / sub
    return report(
        "paired bootstrap, 10k resamples x 10k",
        fast,
        1.0,
        slow * scale,
        f"{sub} resamples timed, scaled x{scale:g} to 10k",
    )


# -- ECE -----------------------------------------------------------------------------------------
def ece_loop(prob: list[float], hit: list[int], n_bins: int) -> float:
    """One pass over the predictions, accumulating per-bin sums in Python lists."""
    count = [0] * n_bins
    conf_sum = [0.0] * n_bins
    hit_sum = [0.0] * n_bins
    for p, y in zip(prob, hit, strict=True):
        b = min(int(p * n_bins), n_bins - 1)
        count[b] += 1
        conf_sum[b] += p
        hit_sum[b] += y
    n = len(prob)
    return sum(abs(hit_sum[b] - conf_sum[b]) / n for b in range(n_bins) if count[b])


def bench_ece() -> bool:
    rng = np.random.default_rng(3)
    n = 1_000_000
    prob = rng.random(n)
    hit = (rng.random(n) < prob**1.2).astype(int)
    fast, value = timed(lambda: expected_calibration_error(prob, hit, n_bins=15))
    sub = 200_000
    slow, reference = timed(lambda: ece_loop(prob[:sub].tolist(), hit[:sub].tolist(), 15), 1)
    check = expected_calibration_error(prob[:sub], hit[:sub], n_bins=15)
    assert abs(check - reference) < 1e-9, (check, reference)
    scale = n / sub
    return report(
        "ECE (15 bins), 1M predictions",
        fast,
        1.0,
        slow * scale,
        f"{sub:,} predictions timed, scaled x{scale:g}; same ECE on them ({reference:.6f}); "
        f"full ECE {value:.6f}",
    )


# -- KSG -----------------------------------------------------------------------------------------
def ksg_loop_terms(a: np.ndarray, b: np.ndarray, k: int, queries: int) -> list[float]:
    """Brute-force KSG per point: all max-norm distances, the k-th joint one, then counts."""
    n = a.shape[0]
    terms = []
    for i in range(queries):
        dx = np.max(np.abs(a - a[i]), axis=1)
        dy = np.max(np.abs(b - b[i]), axis=1)
        eps = np.sort(np.maximum(dx, dy))[k]  # index 0 is the point itself
        nx = int(np.sum(dx < eps)) - 1
        ny = int(np.sum(dy < eps)) - 1
        terms.append(float(digamma(k) + digamma(n) - digamma(nx + 1) - digamma(ny + 1)))
    return terms


def bench_ksg() -> bool:
    rng = np.random.default_rng(4)
    n, d, rho = 10_000, 4, 0.7
    x = rng.normal(size=(n, d))
    y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=(n, d))
    fast, estimate = timed(lambda: ksg_mutual_information(x, y, k=3, n_components=4), repeat=2)
    queries = 500
    a, b = reduce_dimension(x, 4), reduce_dimension(y, 4)
    slow, _ = timed(lambda: ksg_loop_terms(a, b, 3, queries), repeat=1)
    scale = n / queries
    truth = -d / 2 * np.log(1 - rho**2)
    return report(
        "KSG, 10k pairs of 4-d vectors",
        fast,
        10.0,
        slow * scale,
        f"brute force on {queries} of the {n:,} points, scaled x{scale:g}; "
        f"estimate {estimate.value:.3f} nats (true {truth:.3f})",
    )


def main() -> int:
    results = [bench_bootstrap(), bench_ece(), bench_ksg()]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
