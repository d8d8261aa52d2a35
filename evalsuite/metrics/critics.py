"""Neural mutual-information bounds with small numpy networks: InfoNCE, NWJ, SMILE and CLUB.

Why numpy and hand-written gradients: metrics must not import torch (STYLE.md: analysis reads
runs and never needs a deep-learning stack), and these networks are tiny (one hidden layer on a
few PCA components), so two dense layers with their backward pass and Adam are a few dozen
lines that are easy to check (a finite-difference test covers the gradients).

Every estimate trains on one split of the pairs, keeps the checkpoint that does best on a
second (validation) split, and is evaluated on a third, held-out split, so a critic that
memorises its training pairs can neither inflate the number nor collapse it. Each seed gives one
estimate; the reported interval is the range over seeds.

References
----------
van den Oord et al. 2018 (InfoNCE); Nguyen, Wainwright & Jordan 2010 (NWJ); Poole et al., "On
variational bounds of mutual information", ICML 2019; Song & Ermon, "Understanding the
limitations of variational mutual information estimators", ICLR 2020 (SMILE); Cheng et al.,
"CLUB: a contrastive log-ratio upper bound of mutual information", ICML 2020.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from threadpoolctl import threadpool_limits

__all__ = ["MLP", "Adam", "CriticConfig", "club_bound", "variational_bound"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class CriticConfig:
    """How the networks are trained; validated once.

    Attributes
    ----------
    hidden : int
        Width of the one hidden (ReLU) layer.
    embed : int
        Output width of each side of the separable critic ``f(x, y) = g(x) . h(y)``.
    steps : int
        Adam steps.
    batch_size : int
        Pairs per step; also the evaluation batch, so InfoNCE is at most ``log(batch_size)``.
    lr : float
        Adam learning rate.
    test_fraction : float
        Share of the pairs held out for evaluation.
    val_fraction : float
        Share of the remaining pairs used to pick the best checkpoint (early stopping).
    eval_every : int
        Steps between validation checks.
    smile_clip : float
        SMILE clips ``exp(f)`` to ``[exp(-clip), exp(clip)]`` in the partition term.
    """

    hidden: int = 64
    embed: int = 32
    steps: int = 600
    batch_size: int = 128
    lr: float = 3e-3
    test_fraction: float = 0.3
    val_fraction: float = 0.2
    eval_every: int = 25
    smile_clip: float = 5.0

    def __post_init__(self) -> None:
        for name in ("hidden", "embed", "steps", "batch_size", "eval_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"CriticConfig.{name} must be a positive integer, got {value!r}")
        if self.batch_size < 2:
            raise ValueError(f"CriticConfig.batch_size must be at least 2, got {self.batch_size}")
        if not 0.0 < self.lr < 1.0:
            raise ValueError(f"CriticConfig.lr must be in (0, 1), got {self.lr}")
        if not 0.05 <= self.test_fraction <= 0.9:
            raise ValueError(
                f"CriticConfig.test_fraction must be in [0.05, 0.9], got {self.test_fraction}"
            )
        if not 0.05 <= self.val_fraction <= 0.5:
            raise ValueError(
                f"CriticConfig.val_fraction must be in [0.05, 0.5], got {self.val_fraction}"
            )
        if not self.smile_clip > 0:
            raise ValueError(f"CriticConfig.smile_clip must be positive, got {self.smile_clip}")


# -- a one-hidden-layer network and Adam ---------------------------------------------------------
@dataclass
class MLP:
    """``relu(x @ W1 + b1) @ W2 + b2`` with its backward pass. Parameters are updated in place."""

    params: list[Array]
    _cache: tuple[Array, Array] | None = field(default=None, repr=False)

    @classmethod
    def init(cls, n_in: int, n_hidden: int, n_out: int, rng: np.random.Generator) -> MLP:
        """He-initialised weights, zero biases."""
        w1 = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_hidden))
        w2 = rng.normal(0.0, np.sqrt(1.0 / n_hidden), size=(n_hidden, n_out))
        return cls([w1, np.zeros(n_hidden), w2, np.zeros(n_out)])

    def forward(self, x: Array) -> Array:
        """Outputs for inputs ``x`` of shape (n, n_in); remembers what backward needs."""
        w1, b1, w2, b2 = self.params
        hidden = np.maximum(x @ w1 + b1, 0.0)
        self._cache = (x, hidden)
        return hidden @ w2 + b2

    def backward(self, grad_out: Array) -> list[Array]:
        """Gradients of the loss w.r.t. the parameters, given d loss / d outputs."""
        if self._cache is None:
            raise RuntimeError("MLP.backward called before forward")
        x, hidden = self._cache
        _, _, w2, _ = self.params
        grad_hidden = (grad_out @ w2.T) * (hidden > 0)
        return [x.T @ grad_hidden, grad_hidden.sum(0), hidden.T @ grad_out, grad_out.sum(0)]


@dataclass
class Adam:
    """Adam (Kingma & Ba 2015) over a list of arrays, updated in place."""

    params: list[Array]
    lr: float
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    step_count: int = 0
    m: list[Array] = field(default_factory=list)
    v: list[Array] = field(default_factory=list)

    def step(self, grads: list[Array]) -> None:
        """One descent step on the loss whose gradients are ``grads``."""
        if not self.m:
            self.m = [np.zeros_like(p) for p in self.params]
            self.v = [np.zeros_like(p) for p in self.params]
        self.step_count += 1
        t = self.step_count
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            m_hat = m / (1 - self.beta1**t)
            v_hat = v / (1 - self.beta2**t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


# -- bounds on a score matrix ----------------------------------------------------------------------
# Each takes S[i, j] = f(x_i, y_j) for a batch (diagonal = joint pairs, off-diagonal = product of
# marginals) and returns (bound value, d bound / d S).
BoundFn = Callable[[Array, float], tuple[float, Array]]


def _logsumexp_rows(scores: Array) -> Array:
    top = scores.max(axis=1)
    return top + np.log(np.exp(scores - top[:, None]).sum(axis=1))


def _infonce(scores: Array, clip: float) -> tuple[float, Array]:
    n = scores.shape[0]
    lse = _logsumexp_rows(scores)
    value = float(np.mean(np.diag(scores) - lse) + np.log(n))
    softmax = np.exp(scores - lse[:, None])
    return value, (np.eye(n) - softmax) / n


def _off_diagonal(n: int) -> NDArray[np.bool_]:
    return ~np.eye(n, dtype=bool)


def _nwj(scores: Array, clip: float) -> tuple[float, Array]:
    n = scores.shape[0]
    off = _off_diagonal(n)
    # exp overflows for a runaway critic; the cap only binds far outside useful values.
    expo = np.exp(np.minimum(scores, 30.0) - 1.0) * off
    value = float(np.mean(np.diag(scores)) - expo.sum() / (n * (n - 1)))
    return value, np.eye(n) / n - expo / (n * (n - 1))


def _js(scores: Array, clip: float) -> tuple[float, Array]:
    """Jensen-Shannon lower bound, used to train SMILE's critic (Song & Ermon 2020)."""
    n = scores.shape[0]
    off = _off_diagonal(n)
    diag = np.diag(scores)
    value = float(-np.mean(np.logaddexp(0.0, -diag)) - np.logaddexp(0.0, scores)[off].mean())
    grad = -expit(scores) * off / (n * (n - 1))
    grad[np.diag_indices(n)] = expit(-diag) / n
    return value, grad


