"""Compare systems on the same examples: what ``evalsuite compare`` reports, from records only.

Single runs are compared example by example (paired tests); groups of runs (one system over
several seeds) are compared by their seed-to-seed accuracies. All runs, grouped or not, are
aligned together first, so every number is on the same examples.

Every random quantity draws from its own child stream of the injected ``rng`` (the p-values of
the chosen test, the accuracy-difference intervals, the ECE-difference bootstrap), so choosing
another test changes only the p-values: no interval depends on the test. (It used to share one
Generator, so the ECE interval moved with ``--test``: each test consumed a different number of
draws before the ECE bootstrap ran.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np

from evalsuite.metrics import significance as sig
from evalsuite.metrics.pairing import align_runs
from evalsuite.metrics.rates import rate_of
from evalsuite.metrics.resampling import Interval, RandomState, as_generator
from evalsuite.runs.records import Record

__all__ = ["compare_records"]

Records = Sequence[Record | Mapping[str, Any]]


def _with_interval(
    outcome: sig.PairedTestResult, interval: Interval, n_resamples: int
) -> dict[str, Any]:
    """The test's JSON form with the test-independent accuracy-difference interval."""
    return {
        **outcome.as_dict(),
        "low": interval.low,
        "high": interval.high,
        "interval": {**interval.as_dict(), "n_resamples": n_resamples},
        "n_shared": outcome.n,
    }


def _pairwise(
    names: Sequence[str],
    rows: Sequence[dict[str, Any]],
    pairs: Sequence[tuple[int, int]],
    alpha: float,
) -> list[dict[str, Any]]:
    holm = sig.holm_adjust([r["p_value"] for r in rows])
    return [
        {
            "a": names[i],
            "b": names[j],
            **r,
            "p_holm": float(p),
            "significant_holm": bool(p <= alpha),
        }
        for (i, j), r, p in zip(pairs, rows, holm, strict=True)
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
    alpha: float = 0.05,
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
        Split into independent child streams, one per role (test, interval, ECE bootstrap).
    alpha : float
        Level of every decision (``significant``, ``decision``) and ``1 -`` interval level.

    Returns
    -------
    dict
        ``n``, ``dropped`` {missing, gold_differs}, ``test``, ``alpha``, ``runs`` (name,
        accuracy rate); ``pair`` and ``ece_pair`` for two runs; ``cochran_q`` and ``pairwise``
        for three or more; ``groups`` and ``group_tests`` when groups are given. Every test row
        carries ``p_value``, ``n_shared``, ``significant`` and ``decision`` at ``alpha``; the
        accuracy rows' ``low``/``high`` are a paired bootstrap interval whatever the test.

    Raises
    ------
    ValueError
        For an unknown test, fewer than two systems, or a non-positive number of resamples.
    DataError
        From alignment, naming a differing id.
    """
    paired_test = sig.PAIRED_TESTS[test]
    if n_resamples < 1 or n_resamples_ece < 1:
        raise ValueError("the number of resamples must be positive")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not groups and len(runs) < 2:
        raise ValueError(f"need at least two runs or a group to compare, got {len(runs)} run")
    members = list(runs) + [member for _, group in groups for member in group]
    paired = align_runs(members, intersect=intersect, hint=hint)
    test_streams, interval_streams, ece_stream = as_generator(rng).spawn(3)
    result: dict[str, Any] = {
        "n": paired.n,
        "dropped": {"missing": paired.dropped_missing, "gold_differs": paired.dropped_gold},
        "test": test,
        "alpha": alpha,
        "runs": [
            {"name": name, "accuracy": rate_of(list(paired.correct[i])).as_dict()}
            for i, name in enumerate(paired.names)
        ],
    }

    k = len(runs)
    names, correct, confidence = paired.names[:k], paired.correct[:k], paired.confidence[:k]
    pairs = list(combinations(range(k), 2))
    rows = [
        _with_interval(
            paired_test(correct[i], correct[j], n_resamples=n_resamples, rng=test_rng, alpha=alpha),
            sig.paired_accuracy_interval(
                correct[i], correct[j], n_resamples=n_resamples, alpha=alpha, rng=interval_rng
            ),
            n_resamples,
        )
        for (i, j), test_rng, interval_rng in zip(
            pairs, test_streams.spawn(len(pairs)), interval_streams.spawn(len(pairs)), strict=True
        )
    ]
    if k == 2:
        result["pair"] = {"a": names[0], "b": names[1], **rows[0]}
        result["ece_pair"] = None
        if not np.isnan(confidence).any():
            ece = sig.paired_bootstrap_ece_test(
                confidence[0], correct[0], confidence[1], correct[1],
                n_resamples=n_resamples_ece, alpha=alpha, rng=ece_stream,
            )  # fmt: skip
            result["ece_pair"] = {"a": names[0], "b": names[1], **ece.as_dict(), "n_shared": ece.n}
    elif k >= 3:
        q = sig.cochrans_q_test(correct)
        result["cochran_q"] = {
            "statistic": q.statistic,
            "df": q.df,
            "p_value": q.p_value,
            "significant": bool(q.p_value <= alpha),
        }
        result["pairwise"] = _pairwise(names, rows, pairs, alpha)

    if groups:
        stats, start = [], k
        for name, group in groups:
            members_rows = paired.correct[start : start + len(group)]
            stats.append(sig.group_stats(name, members_rows.mean(axis=1)))
            start += len(group)
        result["groups"] = [g.as_dict() for g in stats]
        result["group_tests"] = None
        group_pairs = list(combinations(range(len(stats)), 2))
        if group_pairs and all(len(g.values) >= 2 for g in stats):
            outcomes = [
                sig.welch_seed_test(stats[i], stats[j], alpha=alpha).as_dict()
                for i, j in group_pairs
            ]
            result["group_tests"] = _pairwise([g.name for g in stats], outcomes, group_pairs, alpha)
    return result
