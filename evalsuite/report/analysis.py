"""What a report computes before it lays anything out: each run's summary, the comparisons with
the baseline and the mutual-information estimates, gathered in one :class:`ReportAnalysis` that
every table module reads.

Every number comes from :mod:`evalsuite.metrics`, with the calls ``evalsuite metrics``,
``compare`` and ``mi`` make and the same seed, so the report and those verbs agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evalsuite.errors import UsageError
from evalsuite.metrics import significance as sig
from evalsuite.metrics.extraction import extraction_warning
from evalsuite.metrics.mutual_info import MIEstimate
from evalsuite.report.config import ReportConfig
from evalsuite.report.runs import METHOD_ORDER, Progress, ReportRun, ordered

if TYPE_CHECKING:
    from evalsuite.analysis.mutual_information import RunMI
    from evalsuite.metrics.temperature import TemperatureScaledECE
    from evalsuite.report.faithfulness import ProbeSummary
    from evalsuite.runs import Run

__all__ = [
    "INTERSECT_HINT",
    "Pairing",
    "ReportAnalysis",
    "analyse",
    "groups",
    "pairings",
]

INTERSECT_HINT = "pass --intersect to compare on the examples the runs share"

Pairing = tuple[str, list[ReportRun], list[ReportRun]]
"""(task, a method's runs, the baseline's runs on that task)."""


@dataclass(frozen=True)
class ReportAnalysis:
    """Every number a report shows, before any table is laid out.

    Attributes
    ----------
    runs : tuple of ReportRun
        The runs, described (method, task, split, label), in the order given.
    config : ReportConfig
    summaries : mapping of str to mapping
        Run name -> :func:`evalsuite.metrics.summary.summarize_run` of its records.
    comparisons : list of dict
        One entry per method that shares a task with the baseline (report.json's
        ``comparisons``), with Holm-adjusted p-values (the students' family apart from the
        reference rows', which ``reference`` marks).
    estimates : list of (ReportRun, MIEstimate)
        Every mutual-information estimate made.
    skipped : list of dict
        ``run``, ``estimator``, ``reason`` for each estimate that could not be made.
    mi : list of (ReportRun, RunMI)
        Each run's whole MI result: KSG's components, the known-truth checks, the warnings.
    temperature : mapping of str to TemperatureScaledECE or str
        Run name -> its ECE after a temperature fitted on the same checkpoint's validation run,
        or why there is none (:data:`evalsuite.analysis.calibration.NO_VALIDATION_RUN`).
    probes : tuple of ProbeSummary
        The probe runs' summaries (:mod:`evalsuite.report.faithfulness`), in the order given.
    """

    runs: tuple[ReportRun, ...]
    config: ReportConfig
    summaries: Mapping[str, Mapping[str, Any]]
    comparisons: list[dict[str, Any]]
    estimates: list[tuple[ReportRun, MIEstimate]]
    skipped: list[dict[str, str]]
    mi: list[tuple[ReportRun, RunMI]] = field(default_factory=list)
    temperature: Mapping[str, TemperatureScaledECE | str] = field(default_factory=dict)
    probes: tuple[ProbeSummary, ...] = ()

    @property
    def extraction_warnings(self) -> list[str]:
        """One line per run whose extraction failures exceed 20 %, in run order: the report
        shows them first (summary.md), in the main table's notes and in report.json."""
        found = (extraction_warning(r.name, self.summaries[r.name]) for r in self.runs)
        return [line for line in found if line]


def groups(runs: Sequence[ReportRun]) -> dict[tuple[str, str], list[ReportRun]]:
    """(method, task) -> its runs, in table order."""
    grouped: dict[tuple[str, str], list[ReportRun]] = {}
    for r in runs:
        grouped.setdefault((r.method, r.task), []).append(r)
    return grouped


def _compare(
    task: str, members: Sequence[ReportRun], base: Sequence[ReportRun], config: ReportConfig
) -> dict[str, Any]:
    """One method against the baseline on one task, by whichever test the run counts allow."""
    from evalsuite.metrics.comparison import compare_records

    method, baseline = members[0].method, base[0].method
    entry: dict[str, Any] = {
        "task": task,
        "method": method,
        "baseline": baseline,
        "reference": any(r.reference for r in members),
        "runs": [r.name for r in members],
        "baseline_runs": [r.name for r in base],
    }
    options: dict[str, Any] = {
        "test": config.test,
        "intersect": config.intersect,
        "n_resamples": config.n_resamples,
        "alpha": config.alpha,
        "rng": config.seed,
        "hint": INTERSECT_HINT,
    }
    if len(members) == 1 and len(base) == 1:
        result = compare_records(
            [(members[0].name, members[0].run.records), (base[0].name, base[0].run.records)],
            **options,
        )
        outcome = result["pair"]
    else:
        result = compare_records(
            [],
            [
                (method, [(r.name, r.run.records) for r in members]),
                (baseline, [(r.name, r.run.records) for r in base]),
            ],
            **options,
        )
        outcome = (result["group_tests"] or [None])[0]
    entry["n"] = result["n"]
    entry["dropped"] = result["dropped"]
    entry["result"] = result
    if outcome is None:
        entry.update(
            test=None, difference=None, p_value=None, low=None, high=None, significant=False
        )
        entry["note"] = (
            f"no test: comparing across seeds needs two or more runs of each method "
            f"({method} has {len(members)}, {baseline} has {len(base)})"
        )
        return entry
    significant = outcome["significant"] and outcome["difference"] > 0  # p <= alpha, better
    entry.update(
        test=outcome["test"],
        difference=outcome["difference"],
        p_value=outcome["p_value"],
        low=outcome.get("low"),
        high=outcome.get("high"),
        significant=bool(significant),
        n_resamples=outcome.get("n_resamples"),
        note=None,
    )
    return entry


def pairings(
    grouped: Mapping[tuple[str, str], list[ReportRun]], config: ReportConfig
) -> list[Pairing]:
    """(task, method's runs, baseline's runs) for every method that shares a task with the
    baseline, checked now (known baseline, runs on the same examples) so that bad input is
    refused before any work."""
    from evalsuite.metrics.pairing import align_runs

    if config.baseline is None:
        return []
    methods = ordered([method for method, _ in grouped], METHOD_ORDER)
    if config.baseline not in methods:
        raise UsageError(
            f"--baseline {config.baseline}: no run has this method; methods: {', '.join(methods)}"
        )
    found = []
    for (method, task), members in grouped.items():
        base = grouped.get((config.baseline, task))
        if base is not None and method != config.baseline:
            align_runs(
                [(r.name, r.run.records) for r in [*members, *base]],
                intersect=config.intersect,
                hint=INTERSECT_HINT,
            )
            found.append((task, members, base))
    return found


def _comparisons(
    paired: Sequence[Pairing], config: ReportConfig, say: Progress
) -> list[dict[str, Any]]:
    """Each pairing tested, then the p-values Holm-adjusted in two families: the students'
    comparisons together, and apart from them the reference rows' (the teacher, imported
    predictions; ``reference`` in each entry). A reference row is no candidate method, so its
    test must not make the students' correction stricter."""
    comparisons = []
    for task, members, base in paired:
        say(f"comparing {members[0].method} with {base[0].method} on {task}")
        comparisons.append(_compare(task, members, base, config))
    for reference in (False, True):
        tested = [
            c for c in comparisons if c["p_value"] is not None and c["reference"] == reference
        ]
        for c, p in zip(tested, sig.holm_adjust([c["p_value"] for c in tested]), strict=True):
            c["p_holm"] = float(p)
    return comparisons


def _prefixed(say: Progress, prefix: str) -> Progress:
    """``say`` with ``prefix: `` before each line."""
    return lambda line: say(f"{prefix}: {line}")


def _mutual_information(
    runs: Sequence[ReportRun], config: ReportConfig, say: Progress
) -> tuple[list[tuple[ReportRun, RunMI]], list[dict[str, str]]]:
    """Every configured estimator on every run that has representations.npz, by
    :func:`evalsuite.analysis.mutual_information.estimate_run_mi` as ``evalsuite mi`` runs it.

    A run or estimator that cannot give a number (no rationale representations, as for a
    label-only student; too few complete pairs; a probe without a closed label set; a
    degenerate representation) is skipped with its reason, which summary.md and report.json
    show: one such run does not stop the report. ``evalsuite mi`` on that run raises the same
    reason as an error.
    """
    from evalsuite.analysis.mutual_information import (
        KnownTruthChecks,
        MissingRepresentation,
        TooFewPairs,
        estimate_run_mi,
    )

    mi_config = config.mi_config()
    results, skipped = [], []
    checks = KnownTruthChecks()  # runs of one size share their known-truth checks

    def skip(r: ReportRun, name: str, reason: str) -> None:
        say(f"mutual information ({name}) skipped for {r.name}: {reason}")
        skipped.append({"run": r.name, "estimator": name, "reason": reason})

    for r in runs if config.mi_estimators else ():
        if r.run.representations() is None:
            continue
        try:
            result = estimate_run_mi(
                r.run, mi_config, progress=_prefixed(say, r.name), checks=checks
            )
        except (MissingRepresentation, TooFewPairs) as err:
            for name in config.mi_estimators:
                skip(r, name, str(err))
            continue
        results.append((r, result))
        for name, reason in result.skipped.items():
            skip(r, name, reason)
        for line in result.warnings:
            say(f"warning: {r.name}: {line}")
    return results, skipped


def _temperature(
    runs: Sequence[ReportRun], partners: Mapping[str, Run], config: ReportConfig, say: Progress
) -> dict[str, TemperatureScaledECE | str]:
    """Each run's ECE after a temperature fitted on its checkpoint's validation run, by
    :func:`evalsuite.analysis.calibration.temperature_scaling` as ``metrics --calibrate-on``
    computes it; or why not (no validation run given, or one that cannot fit a temperature)."""
    from evalsuite.analysis.calibration import NO_VALIDATION_RUN, temperature_scaling
    from evalsuite.errors import DataError

    found: dict[str, TemperatureScaledECE | str] = {}
    for r in runs:
        valid = partners.get(r.name)
        if valid is None:
            found[r.name] = NO_VALIDATION_RUN
            continue
        say(f"fitting a temperature for {r.name} on {valid.name}")
        try:
            found[r.name] = temperature_scaling(
                r.run, valid, confidence=config.confidence, option="validation run"
            )
        except DataError as err:
            found[r.name] = f"n/a ({err})"
    return found


def _summary(r: ReportRun, config: ReportConfig, say: Progress) -> Mapping[str, Any]:
    """The run's summary: its metrics.json where that is what this report would compute
    (:func:`evalsuite.report.explorer.stored_summary`: same records, seed and confidence
    variant), else :func:`evalsuite.metrics.summary.summarize_run` of its records, as
    ``evalsuite metrics --seed SEED --confidence VARIANT`` computes it."""
    from evalsuite.metrics.summary import summarize_run
    from evalsuite.report.explorer import stored_summary, task_same_answer

    stored = stored_summary(r.run, seed=config.seed, confidence=config.confidence)
    if stored is not None:
        say(f"summarising {r.name}: its metrics.json ({len(r.run.records)} records)")
        return stored
    say(f"summarising {r.name} ({len(r.run.records)} records)")
    return summarize_run(
        r.run.records,
        same_answer=task_same_answer(r.task),
        rng=config.seed,
        confidence=config.confidence,
    )


def analyse(
    runs: Sequence[ReportRun],
    paired: Sequence[Pairing],
    config: ReportConfig,
    say: Progress,
    *,
    partners: Mapping[str, Run] | None = None,
) -> ReportAnalysis:
    """Summaries, comparisons, MI estimates and temperature-scaled ECEs of ``runs``, checked
    beforehand by :func:`pairings` (which gives ``paired``); ``partners`` maps a run's name to
    its checkpoint's validation run
    (:func:`evalsuite.analysis.calibration.validation_partners`)."""
    summaries = {r.name: _summary(r, config, say) for r in runs}
    comparisons = _comparisons(paired, config, say)
    mi, skipped = _mutual_information(runs, config, say)
    return ReportAnalysis(
        runs=tuple(runs),
        config=config,
        summaries=summaries,
        comparisons=comparisons,
        estimates=[(r, e) for r, result in mi for e in result.estimates],
        skipped=skipped,
        mi=mi,
        temperature=_temperature(runs, partners or {}, config, say),
    )