def _smile_value(scores: Array, clip: float) -> float:
    """SMILE: ``E_p[f] - log E_q[clip(exp f, e^-clip, e^clip)]`` (clipped Donsker-Varadhan)."""
    off = _off_diagonal(scores.shape[0])
    clipped = np.exp(np.clip(scores[off], -clip, clip))
    return float(np.mean(np.diag(scores)) - np.log(np.mean(clipped)))


# The bound each estimator trains on, and the one it reports on held-out pairs.
_TRAIN: dict[str, BoundFn] = {"infonce": _infonce, "nwj": _nwj, "smile": _js}
_REPORT: dict[str, Callable[[Array, float], float]] = {
    "infonce": lambda s, c: _infonce(s, c)[0],
    "nwj": lambda s, c: _nwj(s, c)[0],
    "smile": _smile_value,
}
BOUNDS: tuple[str, ...] = tuple(_TRAIN)


def _split(
    n: int, config: CriticConfig, rng: np.random.Generator
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """Shuffle into training, validation (early stopping) and held-out test indices."""
    order = rng.permutation(n)
    n_test = max(2, round(n * config.test_fraction))
    n_val = max(2, round((n - n_test) * config.val_fraction))
    if n - n_test - n_val < 2:
        raise ValueError(f"need at least 6 pairs to train and evaluate a critic, got {n}")
    return order[n_test + n_val :], order[n_test : n_test + n_val], order[:n_test]


def _batches(indices: NDArray[np.intp], size: int) -> list[NDArray[np.intp]]:
    """Consecutive full batches of ``min(size, len(indices))`` (a short remainder is left out)."""
    size = min(size, indices.size)
    return [indices[i : i + size] for i in range(0, indices.size - size + 1, size)]


def _fit(
    params: list[Array],
    step: Callable[[], None],
    score: Callable[[], float],
    config: CriticConfig,
) -> None:
    """Run ``step`` ``config.steps`` times, scoring on the validation split every
    ``config.eval_every`` steps, and leave ``params`` at the best-scoring checkpoint.

    Early stopping matters: with a few hundred pairs a critic overfits within a few hundred
    steps, and an overfitted critic's held-out bound collapses (even below zero).
    """
    best, kept = score(), [p.copy() for p in params]
    for t in range(1, config.steps + 1):
        step()
        if t % config.eval_every == 0 or t == config.steps:
            current = score()
            if current > best:
                best, kept = current, [p.copy() for p in params]
    for p, k in zip(params, kept, strict=True):
        p[...] = k


def variational_bound(
    x: Array, y: Array, *, bound: str, config: CriticConfig, rng: np.random.Generator
) -> float:
    """Train a separable critic with ``bound`` and evaluate it on held-out pairs.

    Parameters
    ----------
    x, y : ndarray of shape (n, dx) and (n, dy)
        Paired samples (standardised by the caller).
    bound : {"infonce", "nwj", "smile"}
    config : CriticConfig
    rng : Generator
        Split, initialisation and minibatches.

    Returns
    -------
    float
        The bound in nats, averaged over held-out batches of ``config.batch_size`` pairs
        (InfoNCE is then at most ``log`` of the evaluation batch size). The critic is the
        checkpoint with the best bound on a separate validation split.
    """
    if bound not in _TRAIN:
        raise ValueError(f"unknown bound '{bound}'; choose from {', '.join(BOUNDS)}")
    # The matrices are tiny: BLAS threads only add synchronisation (7x slower on a busy
    # 2-core machine). The limit is scoped to this call and restored afterwards.
    with threadpool_limits(limits=1, user_api="blas"):
        return _variational_bound(x, y, bound=bound, config=config, rng=rng)


def _variational_bound(
    x: Array, y: Array, *, bound: str, config: CriticConfig, rng: np.random.Generator
) -> float:
    train, val, test = _split(x.shape[0], config, rng)
    g = MLP.init(x.shape[1], config.hidden, config.embed, rng)
    h = MLP.init(y.shape[1], config.hidden, config.embed, rng)
    params = g.params + h.params
    opt = Adam(params, lr=config.lr)
    scale = 1.0 / np.sqrt(config.embed)
    batch = min(config.batch_size, train.size)

    def step() -> None:
        idx = rng.choice(train, size=batch, replace=False)
        gx, hy = g.forward(x[idx]), h.forward(y[idx])
        _, grad_scores = _TRAIN[bound](scale * gx @ hy.T, config.smile_clip)
        grad_scores = -grad_scores * scale  # ascend the bound
        opt.step(g.backward(grad_scores @ hy) + h.backward(grad_scores.T @ gx))

    def evaluate(indices: NDArray[np.intp]) -> float:
        values = [
            _REPORT[bound](scale * g.forward(x[b]) @ h.forward(y[b]).T, config.smile_clip)
            for b in _batches(indices, config.batch_size)
        ]
        return float(np.mean(values))

    _fit(params, step, lambda: evaluate(val), config)
    return evaluate(test)


def club_bound(x: Array, y: Array, *, config: CriticConfig, rng: np.random.Generator) -> float:
    """CLUB upper bound with a Gaussian ``q(y | x)`` fitted by maximum likelihood.

    ``CLUB = E_p[log q(y|x)] - E_x E_y[log q(y|x)]`` on the held-out pairs (all held-out x
    against all held-out y for the second term). With ``q`` close to the true conditional this
    is at least the true MI. The fit stops at the best validation likelihood.
    """
    with threadpool_limits(limits=1, user_api="blas"):  # tiny matrices, see variational_bound
        return _club_bound(x, y, config=config, rng=rng)


def _club_bound(x: Array, y: Array, *, config: CriticConfig, rng: np.random.Generator) -> float:
    train, val, test = _split(x.shape[0], config, rng)
    dy = y.shape[1]
    net = MLP.init(x.shape[1], config.hidden, 2 * dy, rng)
    opt = Adam(net.params, lr=config.lr)
    batch = min(config.batch_size, train.size)

    def conditional(indices: NDArray[np.intp]) -> tuple[Array, Array]:
        out = net.forward(x[indices])
        return out[:, :dy], np.clip(out[:, dy:], -10.0, 10.0)

    def step() -> None:
        idx = rng.choice(train, size=batch, replace=False)
        mu, logvar = conditional(idx)
        inv_var = np.exp(-logvar)
        diff = y[idx] - mu
        # gradient of the mean negative log-likelihood (constants dropped)
        grad_mu = -diff * inv_var / batch
        grad_logvar = 0.5 * (1.0 - diff * diff * inv_var) / batch
        opt.step(net.backward(np.concatenate([grad_mu, grad_logvar], axis=1)))

    def log_likelihood(indices: NDArray[np.intp]) -> float:
        mu, logvar = conditional(indices)
        return float(-0.5 * np.mean(np.sum((y[indices] - mu) ** 2 * np.exp(-logvar) + logvar, 1)))

    _fit(net.params, step, lambda: log_likelihood(val), config)

    mu, logvar = conditional(test)
    inv_var = np.exp(-logvar)
    yt = y[test]
    positive = log_likelihood(test)
    # E over independent pairs: expand (y_j - mu_i)^2 so the n x n x d tensor is never built.
    mean_y, mean_y2 = yt.mean(axis=0), (yt**2).mean(axis=0)
    expected_sq = mean_y2[None, :] - 2.0 * mu * mean_y[None, :] + mu**2
    negative = -0.5 * np.mean(np.sum(expected_sq * inv_var + logvar, axis=1))
    return float(positive - negative)
