"""Assemble a report from runs: LaTeX tables, figures, summary.md and report.json in one directory.

Runs are identified and grouped by :mod:`evalsuite.report.runs` (method, task, seed). Every
number is computed by :mod:`evalsuite.metrics`, with the calls ``evalsuite metrics``, ``compare``
and ``mi`` make and the same seed, so the report and those verbs print the same numbers; this
module lays the numbers out as :class:`~evalsuite.report.tables.Table` objects and writes them.

The report directory is built beside ``out`` under a temporary name and renamed into place, so a
failed report leaves nothing behind, and an existing report is replaced only when asked.

Layout of ``out``::

    tables/main.tex, calibration.tex, mi.tex   booktabs tables to \\input into a paper
    tables/paths.tex                           runs with reasoning paths: single paths and vote
    tables/all.tex                             the same tables as a standalone document
    figures/*.png, *.pdf                       reliability diagrams, accuracy-coverage, MI
    summary.md                                 the tables, significance in words, the runs
    report.json                                every number behind the tables, and how it was made
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evalsuite.errors import UsageError
from evalsuite.io import atomic_write_text
from evalsuite.metrics import significance as sig
from evalsuite.metrics.mutual_info import ESTIMATORS, MIConfig, MIEstimate
from evalsuite.provenance import file_sha256, now_iso, provenance
from evalsuite.report.markdown import TEST_NAMES, summary_markdown
from evalsuite.report.paths_table import paths_table
from evalsuite.report.runs import METHOD_ORDER, Progress, ReportRun, describe_runs, ordered
from evalsuite.report.tables import Cell, Table, latex_document, render_latex
from evalsuite.scoring.rundir import MANIFEST, RECORDS, REPRESENTATIONS, Run

__all__ = ["REPORT_JSON", "ReportConfig", "ReportResult", "build_report", "check_out"]

REPORT_JSON = "report.json"
MI_KEYS = ("label_repr", "rationale_repr")
MIN_MI_PAIRS = 10
"""Fewer complete pairs than this give no estimate (as `evalsuite mi` refuses them)."""
ESTIMATOR_NAMES = {
    "ksg": "KSG",
    "infonce": "InfoNCE",
    "nwj": "NWJ",
    "smile": "SMILE",
    "club": "CLUB",
    "probe": "probe",
}
CALIBRATION_COLUMNS = {
    "ECE": "ece",
    "smECE": "smooth_ece",
    "Brier": "brier",
    "mean confidence": "mean_confidence",
}
SPREAD_TEXT = {
    "wilson 95% half-width": "the Wilson 95% interval half-width for a single run",
    "sd across runs": "the standard deviation across runs (seeds) where a method has several",
}
INTERSECT_HINT = "pass --intersect to compare on the examples the runs share"


@dataclass(frozen=True)
class ReportConfig:
    """How a report is made; saved in report.json.

    Attributes
    ----------
    baseline : str or None
        Method the dagger compares against (None: no significance marks).
    test : str
        Paired test of one run against one baseline run: a key of
        :data:`evalsuite.metrics.significance.PAIRED_TESTS`. Methods with several runs (seeds)
        on both sides are compared by Welch's t-test across seeds instead.
    alpha : float
        Significance level of the dagger.
    n_resamples : int
        Resamples of the bootstrap and permutation tests.
    mi_estimators : tuple of str
        Keys of :data:`evalsuite.metrics.mutual_info.ESTIMATORS` run on every run with
        representations.npz; empty for none.
    intersect : bool
        Compare on the examples two runs share instead of refusing runs with different ids.
    figures : bool
        Draw the figures (the slowest part of a report).
    seed : int
        Seed of every random computation. Each comparison and summary is seeded with it afresh,
        so each equals what ``evalsuite compare/metrics/mi --seed SEED`` prints for those runs.
    overwrite : bool
        Replace an existing report at ``out``.
    methods : mapping of str to str
        ``RUN -> method`` for runs whose manifest does not say (RUN: the path or the run name).
    """

    baseline: str | None = None
    test: str = "bootstrap"
    alpha: float = 0.05
    n_resamples: int = 10_000
    mi_estimators: tuple[str, ...] = ("ksg",)
    intersect: bool = False
    figures: bool = True
    seed: int = 0
    overwrite: bool = False
    methods: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.test not in sig.PAIRED_TESTS:
            raise UsageError(f"--test {self.test}: choose from {', '.join(sig.PAIRED_TESTS)}")
        if not 0.0 < self.alpha < 1.0:
            raise UsageError(f"--alpha {self.alpha}: must be between 0 and 1 (exclusive)")
        if self.n_resamples < 1:
            raise UsageError(f"--n-resamples {self.n_resamples}: must be a positive integer")
        unknown = [name for name in self.mi_estimators if name not in ESTIMATORS]
        if unknown:
            raise UsageError(
                f"--mi-estimators {unknown[0]}: unknown estimator; "
                f"choose from {', '.join(ESTIMATORS)} (comma-separated) or none"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON form for report.json."""
        return {
            **asdict(self),
            "mi_estimators": list(self.mi_estimators),
            "methods": dict(self.methods),
        }


