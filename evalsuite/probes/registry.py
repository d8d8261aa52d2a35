"""The faithfulness probes, one registry: what each forces, and which couplings it applies to.

Every probe of a joint student plans, per example, a list of :class:`Planned` interventions on
the student's own rationale; the runner forces each one and reads the answer. A probe refuses a
student whose coupling (:mod:`evalsuite.coupling`) it does not apply to, in one line.

References: Lanham et al. 2023, "Measuring Faithfulness in Chain-of-Thought Reasoning" (early
answering, adding mistakes, filler tokens); Wang et al. 2023, "SCOTT" (token perturbation);
Hase et al. 2020 (LAS); Wiegreffe et al. 2021 (robustness equivalence).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from evalsuite.errors import UsageError
from evalsuite.names import FAITHFULNESS_PROBES
from evalsuite.probes.chain_plans import (
    ChainInput,
    ChainPlanned,
    corrupted_step_on_chain,
    early_answering_on_chain,
    filler_on_chain,
    oracle_on_chain,
    token_perturbation_on_chain,
)
from evalsuite.probes.steps import (
    corrupt_step,
    filler_text,
    join_steps,
    perturb_token_ids,
    split_steps,
)
from evalsuite.registry import Registry

__all__ = [
    "PROBES",
    "Planned",
    "Probe",
    "ProbeInput",
    "chain_plan",
    "check_applies",
    "forcing_plan",
]


@dataclass(frozen=True)
class ProbeInput:
    """What a probe plans from: the student's rationale and the means to change it."""

    rationale: str
    teacher_rationale: str | None
    rng: np.random.Generator
    token_ids: Callable[[str], list[int]]
    text: Callable[[Sequence[int]], str]
    vocabulary: Callable[[], Sequence[int]]
    perturbation_rate: float = 0.5


@dataclass(frozen=True)
class Planned:
    """One intervention: the rationale text forced in place of the student's own.

    ``answer_now``: the answer marker follows the forced text, and the student writes only the
    answer; otherwise the student continues after it (its rest of the rationale, the marker and
    the answer). ``position``: early answering the steps kept (k), corrupted step the step's
    index; None for probes without positions. ``n_steps``: steps in the student's rationale.
    """

    rationale: str
    answer_now: bool
    position: int | None
    n_steps: int
    detail: str | None = None


def _early_answering(given: ProbeInput) -> list[Planned]:
    steps = split_steps(given.rationale)
    n = len(steps)
    if n == 0:
        return []
    return [Planned(join_steps(steps[:k]), True, k, n) for k in range(n + 1)]


def _corrupted_step(given: ProbeInput) -> list[Planned]:
    steps = split_steps(given.rationale)
    planned = []
    for i, step in enumerate(steps):
        corruption = corrupt_step(step, given.rng)
        if corruption is None:
            continue  # a step of prose: no rule-based mistake to make
        detail = f"{corruption.kind} {corruption.original} -> {corruption.replacement}"
        text = join_steps([*steps[:i], corruption.text])
        planned.append(Planned(text, False, i, len(steps), detail))
    return planned


def _filler(given: ProbeInput) -> list[Planned]:
    n_tokens = len(given.token_ids(given.rationale))
    if n_tokens == 0:
        return []
    text = filler_text(n_tokens, len(given.token_ids("...")))
    return [Planned(text, True, None, len(split_steps(given.rationale)))]


def _token_perturbation(given: ProbeInput) -> list[Planned]:
    ids = given.token_ids(given.rationale)
    if not ids:
        return []
    changed = perturb_token_ids(
        ids, rate=given.perturbation_rate, vocab=given.vocabulary(), rng=given.rng
    )
    detail = f"{sum(a != b for a, b in zip(ids, changed, strict=True))} of {len(ids)} tokens"
    return [Planned(given.text(changed), True, None, len(split_steps(given.rationale)), detail)]


def _oracle(given: ProbeInput) -> list[Planned]:
    if not given.teacher_rationale:
        return []
    teacher = given.teacher_rationale.strip()
    return [Planned(teacher, True, None, len(split_steps(teacher)))]


@dataclass(frozen=True)
class Probe:
    """A probe: its label, the couplings it applies to, how it plans its interventions, and
    what its summary reports (``curve``: a curve over positions with its AOC; ``accuracy``:
    accuracy of the forced answers against the full rationale's)."""

    label: str
    couplings: tuple[str, ...]
    plan: Callable[[ProbeInput], list[Planned]] | None
    """None: the probe forces nothing (robustness rescores perturbed inputs; LAS trains a
    simulator of the student's answers, :mod:`evalsuite.probes.simulatability`)."""
    summary: str
    chain_plan: Callable[[ChainInput], list[ChainPlanned]] | None = None
    """How it plans on a Socratic student's chain (:mod:`evalsuite.probes.chain_plans`)."""


JOINT = ("joint",)

_LABEL = FAITHFULNESS_PROBES

PROBES: Registry[Probe] = Registry(
    "probe",
    {
        "early_answering": Probe(
            _LABEL["early_answering"], JOINT, _early_answering, "curve", early_answering_on_chain
        ),
        "corrupted_step": Probe(
            _LABEL["corrupted_step"], JOINT, _corrupted_step, "curve", corrupted_step_on_chain
        ),
        "filler": Probe(_LABEL["filler"], JOINT, _filler, "accuracy", filler_on_chain),
        "token_perturbation": Probe(
            _LABEL["token_perturbation"],
            JOINT,
            _token_perturbation,
            "accuracy",
            token_perturbation_on_chain,
        ),
        "oracle": Probe(_LABEL["oracle"], JOINT, _oracle, "accuracy", oracle_on_chain),
        "robustness": Probe(_LABEL["robustness"], ("joint", "separate"), None, "robustness"),
        "las": Probe(_LABEL["las"], ("joint", "separate"), None, "simulatability"),
    },
)
"""Probes by name (``evalsuite probe --probe NAME``), the names of
:data:`evalsuite.names.FAITHFULNESS_PROBES`."""


def check_applies(names: Sequence[str], coupling: str | None, *, what: str) -> None:
    """Refuse, in one line, a probe whose couplings do not include ``coupling``.

    Raises
    ------
    UsageError
        Naming the probe, its couplings and the student's (``what`` says which student).
    """
    for name in names:
        probe = PROBES[name]
        if coupling not in probe.couplings:
            raise UsageError(
                f"probe '{name}' applies to {' or '.join(probe.couplings)} students only; "
                f"{what} has coupling '{coupling}'"
            )


def forcing_plan(name: str) -> Callable[[ProbeInput], list[Planned]]:
    """The plan of a probe that forces prefixes (every probe but robustness)."""
    plan = PROBES[name].plan
    if plan is None:
        raise UsageError(f"probe '{name}' forces no prefix; it runs alone (its own --out)")
    return plan


def chain_plan(name: str) -> Callable[[ChainInput], list[ChainPlanned]]:
    """The plan of a forcing probe on a Socratic chain."""
    plan = PROBES[name].chain_plan
    if plan is None:
        raise UsageError(f"probe '{name}' forces no prefix; it runs alone (its own --out)")
    return plan
