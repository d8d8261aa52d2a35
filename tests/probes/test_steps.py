"""Rationale steps and the rule-based interventions: hand-computed cases, seeds, properties."""

from __future__ import annotations

import numpy as np
import pytest

from evalsuite.probes.steps import (
    corrupt_step,
    filler_text,
    join_steps,
    perturb_token_ids,
    split_steps,
)


@pytest.mark.parametrize(
    ("rationale", "steps"),
    [
        ("They put 10 seeds in each bed. There are 45 beds. So 10 * 45 is 450.",
         ["They put 10 seeds in each bed.", "There are 45 beds.", "So 10 * 45 is 450."]),
        ("He has 3 + 4 = 7 apples, then 7 * 2 = 14 apples.",
         ["He has 3 + 4 = 7", "apples, then 7 * 2 = 14", "apples."]),
        ("Costs 2.5 dollars. Total = 5.0.", ["Costs 2.5 dollars.", "Total = 5.0."]),
        ("The cat is red! Is it? Yes", ["The cat is red!", "Is it?", "Yes"]),
        ("", []),
    ],
)  # fmt: skip
def test_split_steps(rationale: str, steps: list[str]) -> None:
    assert split_steps(rationale) == steps
    assert join_steps(split_steps(rationale)) == " ".join(rationale.split())


def test_a_corruption_changes_exactly_one_number_or_operator() -> None:
    seen = set()
    for seed in range(200):
        c = corrupt_step("So 12 - 4 = 8.", rng=seed)
        assert c is not None and c.text != "So 12 - 4 = 8."
        if c.kind == "operator":
            assert (c.original, c.replacement) == ("-", "+") and c.text == "So 12 + 4 = 8."
        else:
            assert c.original in {"12", "4", "8"} and c.replacement.isdigit()
            assert 1 <= abs(int(c.replacement) - int(c.original)) <= 18
        seen.add((c.kind, c.original))
    assert seen == {("operator", "-"), ("number", "12"), ("number", "4"), ("number", "8")}


def test_a_corrupted_decimal_keeps_its_decimals_and_words_are_left_alone() -> None:
    c = corrupt_step("It costs 2.50 per well-known item.", rng=3)
    assert c is not None and c.kind == "number" and c.original == "2.50"
    assert len(c.replacement.partition(".")[2]) == 2
    assert corrupt_step("A well-known cat-like thing.", rng=0) is None


@pytest.mark.parametrize(
    ("step", "corrupted"),
    [
        ("The church choir is singing.", "The church choir is not singing."),
        ("They were not at home.", "They were at home."),
        ("It does not mean that.", "It does mean that."),
    ],
)
def test_prose_has_the_polarity_of_one_verb_flipped(step: str, corrupted: str) -> None:
    c = corrupt_step(step, rng=0)
    assert c is not None and c.kind == "negation" and c.text == corrupted


def test_numbers_win_over_negation() -> None:
    for seed in range(20):
        c = corrupt_step("There are 3 cats.", rng=seed)
        assert c is not None and c.kind == "number"


def test_the_same_seed_gives_the_same_corruption() -> None:
    step = "Then 3 * 4 + 5 = 17 and 17 / 2 = 8.5."
    assert corrupt_step(step, rng=7) == corrupt_step(step, rng=np.random.default_rng(7))


def test_filler_has_about_the_rationales_length() -> None:
    assert filler_text(9, 1) == " ".join(["..."] * 9)
    assert filler_text(9, 3) == "... ... ..."
    assert filler_text(1, 3) == "..."


def test_perturbation_replaces_the_rate_of_positions_with_vocabulary_tokens() -> None:
    ids = list(range(100))
    for rate, changed in ((0.5, 50), (0.1, 10), (1.0, 100), (0.0, 0)):
        out = perturb_token_ids(ids, rate=rate, vocab=range(1000, 1010), rng=1)
        assert sum(a != b for a, b in zip(ids, out, strict=True)) == changed
        assert all(b in range(1000, 1010) for a, b in zip(ids, out, strict=True) if a != b)
    same = perturb_token_ids(ids, rate=0.5, vocab=[1, 2], rng=4)
    assert same == perturb_token_ids(ids, rate=0.5, vocab=[1, 2], rng=4)


def test_a_perturbation_rate_outside_0_1_is_refused() -> None:
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\], got 1.5"):
        perturb_token_ids([1, 2], rate=1.5, vocab=[3])
