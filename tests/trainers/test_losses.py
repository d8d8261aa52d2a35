"""The loss functions on their own: hand-computed cases, references, properties, gradients."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from trainers.losses import (
    IGNORE_INDEX,
    BranchOutput,
    dss_loss,
    infonce_loss,
    infonce_mi_bound,
    masked_mean_pool,
    released_mi_loss,
    sequence_cross_entropy,
)

# -- sequence_cross_entropy ---------------------------------------------------------------------


def test_sequence_cross_entropy_hand_computed():
    # position 1: logits (0, ln 3) -> p(token 1) = 3/4; position 2 ignored
    logits = torch.tensor([[[0.0, math.log(3.0)], [5.0, -5.0]]])
    labels = torch.tensor([[1, IGNORE_INDEX]])
    assert sequence_cross_entropy(logits, labels).item() == pytest.approx(-math.log(0.75))


@pytest.mark.kernels
def test_sequence_cross_entropy_matches_t5_own_loss():
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    config = T5Config(
        vocab_size=30, d_model=8, d_ff=16, num_layers=1, num_decoder_layers=1, num_heads=2,
        d_kv=4, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
    )  # fmt: skip
    model = T5ForConditionalGeneration(config)
    labels = torch.tensor([[5, 6, 7, 1], [8, 1, IGNORE_INDEX, IGNORE_INDEX]])
    out = model(input_ids=torch.tensor([[3, 4, 1], [9, 1, 0]]), labels=labels)
    assert sequence_cross_entropy(out.logits, labels).item() == pytest.approx(out.loss.item())


@pytest.mark.kernels
def test_sequence_cross_entropy_shards_average_to_the_global_mean():
    """Two shards normalised by half the global token count average to the full-batch mean:
    what makes 2-process DDP equal 1 process."""
    rng = torch.Generator().manual_seed(3)
    for _ in range(20):
        logits = torch.randn(4, 6, 11, generator=rng)
        labels = torch.randint(0, 11, (4, 6), generator=rng)
        labels[torch.rand(4, 6, generator=rng) < 0.4] = IGNORE_INDEX
        labels[:, 0] = 2  # every row has a token
        total = (labels != IGNORE_INDEX).sum()
        halves = [
            sequence_cross_entropy(logits[rows], labels[rows], n_tokens=total / 2)
            for rows in (slice(0, 2), slice(2, 4))
        ]
        full = sequence_cross_entropy(logits, labels)
        assert ((halves[0] + halves[1]) / 2).item() == pytest.approx(full.item(), rel=1e-6)


# -- DSS weighting ------------------------------------------------------------------------------


@pytest.mark.parametrize(("alpha", "expected"), [(0.5, 3.0), (0.0, 4.0), (1.0, 2.0), (0.2, 3.6)])
def test_dss_loss_weighting(alpha, expected):
    assert dss_loss(torch.tensor(2.0), torch.tensor(4.0), alpha=alpha).item() == pytest.approx(
        expected
    )


def test_dss_loss_gradients_are_the_weights():
    label, rationale = torch.tensor(1.3, requires_grad=True), torch.tensor(0.7, requires_grad=True)
    dss_loss(label, rationale, alpha=0.3).backward()
    assert label.grad.item() == pytest.approx(0.3)
    assert rationale.grad.item() == pytest.approx(0.7)


# -- released MI loss ---------------------------------------------------------------------------


def test_released_mi_loss_hand_computed():
    # label branch, 2 positions over a 2-token vocabulary:
    #   softmax(0, 0) = (1/2, 1/2), softmax(ln 3, 0) = (3/4, 1/4)  -> max over positions (3/4, 1/2)
    # rationale branch, 1 position: softmax(0, ln 3) = (1/4, 3/4)   -> r = (1/4, 3/4)
    # CrossEntropyLoss(input=r as logits, soft target t) = -(3/4 log_softmax(r)_0
    #   + 1/2 log_softmax(r)_1) = 5/4 * lse(r) - (3/4 * 1/4 + 1/2 * 3/4)
    label_logits = torch.tensor([[[0.0, 0.0], [math.log(3.0), 0.0]]])
    rationale_logits = torch.tensor([[[0.0, math.log(3.0)]]])
    lse = math.log(math.exp(0.25) + math.exp(0.75))
    expected = 1.25 * lse - (0.75 * 0.25 + 0.5 * 0.75)
    assert released_mi_loss(label_logits, rationale_logits).item() == pytest.approx(expected)


def test_released_mi_loss_averages_over_the_batch():
    rng = torch.Generator().manual_seed(0)
    label, rationale = torch.randn(3, 4, 7, generator=rng), torch.randn(3, 5, 7, generator=rng)
    rows = [released_mi_loss(label[i : i + 1], rationale[i : i + 1]) for i in range(3)]
    assert released_mi_loss(label, rationale).item() == pytest.approx(sum(rows).item() / 3)


def test_released_mi_loss_equals_the_release_formula():
    """The release's lines: softmax, max over dim -2, nn.CrossEntropyLoss()(expl, pred)."""
    rng = torch.Generator().manual_seed(1)
    for _ in range(10):
        label, rationale = torch.randn(4, 3, 9, generator=rng), torch.randn(4, 6, 9, generator=rng)
        pred = torch.max(label.detach().softmax(dim=-1), dim=-2)[0]
        expl = torch.max(rationale.softmax(dim=-1), dim=-2)[0]
        reference = nn.CrossEntropyLoss()(expl, pred)
        assert released_mi_loss(label, rationale).item() == pytest.approx(reference.item())


