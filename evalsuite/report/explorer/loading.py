"""Finding and loading runs for the explorer: the page's arguments, the run directories under
``--runs``, and one run read, tabulated and summarised once per load (the page caches it)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from evalsuite.errors import UsageError
from evalsuite.metrics.registry import CALIBRATION_METRICS
from evalsuite.report.explorer.table import records_frame
from evalsuite.runs import MANIFEST, METRICS, RECORDS, Manifest, Record, Run, read_run

if TYPE_CHECKING:
    from evalsuite.metrics.summary import ConfidenceVariant

__all__ = [
    "RUNS_ENV",
    "USAGE",
    "AppConfig",
    "LoadedRun",
    "RunEntry",
    "find_run",
    "list_runs",
    "load_run",
    "parse_app_args",
    "records_mtime_ns",
    "stored_summary",
    "task_same_answer",
]

RUNS_ENV = "EVALSUITE_RUNS"
USAGE = "streamlit run app.py -- --runs DIR"


@dataclass(frozen=True)
class AppConfig:
    """The page's arguments: the directory whose runs it lists (None when not given)."""

    runs: Path | None


def parse_app_args(argv: Sequence[str], *, environ: Mapping[str, str] | None = None) -> AppConfig:
    """Parse what follows ``--`` in ``streamlit run app.py -- --runs DIR``.

    Parameters
    ----------
    argv : sequence of str
        The script's arguments (``sys.argv[1:]``).
    environ : mapping, optional
        Where to look for ``EVALSUITE_RUNS`` when ``--runs`` is absent (default ``os.environ``).

    Raises
    ------
    UsageError
        On an unknown argument or ``--runs`` without a value.

    Examples
    --------
    >>> parse_app_args(["--runs", "runs"], environ={}).runs
    PosixPath('runs')
    >>> parse_app_args([], environ={}).runs is None
    True
    """
    environ = os.environ if environ is None else environ
    runs: str | None = None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--runs":
            if not args or not args[0] or args[0].startswith("--"):
                raise UsageError(f"--runs: expected a directory after it; usage: {USAGE}")
            runs = args.pop(0)
        elif arg.startswith("--runs="):
            runs = arg.partition("=")[2]
            if not runs:
                raise UsageError(f"--runs: expected a directory after it; usage: {USAGE}")
        else:
            raise UsageError(f"unknown argument {arg!r}; usage: {USAGE}")
    if runs is None:
        runs = environ.get(RUNS_ENV) or None
    return AppConfig(runs=Path(runs) if runs is not None else None)


@dataclass(frozen=True)
class RunEntry:
    """A run found under the runs directory: its name there (relative path) and its location."""

    name: str
    path: Path


def list_runs(root: str | os.PathLike[str]) -> list[RunEntry]:
    """The run directories under ``root`` (``root`` itself included), sorted by name.

    A run directory is one holding both ``manifest.json`` and ``records.jsonl`` (docs/runs.md).
    Hidden directories are skipped.

    Raises
    ------
    UsageError
        When ``root`` does not exist or is not a directory.
    """
    base = Path(root)
    if not base.is_dir():
        raise UsageError(f"--runs {base}: no such directory; usage: {USAGE}")
    found: list[RunEntry] = []
    for manifest in base.rglob(MANIFEST):
        run_dir = manifest.parent
        relative = run_dir.relative_to(base)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if (run_dir / RECORDS).is_file():
            name = relative.as_posix() if relative.parts else base.resolve().name
            found.append(RunEntry(name=name, path=run_dir))
    return sorted(found, key=lambda entry: entry.name)


def records_mtime_ns(run_path: str | os.PathLike[str]) -> int:
    """Modification time of a run's records file, the key that invalidates cached loads."""
    return (Path(run_path) / RECORDS).stat().st_mtime_ns


def find_run(entries: Sequence[RunEntry], name: str) -> RunEntry | None:
    """The run a link names: by its name under ``--runs``, else the one run whose directory is
    called ``name`` (reports link runs by directory name, which does not know where the explorer
    was started). None when no run, or more than one, fits.

    Examples
    --------
    >>> runs = [RunEntry("dss/seed0", Path("r/dss/seed0")), RunEntry("mi", Path("r/mi"))]
    >>> find_run(runs, "seed0").name, find_run(runs, "mi").name, find_run(runs, "x")
    ('dss/seed0', 'mi', None)
    """
    for entry in entries:
        if entry.name == name:
            return entry
    by_dir = [entry for entry in entries if entry.path.name == name]
    return by_dir[0] if len(by_dir) == 1 else None


