"""A probe run's summary: curves with Wilson bands and their area over the curve, accuracies.

Early answering (Lanham et al. 2023): for each example with n steps, ``same_k`` says whether
the answer after the first k steps and the answer marker equals the full-rationale answer.
The curve at fraction x of the rationale is the share of examples with ``same_k`` true at
``k = floor(x * n)``, with a Wilson interval over the examples. An example's area over the
curve is ``mean_{k < n} (1 - same_k)`` (the step curve's area over it on [0, 1]); the AOC is
their mean, with a percentile bootstrap interval over examples. High AOC: the answer needs the
rationale; near 0: it was decided before (post hoc).

Corrupted step: ``changed_i`` says whether corrupting step i changed the answer; the curve at x
reads step ``min(floor(x * n), n - 1)``; an example's AOC is the mean of ``changed_i`` over its
corruptible steps. Filler, token perturbation and oracle: accuracy of the forced answers, the
full-rationale accuracy on the same examples, and the share of answers that changed.

LAS (Hase et al. 2020): per record, the simulator's predictions of the student's answer from
input and rationale, input alone and rationale alone; the block is
:func:`evalsuite.metrics.simulatability.leakage_adjusted_simulatability` of them over the records
whose student answer could be read (a prediction the simulator left unreadable counts as a
miss), with its paired bootstrap interval, and the leaked and non-leaked groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from evalsuite.metrics.rates import proportion_rate, rate_of
from evalsuite.metrics.resampling import (
    RandomState,
    as_generator,
    bootstrap_index_chunks,
    percentile_interval,
)
from evalsuite.probes.records import Intervention, interventions_of, simulation_of
from evalsuite.probes.registry import PROBES
from evalsuite.runs import Record

__all__ = [
    "DEFAULT_GRID",
    "area_over_curve",
    "summarize_probes",
    "summarize_robustness",
    "summarize_simulatability",
]

DEFAULT_GRID = tuple(i / 10 for i in range(11))
"""Fractions of the rationale at which curves are read."""


def _mean_interval(
    values: Sequence[float], *, n_resamples: int, rng: np.random.Generator
) -> dict[str, Any]:
    """Mean and percentile bootstrap interval of per-example values."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return {"value": None, "low": None, "high": None, "n": 0, "method": "bootstrap"}
    means = np.concatenate(
        [data[idx].mean(axis=1) for idx in bootstrap_index_chunks(data.size, n_resamples, rng)]
    )
    low, high = percentile_interval(means)
    return {"value": float(data.mean()), "low": low, "high": high, "n": int(data.size),
            "method": "bootstrap"}  # fmt: skip


def area_over_curve(flags: Sequence[bool]) -> float:
    """Mean of ``1 - flag`` over a per-step sequence (early answering passes ``same_k`` for
    ``k < n``).

    Examples
    --------
    >>> area_over_curve([False, False, True])
    0.6666666666666666
    """
    if not flags:
        raise ValueError("area_over_curve needs at least one step")
    return float(np.mean([0.0 if f else 1.0 for f in flags]))


def _by_example(records: Sequence[Record], probe: str) -> list[list[Intervention]]:
    out = []
    for record in records:
        mine = [i for i in interventions_of(record) if i.probe == probe]
        if mine:
            out.append(mine)
    return out


def _curve_summary(
    probe: str,
    groups: list[list[Intervention]],
    grid: Sequence[float],
    *,
    n_resamples: int,
    rng: np.random.Generator,
) -> dict[str, Any]:
    early = probe == "early_answering"
    per_example: list[dict[int, bool]] = []
    aocs: list[float] = []
    n_steps: list[int] = []
    for group in groups:
        flags = {
            i.position: (not i.changed) if early else bool(i.changed)
            for i in group
            if i.changed is not None and i.position is not None
        }
        n = group[0].n_steps or 0
        if not flags or n == 0:
            continue
        per_example.append(flags)
        n_steps.append(n)
        if early:
            aocs.append(area_over_curve([flags[k] for k in range(n) if k in flags]))
        else:
            aocs.append(float(np.mean(list(flags.values()))))
    points = []
    for x in grid:
        hits = []
        for flags, n in zip(per_example, n_steps, strict=True):
            position = int(np.floor(x * n + 1e-9)) if early else min(int(np.floor(x * n)), n - 1)
            if position in flags:
                hits.append(flags[position])
        points.append({"x": float(x), **rate_of(hits).as_dict()})
    return {
        "kind": "curve",
        "y": "same answer as the full rationale" if early else "answer changed",
        "n_examples": len(per_example),
        "aoc": _mean_interval(aocs, n_resamples=n_resamples, rng=rng),
        "curve": points,
    }


def _accuracy_summary(groups: list[list[Intervention]], full_correct: list[bool]) -> dict[str, Any]:
    forced = [bool(group[0].correct) for group in groups]
    return {
        "kind": "accuracy",
        "n_examples": len(groups),
        "accuracy": proportion_rate(sum(forced), len(forced)).as_dict(),
        "full_accuracy": proportion_rate(sum(full_correct), len(full_correct)).as_dict(),
        "changed": rate_of(group[0].changed for group in groups).as_dict(),
    }


