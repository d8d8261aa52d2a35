"""Comparing runs read from their directories: each run on its own, or gathered into groups of
runs over several seeds, paired by example id.

``evalsuite compare`` and the demo call :func:`compare_runs`; the statistics are
:func:`evalsuite.metrics.comparison.compare_records`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalsuite.errors import DataError, UsageError
from evalsuite.runs import Run

__all__ = ["INTERSECT_HINT", "compare_runs"]

INTERSECT_HINT = "pass --intersect to compare on the examples all runs share"


def _unique_names(paths: Sequence[str], names: Sequence[str]) -> list[str]:
    """Run names, falling back to the path where two runs share a name."""
    return [p if names.count(n) > 1 else n for p, n in zip(paths, names, strict=True)]


def _check_one_task(runs: Sequence[Run]) -> None:
    """Refuse runs of different tasks or splits: their ids and golds may match by chance (a SVAMP
    run and an arith run both number their examples), which would pair unrelated examples."""
    for key in ("task", "split"):
        named = [
            (r, getattr(r.manifest, key)) for r in runs if getattr(r.manifest, key) is not None
        ]
        first = next(iter(named), None)
        for run, value in named:
            if first is not None and value != first[1]:
                raise DataError(
                    f"run {run.path} is {key} '{value}' but run {first[0].path} is {key} "
                    f"'{first[1]}'; runs of different {key}s are not compared"
                )


def compare_runs(
    run_paths: Sequence[str],
    groups: Sequence[tuple[str, list[str]]],
    *,
    test: str,
    intersect: bool,
    seed: int,
    n_resamples: int,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Read the runs and compare them (:func:`evalsuite.metrics.comparison.compare_records`)."""
    from evalsuite.metrics.comparison import compare_records
    from evalsuite.runs import read_run

    if n_resamples < 1:
        raise UsageError(f"--n-resamples: must be a positive integer, got {n_resamples}")
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"--alpha: must be between 0 and 1 (exclusive), got {alpha:g}")
    if not groups and len(run_paths) < 2:
        raise UsageError(
            f"compare needs at least two runs (got {len(run_paths)}) or --group NAME=RUN,RUN,..."
        )
    all_paths = list(run_paths) + [p for _, paths in groups for p in paths]
    duplicate = next((p for p in all_paths if all_paths.count(p) > 1), None)
    if duplicate is not None:
        raise UsageError(f"run {duplicate} is given more than once")
    loaded = [read_run(p) for p in all_paths]
    _check_one_task(loaded)
    names = _unique_names(all_paths, [r.name for r in loaded])
    members = list(zip(names, (r.records for r in loaded), strict=True))
    k = len(run_paths)
    grouped, start = [], k
    for name, paths in groups:
        grouped.append((name, members[start : start + len(paths)]))
        start += len(paths)
    result = compare_records(
        members[:k],
        grouped,
        test=test,
        intersect=intersect,
        n_resamples=n_resamples,
        rng=seed,
        alpha=alpha,
        hint=INTERSECT_HINT,
    )
    for entry, run in zip(result["runs"], loaded, strict=True):
        entry["path"] = str(run.path)
    result["seed"] = seed
    return result
