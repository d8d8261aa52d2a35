"""Compare systems on the same examples: what ``evalsuite compare`` reports, from records only.

Single runs are compared example by example (paired tests); groups of runs (one system over
several seeds) are compared by their seed-to-seed accuracies. All runs, grouped or not, are
aligned together first, so every number is on the same examples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np

from evalsuite.metrics import significance as sig
from evalsuite.metrics.pairing import align_runs
from evalsuite.metrics.rates import rate_of
from evalsuite.metrics.resampling import RandomState, as_generator

__all__ = ["compare_records"]

Records = Sequence[Mapping[str, Any]]


def _pairwise(
    names: Sequence[str],
    results: Sequence[sig.PairedTestResult],
    pairs: Sequence[tuple[int, int]],
) -> list[dict[str, Any]]:
    holm = sig.holm_adjust([r.p_value for r in results])
    return [
        {"a": names[i], "b": names[j], **r.as_dict(), "p_holm": float(p)}
        for (i, j), r, p in zip(pairs, results, holm, strict=True)
    ]


def compare_records(
    runs: Sequence[tuple[str, Records]],
    groups: Sequence[tuple[str, Sequence[tuple[str, Records]]]] = (),
    *,
    test: str = "bootstrap",
    intersect: bool = False,
    n_resamples: int = 10_000,
    n_resamples_ece: int = 2000,
    rng: RandomState = 0,
    hint: str = "",
) -> dict[str, Any]:
    """Paired tests between runs and seed-level tests between groups of runs.

    Parameters
    ----------
    runs : sequence of (name, records)
        Systems compared example by example: two give one paired test of the accuracy
        difference (``test``) and, when every paired record has a confidence, the paired
        bootstrap of the ECE difference; three or more give Cochran's Q and every pair with
        Holm-adjusted p-values.
    groups : sequence of (group name, sequence of (run name, records))
        Systems over several seeds: mean and sd of accuracy; with two or more groups of at least
        two runs each, Welch's t-test for every pair of groups, Holm-adjusted.
    test : str
        A key of :data:`evalsuite.metrics.significance.PAIRED_TESTS`.
    intersect, hint
        Passed to :func:`evalsuite.metrics.pairing.align_runs`.
    n_resamples, n_resamples_ece : int
        Resamples of the accuracy tests and of the ECE bootstrap.
    rng : Generator, int or None

    Returns
    -------
    dict
        ``n``, ``dropped`` {missing, gold_differs}, ``test``, ``runs`` (name, accuracy rate);
        ``pair`` and ``ece_pair`` for two runs; ``cochran_q`` and ``pairwise`` for three or more;
        ``groups`` and ``group_tests`` when groups are given.

    Raises
    ------
    ValueError
        For an unknown test, fewer than two systems, or a non-positive number of resamples.
    DataError
        From alignment, naming a differing id.
    """
    if test not in sig.PAIRED_TESTS:
        raise ValueError(f"unknown test '{test}'; choose from {', '.join(sig.PAIRED_TESTS)}")
    if n_resamples < 1 or n_resamples_ece < 1:
        raise ValueError("the number of resamples must be positive")
    if not groups and len(runs) < 2:
        raise ValueError(f"need at least two runs or a group to compare, got {len(runs)} run")
    members = list(runs) + [member for _, group in groups for member in group]
    paired = align_runs(members, intersect=intersect, hint=hint)
    generator = as_generator(rng)
    result: dict[str, Any] = {
        "n": paired.n,
        "dropped": {"missing": paired.dropped_missing, "gold_differs": paired.dropped_gold},
        "test": test,
        "runs": [
            {"name": name, "accuracy": rate_of(list(paired.correct[i])).as_dict()}
            for i, name in enumerate(paired.names)
        ],
    }
    paired_test = sig.PAIRED_TESTS[test]

    k = len(runs)
    names, correct, confidence = paired.names[:k], paired.correct[:k], paired.confidence[:k]
    if k == 2:
        outcome = paired_test(*correct, n_resamples=n_resamples, rng=generator)
        result["pair"] = {"a": names[0], "b": names[1], **outcome.as_dict()}
        result["ece_pair"] = None
        if not np.isnan(confidence).any():
            ece = sig.paired_bootstrap_ece_test(
                confidence[0], correct[0], confidence[1], correct[1],
                n_resamples=n_resamples_ece, rng=generator,
            )  # fmt: skip
            result["ece_pair"] = {"a": names[0], "b": names[1], **ece.as_dict()}
    elif k >= 3:
        q = sig.cochrans_q_test(correct)
        result["cochran_q"] = {"statistic": q.statistic, "df": q.df, "p_value": q.p_value}
        pairs = list(combinations(range(k), 2))
        outcomes = [
            paired_test(correct[i], correct[j], n_resamples=n_resamples, rng=generator)
            for i, j in pairs
        ]
        result["pairwise"] = _pairwise(names, outcomes, pairs)

    if groups:
        stats, start = [], k
        for name, group in groups:
            rows = paired.correct[start : start + len(group)]
            stats.append(sig.group_stats(name, rows.mean(axis=1)))
            start += len(group)
        result["groups"] = [g.as_dict() for g in stats]
        result["group_tests"] = None
        pairs = list(combinations(range(len(stats)), 2))
        if pairs and all(len(g.values) >= 2 for g in stats):
            outcomes = [sig.welch_seed_test(stats[i], stats[j]) for i, j in pairs]
            result["group_tests"] = _pairwise([g.name for g in stats], outcomes, pairs)
    return result