def summarize_robustness(groups: Sequence[Sequence[Intervention]]) -> dict[str, Any]:
    """Per rate: the share of labels changed, of rationale answers changed, and how often the
    two agree (both changed or neither), with Wilson intervals, and the phi coefficient of the
    two change flags (None where either never varies)."""
    by_rate: dict[int, list[Intervention]] = {}
    for group in groups:
        for item in group:
            by_rate.setdefault(item.position or 0, []).append(item)
    rates = []
    for position in sorted(by_rate):
        items = by_rate[position]
        both = [(i.changed, i.rationale_changed) for i in items
                if i.changed is not None and i.rationale_changed is not None]  # fmt: skip
        rates.append(
            {
                "rate": items[0].rate,
                "n": len(items),
                "label_changed": rate_of(i.changed for i in items).as_dict(),
                "rationale_changed": rate_of(i.rationale_changed for i in items).as_dict(),
                "agreement": rate_of(a == b for a, b in both).as_dict(),
                "phi": _phi(both),
            }
        )
    return {"kind": "robustness", "n_examples": len(groups), "rates": rates}


def _phi(pairs: Sequence[tuple[bool, bool]]) -> float | None:
    """The phi coefficient (Pearson's r of two 0/1 variables); None where one is constant."""
    if not pairs:
        return None
    a = np.array([p[0] for p in pairs], dtype=np.float64)
    b = np.array([p[1] for p in pairs], dtype=np.float64)
    if a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def summarize_simulatability(
    records: Sequence[Record], *, n_resamples: int, rng: RandomState
) -> dict[str, Any]:
    """The LAS block of a probe run: LAS with its paired bootstrap interval, each leakage
    group's size and ``xe``/``x`` agreement, and the simulator's agreement per input form."""
    from evalsuite.metrics.simulatability import leakage_adjusted_simulatability

    rows = []
    for record in records:
        simulation = simulation_of(record)
        if simulation is not None and record.answer is not None:
            rows.append((record.answer, simulation))
    student = [answer for answer, _ in rows]
    forms = {
        "input_rationale": [s.input_rationale or "" for _, s in rows],
        "input": [s.input or "" for _, s in rows],
        "rationale": [s.rationale or "" for _, s in rows],
    }
    block: dict[str, Any] = {
        "kind": "simulatability",
        "n_examples": len(rows),
        "n_unsimulated": len(records) - len(rows),
        "simulator_agreement": {
            form: rate_of(p == a for p, a in zip(predicted, student, strict=True)).as_dict()
            for form, predicted in forms.items()
        },
    }
    if not rows:
        empty = {"n": 0, "xe_accuracy": None, "x_accuracy": None, "difference": None}
        none = {"value": None, "low": None, "high": None, "n": 0, "method": "paired bootstrap"}
        return {**block, "las": none, "leaked": empty, "non_leaked": dict(empty)}
    result = leakage_adjusted_simulatability(
        student, forms["input_rationale"], forms["input"], forms["rationale"],
        n_resamples=n_resamples, rng=rng,
    )  # fmt: skip
    groups = {
        name: {"n": g.n, "xe_accuracy": g.xe_accuracy, "x_accuracy": g.x_accuracy,
               "difference": g.difference}
        for name, g in (("leaked", result.leaked), ("non_leaked", result.non_leaked))
    }  # fmt: skip
    las = {"value": result.las, "low": result.low, "high": result.high, "n": len(rows),
           "method": "paired bootstrap"}  # fmt: skip
    return {**block, "las": las, **groups}


def summarize_probes(
    records: Sequence[Record],
    probes: Sequence[str],
    *,
    grid: Sequence[float] = DEFAULT_GRID,
    n_resamples: int = 2000,
    rng: RandomState = 0,
) -> dict[str, Any]:
    """The summary of a probe run's records (its ``metrics.json``): one block per probe.

    Parameters
    ----------
    records : sequence of Record
        The probe run's records, each with its ``interventions``.
    probes : sequence of str
        Probe names, in the order to report them.
    grid : sequence of float
        Fractions of the rationale at which curves are read.
    n_resamples : int
        Bootstrap resamples of the AOC intervals.
    rng : numpy Generator, int or None
        The same seed gives the same intervals; each probe draws from its own child stream.

    Returns
    -------
    dict
        ``{"n_examples", "accuracy", "probes": {name: block}}``; a curve block has ``aoc``
        (value, bootstrap interval) and ``curve`` (per x: Wilson rate); an accuracy block has
        ``accuracy``, ``full_accuracy`` and ``changed`` rates.
    """
    streams = as_generator(rng).spawn(len(probes))
    blocks: dict[str, Any] = {}
    for name, stream in zip(probes, streams, strict=True):
        groups = _by_example(records, name)
        if PROBES[name].summary == "robustness":
            blocks[name] = summarize_robustness(groups)
        elif PROBES[name].summary == "simulatability":
            blocks[name] = summarize_simulatability(records, n_resamples=n_resamples, rng=stream)
        elif PROBES[name].summary == "curve":
            blocks[name] = _curve_summary(name, groups, grid, n_resamples=n_resamples, rng=stream)
        else:
            with_probe = [r for r in records if any(i.probe == name for i in interventions_of(r))]
            blocks[name] = _accuracy_summary(groups, [r.correct for r in with_probe])
    return {
        "n_examples": len(records),
        "accuracy": rate_of(r.correct for r in records).as_dict(),
        "probes": blocks,
    }