@dataclass(frozen=True)
class LoadedRun:
    """Everything the page shows about one run, computed once per load (the page caches it).

    Attributes
    ----------
    name : str
        The run's name (manifest, else directory name).
    path : Path
    manifest : Manifest
    records : list of Record
        The records as read, in file order.
    frame : DataFrame
        :func:`records_frame` of ``records``.
    summary : dict
        :func:`evalsuite.metrics.summary.summarize_run` of ``records`` (see :func:`load_run`).
    summary_source : str
        Where ``summary`` came from: "from metrics.json" or "computed from records".
    """

    name: str
    path: Path
    manifest: Manifest
    records: list[Record]
    frame: pd.DataFrame
    summary: dict[str, Any]
    summary_source: str

    @property
    def same_answer(self) -> Callable[[str, str], bool] | None:
        """The run's task's answer comparison, or None when the manifest names no known task."""
        return task_same_answer(self.manifest.task)


def task_same_answer(task: Any) -> Callable[[str, str], bool] | None:
    """``get_task(task).same_answer``, or None for a missing or unregistered task name."""
    from evalsuite.tasks import TASKS

    return TASKS[task].same_answer if isinstance(task, str) and task in TASKS else None


# summarize_run's top-level keys (its contract); a metrics.json lacking one is not used.
SUMMARY_KEYS = ("n", "accuracy", "extraction_failure", "consistency", "teacher_agreement",
                "calibration", "rationale", "paths", "confidence", "settings")  # fmt: skip


def stored_summary(
    run: Run, *, seed: int = 0, confidence: ConfidenceVariant = "answer"
) -> dict[str, Any] | None:
    """The run's metrics.json when it is the summary that ``summarize_run(run.records,
    rng=seed, confidence=confidence)`` would compute, else None.

    Scoring and the imports write that summary with seed 0 and the answer confidence when a run
    completes; reusing it spares the report and the explorer summarising every run again
    (rationale BLEU/ROUGE and the bootstrap intervals take seconds per thousand records). It is
    used when it has every summary key and every registered calibration metric, was made by
    this :data:`~evalsuite.metrics.summary.SUMMARY_VERSION` with this seed and confidence
    variant (its ``settings`` and ``confidence``; a metrics.json written before these keys,
    e.g. a schema-1 run's, is recomputed), counts as many records, and as many correct ones, as
    records.jsonl holds, and was written no earlier than records.jsonl (the writer writes it
    last).
    """
    from evalsuite.metrics.summary import SUMMARY_VERSION

    metrics = run.metrics
    if not isinstance(metrics, dict) or any(key not in metrics for key in SUMMARY_KEYS):
        return None
    if metrics["settings"] != {"version": SUMMARY_VERSION, "seed": seed}:
        return None
    if not isinstance(metrics["confidence"], dict) or (
        metrics["confidence"].get("variant") != confidence
    ):
        return None
    accuracy = metrics["accuracy"]
    if metrics["n"] != len(run.records) or not isinstance(accuracy, dict):
        return None
    if accuracy.get("k") != sum(r.correct for r in run.records):
        return None
    calibration = metrics["calibration"]
    if isinstance(calibration, dict) and any(key not in calibration for key in CALIBRATION_METRICS):
        return None  # written before a metric was registered
    written = (run.path / METRICS).stat().st_mtime_ns
    return metrics if written >= records_mtime_ns(run.path) else None


def load_run(path: str | os.PathLike[str]) -> LoadedRun:
    """Read a run directory, tabulate its records and summarise them.

    The summary is the run's metrics.json when :func:`stored_summary` accepts it, else
    :func:`evalsuite.metrics.summary.summarize_run` of the records, with teacher agreement
    judged by the manifest's task's answer comparison.

    Raises
    ------
    DataError
        When the run directory is missing or malformed (from :func:`read_run`).
    """
    from evalsuite.metrics.summary import summarize_run

    run = read_run(path)
    summary = stored_summary(run)
    source = f"from {METRICS}"
    if summary is None:
        same_answer = task_same_answer(run.manifest.task)
        summary = summarize_run(run.records, same_answer=same_answer)
        source = "computed from records"
    return LoadedRun(
        name=run.name,
        path=run.path,
        manifest=run.manifest,
        records=run.records,
        frame=records_frame(run.records),
        summary=summary,
        summary_source=source,
    )