def test_released_mi_loss_gradient_is_the_release_formula_s_even_where_positions_tie():
    # The release takes torch.max over positions, whose gradient goes to the one position it
    # returns; amax (used here before) shared it between tied positions.
    rng = torch.Generator().manual_seed(3)
    label = torch.randn(2, 3, 5, generator=rng)
    rationale = torch.randn(2, 4, 5, generator=rng)
    rationale[:, 3] = rationale[:, 1]  # two positions tie for every vocabulary entry
    grads = []
    for formula in ("ours", "release"):
        logits = rationale.clone().requires_grad_()
        if formula == "ours":
            loss = released_mi_loss(label, logits)
        else:
            pred = torch.max(label.softmax(dim=-1), dim=-2)[0]
            loss = nn.CrossEntropyLoss()(torch.max(logits.softmax(dim=-1), dim=-2)[0], pred)
        loss.backward()
        grads.append(logits.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=0, atol=0)
    assert (grads[0][:, 1] != 0).any() and (grads[0][:, 3] == 0).all()  # not shared out


def test_released_mi_loss_gradient_reaches_only_the_rationale_branch():
    rng = torch.Generator().manual_seed(2)
    label = torch.randn(2, 3, 5, generator=rng, requires_grad=True)
    rationale = torch.randn(2, 4, 5, generator=rng, requires_grad=True)
    released_mi_loss(label, rationale).backward()
    assert label.grad is None  # detached, as in the release
    assert rationale.grad is not None and rationale.grad.abs().sum() > 0


# -- BranchOutput ------------------------------------------------------------------------------


def test_token_rows_give_the_padded_cross_entropy():
    rng = torch.Generator().manual_seed(4)
    logits = torch.randn(2, 3, 6, generator=rng)
    labels = torch.tensor([[1, 2, IGNORE_INDEX], [3, IGNORE_INDEX, IGNORE_INDEX]])
    padded = BranchOutput(labels, logits=logits)
    rows = BranchOutput(labels, token_logits=logits[labels != IGNORE_INDEX])
    values = [sequence_cross_entropy(*out.loss_logits()) for out in (padded, rows)]
    assert values[0].item() == pytest.approx(values[1].item())
    assert rows.loss_logits()[1].tolist() == [1, 2, 3]


def test_branch_output_refuses_what_it_was_not_given():
    labels = torch.zeros(1, 2, dtype=torch.long)
    with pytest.raises(ValueError, match="needs logits or token_logits"):
        BranchOutput(labels)
    rows = BranchOutput(labels, token_logits=torch.zeros(2, 3))
    with pytest.raises(TypeError, match="reads the padded positions"):
        rows.padded_logits()


# -- InfoNCE ------------------------------------------------------------------------------------


def test_infonce_hand_computed():
    # cosine scores = identity, temperature 1: each row's CE is -log(e / (e + 1)) = log(1 + 1/e)
    x = torch.eye(2)
    expected = math.log(1 + math.exp(-1))
    assert infonce_loss(x, x, temperature=1.0).item() == pytest.approx(expected)
    bound = infonce_mi_bound(x, x, temperature=1.0).item()
    assert bound == pytest.approx(math.log(2) - expected)


@pytest.mark.parametrize("batch", [2, 5, 32])
def test_infonce_bound_never_exceeds_log_batch(batch):
    rng = torch.Generator().manual_seed(batch)
    for trial in range(50):
        scale = 10.0 ** (trial % 5 - 2)
        u = torch.randn(batch, 6, generator=rng) * scale
        v = (
            u + 0.01 * torch.randn(batch, 6, generator=rng)
            if trial % 2
            else torch.randn(batch, 6, generator=rng)
        )
        temperature = 10.0 ** (trial % 4 - 3)
        bound = infonce_mi_bound(u, v, temperature=temperature).item()
        assert bound <= math.log(batch) + 1e-6
        assert infonce_loss(u, v, temperature=temperature).item() >= -1e-6


def test_infonce_bound_reaches_log_batch_for_separable_pairs():
    x = torch.eye(8)
    assert infonce_mi_bound(x, x, temperature=0.01).item() == pytest.approx(math.log(8), abs=1e-6)


def test_infonce_gradient_reaches_both_branches():
    rng = torch.Generator().manual_seed(4)
    u = torch.randn(4, 3, generator=rng, requires_grad=True)
    v = torch.randn(4, 3, generator=rng, requires_grad=True)
    infonce_loss(u, v, temperature=0.5).backward()
    assert u.grad.abs().sum() > 0 and v.grad.abs().sum() > 0


def test_masked_mean_pool_hand_computed():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[True, True, False]])
    assert masked_mean_pool(hidden, mask).tolist() == [[2.0, 3.0]]
    assert masked_mean_pool(hidden, torch.zeros(1, 3, dtype=torch.bool)).tolist() == [[0.0, 0.0]]
