"""Which run is what in a report: its method, task, split and seed, and its row label.

A student run's method is its checkpoint's recipe (``model.recipe`` in the run manifest), a
teacher run's is ``teacher``; anything else (imported predictions) is named by ``--method RUN=NAME``
or else by the run's own name. Runs of one method on one task are seeds of one system.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from evalsuite.errors import DataError, UsageError
from evalsuite.names import MULTI_PATH_RECIPE, RECIPES, SINGLE_PATH_MODES
from evalsuite.runs import MANIFEST, RECORDS, Manifest, Run, read_run

__all__ = [
    "METHOD_ORDER",
    "REFERENCE_KINDS",
    "Progress",
    "ReportRun",
    "describe_runs",
    "ordered",
    "parse_method_overrides",
    "read_runs",
    "run_method",
    "run_seed",
]

METHOD_ORDER = (
    *(
        method
        for recipe in RECIPES
        for method in (
            *(
                f"{recipe}-{mode}"
                for mode in (SINGLE_PATH_MODES if recipe == MULTI_PATH_RECIPE else ())
            ),
            recipe,
        )
    ),
    "teacher",
)
"""Rows of the main table in this order when present: the recipes, a mixed student's single
paths before its vote (``mixed-cot``, ``mixed-pot``, ``mixed``), then the teacher; other methods
follow as first seen."""

Progress = Callable[[str], None]

REFERENCE_KINDS = frozenset({"teacher", "predictions"})
"""Run kinds (``manifest.kind``) that are references, not students: tables show them apart."""


@dataclass(frozen=True)
class ReportRun:
    """One run as the report sees it: what it is and its row label.

    ``name`` identifies the run (its name, or its path where two runs share a name); ``label``
    is its row in the per-run tables (method, plus task, seed or name where needed to tell
    rows apart); ``method_from`` says where the method came from: ``"manifest"``,
    ``"--method"``, or ``"name"`` when nothing said and the run's name stands in.
    """

    run: Run
    name: str
    label: str
    method: str
    method_from: str
    task: str
    split: str
    seed: int | None

    @property
    def reference(self) -> bool:
        """A reference run (the teacher, imported predictions), not a student: tables show it
        apart and never mark it best, so the best student is what a bold number names."""
        return self.method == "teacher" or self.run.manifest.kind in REFERENCE_KINDS


def read_runs(paths: Sequence[str | os.PathLike[str]]) -> list[Run]:
    """Read run directories, refusing none, a repeated one, or one that cannot be read."""
    if not paths:
        raise UsageError("no runs given; pass one or more run directories")
    resolved = [Path(p).resolve() for p in paths]
    repeated = next(
        (p for p, r in zip(paths, resolved, strict=True) if resolved.count(r) > 1), None
    )
    if repeated is not None:
        raise UsageError(f"run {repeated} is given more than once")
    return [read_run(p) for p in paths]


def run_method(manifest: Manifest) -> str | None:
    """The method a manifest records: ``teacher`` for a teacher run, a student's recipe, or None.

    A mixed student scored on one kind of path (``score --paths cot|pot``) is its own method,
    ``mixed-cot`` or ``mixed-pot``: its runs are not seeds of the multi-path ``mixed`` runs.

    Examples
    --------
    >>> def manifest(doc):
    ...     return Manifest.from_json(doc, "manifest.json")
    >>> run_method(manifest({"kind": "student", "model": {"recipe": "dss"}}))
    'dss'
    >>> run_method(manifest({"kind": "x"})) is None
    True
    >>> run_method(manifest({"kind": "student", "model": {"recipe": "mixed"},
    ...                      "decoding": {"paths": "pot"}}))
    'mixed-pot'
    """
    if manifest.kind == "teacher":
        return "teacher"
    recipe = manifest.model.recipe if manifest.model is not None else None
    if not recipe:
        return None
    mode = manifest.decoding.paths if manifest.decoding is not None else None
    return f"{recipe}-{mode}" if mode in SINGLE_PATH_MODES else recipe


def run_seed(manifest: Manifest) -> int | None:
    """The training seed of a student run (``model.seed``), or None when it is not recorded.

    The top-level ``seed`` of a run manifest is the decoding seed, not the student's; runs
    written before schema 2 record no training seed.
    """
    return manifest.training_seed


def parse_method_overrides(specs: Sequence[str]) -> dict[str, str]:
    """``["runs/x=gpt4"]`` -> ``{"runs/x": "gpt4"}``, refusing a malformed or repeated RUN."""
    methods: dict[str, str] = {}
    for spec in specs:
        run, sep, method = spec.rpartition("=")
        if not sep or not run.strip() or not method.strip():
            raise UsageError(f"--method {spec!r}: expected RUN=METHOD")
        if run.strip() in methods:
            raise UsageError(f"--method {spec!r}: run '{run.strip()}' is given twice")
        methods[run.strip()] = method.strip()
    return methods


def _overrides(runs: Sequence[Run], methods: Mapping[str, str]) -> dict[int, str]:
    """Run index -> method for each ``--method RUN=METHOD`` (RUN: a path or a run name)."""
    chosen: dict[int, str] = {}
    for key, method in methods.items():
        hits = [
            i
            for i, r in enumerate(runs)
            if r.name == key or r.path.resolve() == Path(key).resolve()
        ]
        if not hits:
            raise UsageError(
                f"--method {key}={method}: '{key}' is not one of the runs given "
                f"({', '.join(str(r.path) for r in runs)})"
            )
        if len(hits) > 1:
            raise UsageError(f"--method {key}={method}: '{key}' names several runs; give its path")
        chosen[hits[0]] = method
    return chosen


def _required(run: Run, key: str) -> str:
    value = getattr(run.manifest, key)
    if not isinstance(value, str) or not value:
        raise DataError(f"{run.path / MANIFEST}: field '{key}' is missing; a report needs it")
    return value


def ordered(names: Sequence[str], first: Sequence[str] = ()) -> list[str]:
    """Distinct names, those in ``first`` in its order, then the rest as first seen."""
    seen = list(dict.fromkeys(names))
    return [n for n in first if n in seen] + [n for n in seen if n not in first]


def _row_labels(runs: Sequence[ReportRun], *, multi_task: bool) -> list[str]:
    """Unique row labels: the method (and task), then the seed or name where rows would clash."""
    base = [f"{r.method} / {r.task}" if multi_task else r.method for r in runs]
    labels = [
        b
        if base.count(b) == 1
        else (f"{b} seed {r.seed}" if r.seed is not None else f"{b} [{r.name}]")
        for b, r in zip(base, runs, strict=True)
    ]
    return [
        f"{label} [{r.name}]" if labels.count(label) > 1 else label
        for label, r in zip(labels, runs, strict=True)
    ]


def describe_runs(
    runs: Sequence[Run], *, methods: Mapping[str, str] | None = None
) -> list[ReportRun]:
    """Identify each run (method, task, split, seed, label), in table order: task, method, seed.

    Nothing is computed or printed here, so a report's bad input is refused before any work.

    Raises
    ------
    UsageError
        For no runs, or a ``methods`` key that names no run.
    DataError
        For a run without records or without a task or split in its manifest, and for runs of
        one task on different splits (one column holds one split).
    """
    if not runs:
        raise UsageError("no runs given; pass one or more run directories")
    chosen = _overrides(runs, methods or {})
    names = [r.name for r in runs]
    described = []
    for i, run in enumerate(runs):
        name = str(run.path) if names.count(run.name) > 1 else run.name
        if not run.records:
            raise DataError(f"run {name} ({run.path / RECORDS}) has no records")
        task, split = _required(run, "task"), _required(run, "split")
        method, source = chosen.get(i), "--method"
        if method is None:
            method, source = run_method(run.manifest), "manifest"
        if method is None:
            method, source = name, "name"
        described.append(
            ReportRun(run, name, "", method, source, task, split, run_seed(run.manifest))
        )

    first_split: dict[str, ReportRun] = {}
    for r in described:
        first = first_split.setdefault(r.task, r)
        if first.split != r.split:
            raise DataError(
                f"run {r.name} is on split '{r.split}' but run {first.name} of task '{r.task}' "
                f"is on '{first.split}'; one column holds one split"
            )

    tasks = ordered([r.task for r in described])
    methods_order = ordered([r.method for r in described], METHOD_ORDER)
    described.sort(
        key=lambda r: (
            tasks.index(r.task), methods_order.index(r.method), r.seed is None, r.seed or 0
        )
    )  # fmt: skip
    labels = _row_labels(described, multi_task=len(tasks) > 1)
    return [replace(r, label=label) for r, label in zip(described, labels, strict=True)]
