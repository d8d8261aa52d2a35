"""What the LAS simulator reads and learns: its three input forms and its training examples.

The simulator of leakage-adjusted simulatability (Hase et al. 2020) predicts the *student's*
answer, not the gold label, from the input and the student's rationale (``input_rationale``,
"xe"), from the input alone (``input``, "x") and from the rationale alone (``rationale``, "e").
One simulator serves all three forms: it is trained with explanation dropout (a share of the
training examples shows the input alone) and input dropout (a share shows the rationale alone),
each example's form drawn once with the probe's seed. Validation examples appear in all three
forms. For multiple-choice tasks (CQA) the rationale-alone form keeps the answer choices, as
Hase et al. do, so that the simulator can name one of them; NLI labels need no list.

Pure functions, no model: :mod:`evalsuite.probes.simulatability` scores the student, trains the
simulator with the project's trainer and reads its predictions.

References
----------
Hase, Zhang, Xie, Bansal (2020). "Leakage-Adjusted Simulatability: Can Models Generate
Non-Trivial Explanations of Their Behavior in Natural Language?" Findings of EMNLP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from evalsuite.errors import UsageError
from evalsuite.example import Example
from evalsuite.registry import Registry

__all__ = [
    "FORMS",
    "SIMULATOR_DIR",
    "SIMULATOR_SPLITS",
    "SimulatorConfig",
    "StudentOutput",
    "assign_forms",
    "simulator_examples",
    "simulator_input",
]

SIMULATOR_DIR = "simulator"
"""The simulator's checkpoint directory, inside the probe run."""

SIMULATOR_SPLITS = ("train", "valid")
"""Splits the simulator may learn the student's predictions on (never the probed split)."""

FORMS: Registry[str] = Registry(
    "simulator input form",
    {
        "input_rationale": "the input and the student's rationale (xe)",
        "input": "the input alone (x)",
        "rationale": "the student's rationale alone (e); it decides leakage",
    },
)
"""The simulator's input forms, in the order records and summaries list them."""

RATIONALE_MARK = "rationale:"
CHOICES_MARK = "choices:"


@dataclass(frozen=True)
class SimulatorConfig:
    """How the LAS simulator is trained (``evalsuite probe --probe las``); saved in the probe
    block of the run's manifest, so a rerun with other settings is refused."""

    model: str = "tiny"
    """``tiny`` (a small T5 built from scratch), ``tiny-gpt2``, ``tiny-llama`` or a local
    Hugging Face checkpoint directory, as ``evalsuite train --model``."""
    steps: int = 300
    lr: float | None = None
    """None: the trainer's default for the model kind."""
    batch_size: int = 16
    split: str = "train"
    """The split whose student predictions it learns; the probed split is refused."""
    examples: int = 1000
    """The first N examples of ``split``; a tenth of them (at least one) select the best step."""
    explanation_dropout: float = 0.4
    """Share of training examples shown as the input alone."""
    input_dropout: float = 0.2
    """Share of training examples shown as the rationale alone."""

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise UsageError(f"--simulator-steps must be >= 1, got {self.steps}")
        if self.lr is not None and not self.lr > 0:
            raise UsageError(f"--simulator-lr must be > 0, got {self.lr}")
        if self.batch_size < 1:
            raise UsageError(f"--simulator-batch-size must be >= 1, got {self.batch_size}")
        if self.split not in SIMULATOR_SPLITS:
            raise UsageError(
                f"--simulator-split {self.split!r}: choose from {', '.join(SIMULATOR_SPLITS)}"
            )
        if self.examples < 2:
            raise UsageError(f"--simulator-examples must be >= 2, got {self.examples}")
        for option, value in (
            ("--explanation-dropout", self.explanation_dropout),
            ("--input-dropout", self.input_dropout),
        ):
            if not 0.0 <= value < 1.0:
                raise UsageError(f"{option} must be in [0, 1), got {value}")
        if self.explanation_dropout + self.input_dropout >= 1.0:
            raise UsageError(
                "--explanation-dropout plus --input-dropout must be < 1 (some training "
                f"examples must show input and rationale), got {self.explanation_dropout} + "
                f"{self.input_dropout}"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StudentOutput:
    """What the simulator learns from one example: the student's answer and its rationale."""

    answer: str
    rationale: str


def simulator_input(form: str, example: Example, rationale: str) -> str:
    """The text the simulator reads for ``example`` in ``form``.

    Examples
    --------
    >>> from evalsuite.example import Example
    >>> e = Example(id="1", input="premise: a. hypothesis: b.", gold="neutral", split="test")
    >>> simulator_input("input_rationale", e, "b is not said.")
    'premise: a. hypothesis: b. rationale: b is not said.'
    >>> simulator_input("rationale", e, "b is not said.")
    'rationale: b is not said.'
    """
    FORMS.check(form)
    if form == "input":
        return example.input
    if form == "input_rationale":
        return f"{example.input} {RATIONALE_MARK} {rationale}".strip()
    choices = f" {CHOICES_MARK} {', '.join(example.choices)}" if example.choices else ""
    return f"{RATIONALE_MARK} {rationale}{choices}".strip()


def assign_forms(
    n: int, *, explanation_dropout: float, input_dropout: float, rng: np.random.Generator | int
) -> list[str]:
    """Each training example's form: ``input`` with probability ``explanation_dropout``,
    ``rationale`` with probability ``input_dropout``, else ``input_rationale``.

    Examples
    --------
    >>> assign_forms(4, explanation_dropout=0.0, input_dropout=0.0, rng=0)
    ['input_rationale', 'input_rationale', 'input_rationale', 'input_rationale']
    """
    draws = np.random.default_rng(rng).random(n)
    return [
        "input"
        if u < explanation_dropout
        else "rationale"
        if u < explanation_dropout + input_dropout
        else "input_rationale"
        for u in draws
    ]


def _derived(example: Example, form: str, output: StudentOutput) -> Example:
    """A simulator example: its input is the form's text, its label the student's answer
    (gold and teacher label alike: the student is the simulator's teacher)."""
    return Example(
        id=f"{example.id}#{form}",
        input=simulator_input(form, example, output.rationale),
        gold=output.answer,
        split=example.split,
        teacher_label=output.answer,
        choices=example.choices,
    )


def simulator_examples(
    examples: Sequence[Example],
    outputs: Sequence[StudentOutput | None],
    config: SimulatorConfig,
    *,
    seed: int,
) -> tuple[list[Example], list[Example]]:
    """The simulator's training and validation examples from the student's outputs.

    The last tenth of ``examples`` (at least one) validates, in all three forms; the rest
    trains, each in the form :func:`assign_forms` draws. Examples whose student answer could
    not be read (``None``) are left out: there is nothing to simulate.

    Raises
    ------
    UsageError
        When fewer than two examples have a readable student answer.
    """
    kept = [(e, o) for e, o in zip(examples, outputs, strict=True) if o is not None]
    if len(kept) < 2:
        raise UsageError(
            f"probe 'las': the student's answer could be read on {len(kept)} of "
            f"{len(examples)} {config.split} examples; the simulator needs at least 2"
        )
    n_valid = max(1, len(kept) // 10)
    train, valid = kept[:-n_valid], kept[-n_valid:]
    forms = assign_forms(
        len(train),
        explanation_dropout=config.explanation_dropout,
        input_dropout=config.input_dropout,
        rng=seed,
    )
    return (
        [_derived(e, form, o) for (e, o), form in zip(train, forms, strict=True)],
        [_derived(e, form, o) for e, o in valid for form in FORMS],
    )