@dataclass(frozen=True)
class ReportResult:
    """What :func:`build_report` wrote: the directory, the tables, report.json's document."""

    out: Path
    main: Table
    calibration: Table
    mi: Table | None
    document: dict[str, Any]
    files: tuple[Path, ...]
    paths: Table | None = None
    """Runs with reasoning paths (mixed, Socratic): each single path's accuracy and the vote."""


# -- the main table ----------------------------------------------------------------------------
def _groups(runs: Sequence[ReportRun]) -> dict[tuple[str, str], list[ReportRun]]:
    """(method, task) -> its runs, in table order."""
    groups: dict[tuple[str, str], list[ReportRun]] = {}
    for r in runs:
        groups.setdefault((r.method, r.task), []).append(r)
    return groups


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
        "runs": [r.name for r in members],
        "baseline_runs": [r.name for r in base],
    }
    options: dict[str, Any] = {
        "test": config.test,
        "intersect": config.intersect,
        "n_resamples": config.n_resamples,
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
    significant = outcome["p_value"] < config.alpha and outcome["difference"] > 0
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


Pairing = tuple[str, list[ReportRun], list[ReportRun]]


def _pairings(
    groups: Mapping[tuple[str, str], list[ReportRun]], config: ReportConfig
) -> list[Pairing]:
    """(task, method's runs, baseline's runs) for every method that shares a task with the
    baseline, checked now (known baseline, runs on the same examples) so that bad input is
    refused before any work."""
    from evalsuite.metrics.pairing import align_runs

    if config.baseline is None:
        return []
    methods = ordered([method for method, _ in groups], METHOD_ORDER)
    if config.baseline not in methods:
        raise UsageError(
            f"--baseline {config.baseline}: no run has this method; methods: {', '.join(methods)}"
        )
    pairings = []
    for (method, task), members in groups.items():
        base = groups.get((config.baseline, task))
        if base is not None and method != config.baseline:
            align_runs(
                [(r.name, r.run.records) for r in [*members, *base]],
                intersect=config.intersect,
                hint=INTERSECT_HINT,
            )
            pairings.append((task, members, base))
    return pairings


def _main_table(
    runs: Sequence[ReportRun],
    summaries: Mapping[str, Mapping[str, Any]],
    pairings: Sequence[Pairing],
    config: ReportConfig,
    say: Progress,
) -> tuple[Table, list[dict[str, Any]], list[dict[str, Any]]]:
    groups = _groups(runs)
    comparisons = []
    for task, members, base in pairings:
        say(f"comparing {members[0].method} with {base[0].method} on {task}")
        comparisons.append(_compare(task, members, base, config))
    tested = [c for c in comparisons if c["p_value"] is not None]
    for c, p in zip(tested, sig.holm_adjust([c["p_value"] for c in tested]), strict=True):
        c["p_holm"] = float(p)
    by_key = {(c["method"], c["task"]): c for c in comparisons}

    cells: dict[tuple[str, str], Cell] = {}
    numbers = []
    for (method, task), members in groups.items():
        comparison = by_key.get((method, task))
        significant = bool(comparison and comparison["significant"])
        entry: dict[str, Any] = {
            "method": method,
            "task": task,
            "split": members[0].split,
            "runs": [r.name for r in members],
        }
        if len(members) == 1:
            rate = summaries[members[0].name]["accuracy"]
            cell = Cell(100 * rate["value"], 100 * (rate["high"] - rate["low"]) / 2, significant)
            entry.update(accuracy=rate, spread="wilson 95% half-width")
        else:
            accuracies = [summaries[r.name]["accuracy"]["value"] for r in members]
            stats = sig.group_stats(method, accuracies)
            cell = Cell(100 * stats.mean, 100 * (stats.sd or 0.0), significant)
            entry.update(seeds=stats.as_dict(), spread="sd across runs")
        cells[(method, task)] = cell
        numbers.append(
            {**entry, "value": cell.value, "spread_value": cell.spread, "significant": significant}
        )

    splits = ordered([r.split for r in runs])
    spreads = ordered([entry["spread"] for entry in numbers])
    footnote = [
        "Accuracy in %; ± is "
        + " and ".join(SPREAD_TEXT[s] for s in spreads)
        + ". Bold: best in each column."
    ]
    if config.baseline is not None:
        used = {c["test"] for c in tested}
        how = []
        if not used or used - {"welch"}:
            how.append(f"one run against one: {TEST_NAMES[config.test]} on the shared examples")
        if "welch" in used:
            how.append("seeds against seeds: Welch's t-test")
        footnote.append(
            f"† significantly better than {config.baseline} (two-sided p < {config.alpha:g}; "
            + "; ".join(how)
            + "; not corrected for multiple comparisons)."
        )
    table = Table(
        caption=f"Accuracy (%) on the {' / '.join(splits)} split",
        label="tab:main",
        rows=ordered([r.method for r in runs], METHOD_ORDER),
        columns=ordered([r.task for r in runs]),
        cells=cells,
        digits=1,
        footnote=" ".join(footnote),
    )
    best = {t: table.best_rows(t) for t in table.columns}
    for entry in numbers:
        entry["bold"] = entry["method"] in best[entry["task"]]
    return table, numbers, comparisons


# -- calibration and mutual information -----------------------------------------------------------
def _calibration_table(
    runs: Sequence[ReportRun], summaries: Mapping[str, Mapping[str, Any]]
) -> tuple[Table, list[dict[str, Any]]]:
    one_task = len({r.task for r in runs}) == 1
    cells: dict[tuple[str, str], Cell] = {}
    numbers = []
    for r in runs:
        cal = summaries[r.name]["calibration"]
        numbers.append(
            {
                "run": r.name,
                "label": r.label,
                "method": r.method,
                "task": r.task,
                **{key: None if cal is None else cal[key] for key in CALIBRATION_COLUMNS.values()},
                "ece_interval": None if cal is None else cal["ece_interval"],
                "n": 0 if cal is None else cal["n"],
            }
        )
        if cal is not None:
            for column, key in CALIBRATION_COLUMNS.items():
                cells[(r.label, column)] = Cell(cal[key])
    ranked = {
        c: (None if c == "mean confidence" or not one_task else False) for c in CALIBRATION_COLUMNS
    }
    footnote = (
        "ECE: 10 equal-width bins; smECE: smooth ECE (relplot); Brier score of the confidence "
        "in the answer given. Lower is better for these three"
        + ("" if one_task else " (best not marked across tasks)")
        + "; mean confidence is not ranked. -- : the run records no confidences."
    )
    table = Table(
        caption="Calibration of the answer confidence",
        label="tab:calibration",
        rows=[r.label for r in runs],
        columns=list(CALIBRATION_COLUMNS),
        cells=cells,
        higher_is_better=ranked,
        digits=3,
        footnote=footnote,
    )
    return table, numbers


def _probe_labels(run: Run, ids: Sequence[str]) -> list[str] | None:
    """The run's answers in the representations' order, for the probe (closed label sets)."""
    by_id = {r["id"]: r for r in run.records}
    answers = [by_id.get(i, {}).get("answer") for i in ids]
    if not any(r.get("label_probs") for r in run.records) or not ids or None in answers:
        return None
    return [str(a) for a in answers]


def _mutual_information(
    runs: Sequence[ReportRun], config: ReportConfig, say: Progress
) -> tuple[list[tuple[ReportRun, MIEstimate]], list[dict[str, str]]]:
    """Every configured estimator on every run that has representations.npz.

    A run or estimator that cannot give a number (no rationale representations, as for a
    label-only student; a probe without a closed label set; a degenerate representation) is
    skipped with its reason, which summary.md and report.json show: one such run does not
    stop the report. ``evalsuite mi`` on that run raises the same reason as an error.
    """
    from evalsuite.metrics.mutual_info import complete_pairs, estimate_mutual_information

    estimates, skipped = [], []

    def skip(r: ReportRun, name: str, reason: str) -> None:
        say(f"mutual information ({name}) skipped for {r.name}: {reason}")
        skipped.append({"run": r.name, "estimator": name, "reason": reason})

    for r in runs:
        reps = r.run.representations() if config.mi_estimators else None
        if reps is None:
            continue
        missing = next((key for key in MI_KEYS if key not in reps), None)
        ids = [str(i) for i in reps.get("ids", [])]
        if missing is None:  # leave out examples without a representation (NaN rows)
            keep = complete_pairs(reps[MI_KEYS[0]], reps[MI_KEYS[1]])
            reps = {key: reps[key][keep] for key in MI_KEYS}
            ids = [i for i, k in zip(ids, keep, strict=True) if k]
        for name in config.mi_estimators:
            labels = _probe_labels(r.run, ids) if name == "probe" else None
            if missing is not None:
                skip(r, name, f"{REPRESENTATIONS} has no '{missing}'")
            elif len(ids) < MIN_MI_PAIRS:
                skip(
                    r, name, f"{len(ids)} examples have both representations; needs {MIN_MI_PAIRS}"
                )
            elif name == "probe" and labels is None:
                skip(r, name, "needs a closed label set and an answer per example")
            else:
                say(f"estimating mutual information ({name}) for {r.name}")
                try:
                    estimate = estimate_mutual_information(
                        name, reps[MI_KEYS[0]], reps[MI_KEYS[1]], labels=labels,
                        config=MIConfig(), rng=config.seed,
                    )  # fmt: skip
                except ValueError as err:  # x and y in the message: the two arrays
                    skip(r, name, f"{err} (x = {MI_KEYS[0]}, y = {MI_KEYS[1]})")
                    continue
                estimates.append((r, estimate))
    return estimates, skipped


def _mi_table(estimates: Sequence[tuple[ReportRun, MIEstimate]]) -> Table | None:
    if not estimates:
        return None
    columns = ordered([ESTIMATOR_NAMES.get(e.estimator, e.estimator) for _, e in estimates])
    cells = {
        (r.label, ESTIMATOR_NAMES.get(e.estimator, e.estimator)): Cell(
            e.value, (e.high - e.low) / 2
        )
        for r, e in estimates
    }
    caveats = ordered(
        [f"{ESTIMATOR_NAMES.get(e.estimator, e.estimator)}: {e.caveat}" for _, e in estimates]
    )
    return Table(
        caption="Mutual information between label and rationale representations (nats)",
        label="tab:mi",
        rows=ordered([r.label for r, _ in estimates]),
        columns=columns,
        cells=cells,
        higher_is_better=dict.fromkeys(columns),
        digits=3,
        footnote="± is half the interval's width (KSG and probe: 95% normal approximation; "
        "neural bounds: range over seeds). " + "; ".join(caveats) + ".",
    )


# -- writing -----------------------------------------------------------------------------------
def _run_facts(r: ReportRun) -> dict[str, Any]:
    """What the runs list shows: identity, size, status, model, and the files' hashes."""
    manifest = r.run.manifest
    model = manifest["model"] if isinstance(manifest.get("model"), Mapping) else {}
    git = manifest["git"] if isinstance(manifest.get("git"), Mapping) else {}
    return {
        "name": r.name,
        "path": str(r.run.path),
        "label": r.label,
        "method": r.method,
        "task": r.task,
        "split": r.split,
        "seed": r.seed,
        "method_from": r.method_from,
        "kind": manifest.get("kind"),
        "status": manifest.get("status"),
        "n": len(r.run.records),
        "model": model.get("path") or model.get("source") or model.get("predictions_file"),
        "model_hash": manifest.get("model_hash"),
        "git_revision": git.get("revision"),
        "finished": manifest.get("finished"),
        "manifest_sha256": file_sha256(r.run.path / MANIFEST),
        "records_sha256": file_sha256(r.run.path / RECORDS),
        "has_representations": (r.run.path / REPRESENTATIONS).is_file(),
    }


def check_out(out: Path, *, overwrite: bool) -> None:
    """Refuse an ``out`` that exists, unless it is empty or (with ``overwrite``) a report.

    A directory without report.json is never replaced, so ``--overwrite`` cannot delete
    something that is not a report.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    if not any(out.iterdir()):
        return
    if not overwrite:
        raise UsageError(f"--out {out}: already exists; pass --overwrite to replace it")
    if not (out / REPORT_JSON).is_file():
        raise UsageError(
            f"--out {out}: exists and is not a report (no {REPORT_JSON}); --overwrite replaces "
            "only a report, so choose another --out"
        )


def _publish(staging: Path, out: Path, *, overwrite: bool) -> None:
    """Rename the finished ``staging`` directory to ``out``, moving an old report aside first."""
    check_out(out, overwrite=overwrite)  # again: something may have appeared meanwhile
    if not out.exists():
        os.replace(staging, out)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.replace(out, aside / out.name)
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(aside / out.name, out)
        raise
    shutil.rmtree(aside)


def build_report(
    runs: Sequence[Run],
    out: str | os.PathLike[str],
    config: ReportConfig | None = None,
    *,
    progress: Progress | None = None,
) -> ReportResult:
    """Write the report of ``runs`` to ``out``: tables, figures, summary.md and report.json.

    Parameters
    ----------
    runs : sequence of Run
        From :func:`read_runs` (or :func:`evalsuite.scoring.rundir.read_run`).
    out : path
        The report directory. Built under a temporary name beside it, then renamed; an existing
        one is refused unless ``config.overwrite`` and it is a report.
    config : ReportConfig, optional
    progress : callable, optional
        Called with one line per step (the CLI prints them on stderr).

    Returns
    -------
    ReportResult

    Raises
    ------
    UsageError
        For no runs, an existing ``out``, an unknown baseline or ``--method`` run.
    DataError
        For a run without records, task or split, runs of one task on different splits, runs
        whose examples differ from the baseline's (unless ``config.intersect``), or an
        unreadable representations.npz. All of these are checked before any computation, so
        the error is the only line a failed report prints.
    """
    from evalsuite.metrics.summary import summarize_run
    from evalsuite.report.explorer import task_same_answer
    from evalsuite.report.figures import write_report_figures

    config = config or ReportConfig()
    say = progress or (lambda _: None)
    out = Path(out)
    check_out(out, overwrite=config.overwrite)
    described = describe_runs(runs, methods=config.methods)
    pairings = _pairings(_groups(described), config)
    for r in described if config.mi_estimators else ():
        r.run.representations()  # an unreadable file is refused now, before any work
    for r in described:
        if r.method_from == "name":
            say(f"run {r.name} does not record its method: shown as '{r.method}' "
                f"(set one with --method {r.name}=METHOD)")  # fmt: skip
        if not r.run.complete:
            say(f"run {r.name} is not complete (status {r.run.manifest.get('status')!r})")
    summaries = {}
    for r in described:
        say(f"summarising {r.name} ({len(r.run.records)} records)")
        summaries[r.name] = summarize_run(
            r.run.records, same_answer=task_same_answer(r.task), rng=config.seed
        )
    main, main_numbers, comparisons = _main_table(described, summaries, pairings, config, say)
    calibration, calibration_numbers = _calibration_table(described, summaries)
    paths, paths_numbers = paths_table(described, summaries)
    estimates, skipped = _mutual_information(described, config, say)
    mi = _mi_table(estimates)

    document: dict[str, Any] = {
        "manifest": {
            "created": now_iso(),
            **provenance(),
            "out": str(out),
            "config": config.to_dict(),
            "runs": [_run_facts(r) for r in described],
        },
        "main": {"tasks": list(main.columns), "methods": list(main.rows), "cells": main_numbers},
        "comparisons": comparisons,
        "calibration": calibration_numbers,
        "paths": paths_numbers,
        "mi": {
            "unit": "nats",
            "x": MI_KEYS[0],
            "y": MI_KEYS[1],
            "skipped": skipped,
            "estimates": [{"run": r.name, "label": r.label, **e.as_dict()} for r, e in estimates],
        },
        "summaries": summaries,
    }
    tables = [t for t in (main, paths, calibration, mi) if t is not None]

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        staging.chmod(0o755)  # mkdtemp's 0700 would make the published report private
        named = (("main", main), ("paths", paths), ("calibration", calibration), ("mi", mi))
        for stem, table in named:
            if table is not None:
                atomic_write_text(staging / "tables" / f"{stem}.tex", render_latex(table))
        document_tex = latex_document([render_latex(t) for t in tables])
        atomic_write_text(staging / "tables" / "all.tex", document_tex)
        figures: list[Path] = []
        if config.figures:
            say("drawing figures")
            figures = write_report_figures(
                [(r.label, r.task, r.run.records) for r in described],
                [(r.label, e) for r, e in estimates],
                staging / "figures",
            )
        relative = [str(p.relative_to(staging)) for p in figures]
        atomic_write_text(
            staging / "summary.md", summary_markdown(out.name, document, tables, relative)
        )
        files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
        document["files"] = [*files, REPORT_JSON]
        atomic_write_text(
            staging / REPORT_JSON, json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        )
        _publish(staging, out, overwrite=config.overwrite)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    say(f"wrote {out}")
    return ReportResult(
        out=out,
        main=main,
        calibration=calibration,
        mi=mi,
        paths=paths,
        document=document,
        files=tuple(out / f for f in document["files"]),
    )
