"""The recipes' loss math as pure functions on tensors, tested without a trainer or a model.

* :func:`sequence_cross_entropy`: token cross-entropy with an explicit normaliser, so that data
  parallel training averages over the global batch's tokens exactly as one process would.
* :func:`dss_loss`: Distilling step-by-step's ``alpha * L_label + (1 - alpha) * L_rationale``.
* :func:`released_mi_loss`: the MI term of the ACL 2024 release, reproduced exactly.
* :func:`infonce_loss` / :func:`infonce_mi_bound`: our contrastive replacement for it.
* :class:`BranchOutput`: what a forward pass hands to these, per branch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "IGNORE_INDEX",
    "BranchOutput",
    "dss_loss",
    "infonce_loss",
    "infonce_mi_bound",
    "masked_mean_pool",
    "released_mi_loss",
    "sequence_cross_entropy",
]

IGNORE_INDEX = -100
"""Target positions holding this value (padding) carry no loss, as in Hugging Face models."""


@dataclass(frozen=True)
class BranchOutput:
    """What one branch's forward pass hands to the loss.

    ``labels [batch, width]``: the branch's padded targets. ``logits [batch, width, vocab]``: at
    every target position, padding included. ``token_logits [n, vocab]``: at the positions
    whose label carries a loss only, in the order of ``labels[labels != IGNORE_INDEX]``. A
    padded pass gives ``logits``; a packed pass (:mod:`trainers.packing`) gives
    ``token_logits``, and ``logits`` only for a loss that reads the padded positions: gathering
    them, and a softmax over padding that no loss reads, cost a packed dss step ~2 %.
    ``hidden [batch, width, d]``: final decoder states, where the loss reads them.
    """

    labels: Tensor
    logits: Tensor | None = None
    token_logits: Tensor | None = None
    hidden: Tensor | None = None

    def __post_init__(self) -> None:
        if self.logits is None and self.token_logits is None:
            raise ValueError("a branch output needs logits or token_logits")

    def loss_logits(self) -> tuple[Tensor, Tensor]:
        """Logits and labels for :func:`sequence_cross_entropy`: the loss-carrying rows where
        the pass gave them, else every position with its (partly ignored) label."""
        if self.token_logits is not None:
            return self.token_logits, self.labels[self.labels != IGNORE_INDEX]
        return self.padded_logits(), self.labels

    def padded_logits(self) -> Tensor:
        """``logits``, for losses that read the padded positions.

        Raises
        ------
        TypeError
            When the pass did not compute them (a packed pass without ``with_padding``).
        """
        if self.logits is None:
            raise TypeError("this loss reads the padded positions: run the pass with them")
        return self.logits


def sequence_cross_entropy(
    logits: Tensor, labels: Tensor, *, n_tokens: float | Tensor | None = None
) -> Tensor:
    """Summed token cross-entropy over the non-ignored target positions, divided by ``n_tokens``.

    Parameters
    ----------
    logits : Tensor [batch, length, vocab]
    labels : Tensor [batch, length]
        Target ids; :data:`IGNORE_INDEX` marks padding.
    n_tokens : float or Tensor, optional
        The normaliser. Default: the number of non-ignored positions here, which gives the mean
        token loss of Hugging Face's T5 (and of the DSS release). Under data parallelism the
        trainer passes the global count divided by the number of processes, so that averaging the
        processes' gradients gives the mean over the global batch's tokens.

    Examples
    --------
    >>> logits = torch.zeros(1, 2, 4)  # uniform over 4 tokens: loss log(4) per position
    >>> round(float(sequence_cross_entropy(logits, torch.tensor([[1, IGNORE_INDEX]]))), 4)
    1.3863
    """
    total = F.cross_entropy(
        logits.reshape(-1, logits.size(-1)).float(),
        labels.reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction="sum",
    )
    if n_tokens is None:
        n_tokens = (labels != IGNORE_INDEX).sum().clamp(min=1)
    return total / n_tokens


def dss_loss(label_loss: Tensor, rationale_loss: Tensor, *, alpha: float) -> Tensor:
    """Distilling step-by-step's multi-task loss ``alpha * L_label + (1 - alpha) * L_rationale``.

    References
    ----------
    Hsieh et al., "Distilling Step-by-Step!", Findings of ACL 2023, eq. (3); the release uses
    ``alpha = 0.5``.

    Examples
    --------
    >>> float(dss_loss(torch.tensor(2.0), torch.tensor(4.0), alpha=0.25))
    3.5
    """
    return alpha * label_loss + (1.0 - alpha) * rationale_loss


def released_mi_loss(label_logits: Tensor, rationale_logits: Tensor) -> Tensor:
    """The MI term of the ACL 2024 release ("Learning to Maximize Mutual Information for
    Chain-of-Thought Distillation"), exactly as its trainer computes it.

    Each branch's logits go through a softmax over the vocabulary at every decoder position;
    the maximum over positions leaves one ``[batch, vocab]`` vector per branch. The loss is
    ``torch.nn.CrossEntropyLoss`` with the rationale branch's vector as its *logits* input and the
    label branch's vector, detached, as a soft (unnormalised) target, averaged over the batch:

        L = mean_b  -sum_v  t[b, v] * log_softmax(r[b])[v],
        t = max_pos softmax(label_logits).detach(),  r = max_pos softmax(rationale_logits)

    The maximum is the release's ``torch.max(..., dim=-2)``: its gradient goes to the one
    position it returns, also where positions tie (``amax`` would share it out), and its
    backward is one scatter where ``amax``'s compares every position with the maximum.

    As in the release, padded decoder positions take part in the maximum: the term depends on
    how far each branch is padded, which is part of what "exactly" reproduces.

    Parameters
    ----------
    label_logits : Tensor [batch, label_length, vocab]
    rationale_logits : Tensor [batch, rationale_length, vocab]

    Returns
    -------
    Tensor
        A scalar. Gradients reach only ``rationale_logits``.

    References
    ----------
    Chen et al., Findings of ACL 2024, arXiv:2403.03348; ``model_utils.TaskPrefixTrainer``.
    """
    target = torch.max(label_logits.detach().float().softmax(dim=-1), dim=-2).values
    scores = torch.max(rationale_logits.float().softmax(dim=-1), dim=-2).values
    return F.cross_entropy(scores, target)


def masked_mean_pool(hidden: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``hidden [batch, length, dim]`` over the positions where ``mask [batch, length]``
    is true; rows with no such position give zeros.
    """
    weights = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


def infonce_loss(label_repr: Tensor, rationale_repr: Tensor, *, temperature: float) -> Tensor:
    """Symmetric InfoNCE loss between paired representations of the two branches.

    Row ``i`` of both inputs comes from the same example (a sample of the joint distribution);
    the other rows of the batch serve as samples of the product of the marginals. Scores are
    cosine similarities divided by ``temperature``; the loss is the mean of the cross-entropies
    of picking the true partner in each direction.

    Parameters
    ----------
    label_repr, rationale_repr : Tensor [batch, dim]
        Projected pooled decoder states of the label and rationale branches.
    temperature : float
        Positive; smaller values sharpen the critic.

    Returns
    -------
    Tensor
        A non-negative scalar; see :func:`infonce_mi_bound` for what it estimates.
    """
    u = F.normalize(label_repr.float(), dim=-1)
    v = F.normalize(rationale_repr.float(), dim=-1)
    scores = u @ v.T / temperature
    target = torch.arange(scores.size(0), device=scores.device)
    return 0.5 * (F.cross_entropy(scores, target) + F.cross_entropy(scores.T, target))


def infonce_mi_bound(label_repr: Tensor, rationale_repr: Tensor, *, temperature: float) -> Tensor:
    """The InfoNCE lower bound ``log(batch) - infonce_loss`` on I(label state; rationale state).

    What it estimates: the mutual information, in nats, between the label branch's and the
    rationale branch's pooled decoder states of the same input, under the learned critic. It is a
    lower bound (van den Oord et al. 2018; Poole et al. 2019) and can never exceed ``log(batch)``
    because the loss is a cross-entropy and so non-negative: with a batch of 32 it saturates at
    ln 32 = 3.47 nats, whatever the true MI. Maximising it (minimising the loss) asks each label
    state to identify its own example's rationale state among the batch. Under data parallelism
    the negatives are the process's own shard of the batch, so the ceiling is log(local batch).

    Examples
    --------
    >>> x = torch.eye(4)
    >>> bound = infonce_mi_bound(x, x, temperature=0.01)  # perfectly matched pairs
    >>> round(float(bound), 4)  # its ceiling, ln 4
    1.3863
    """
    loss = infonce_loss(label_repr, rationale_repr, temperature=temperature)
    return math.log(label_repr.size(0)) - loss
