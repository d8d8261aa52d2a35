"""Runs from outputs that were not scored here: the dataset's teacher, any model's JSONL, or
another harness's log (lm-eval ``--log_samples``, inspect_ai).

Both build records with the same function as ``evalsuite score`` and write them with the same
writer, so a teacher or an external model is compared, reported and browsed like any student.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalsuite.errors import DataError
from evalsuite.example import Example
from evalsuite.io import iter_jsonl
from evalsuite.provenance import file_sha256
from evalsuite.runs.origin import data_block, run_manifest
from evalsuite.runs.records import Record
from evalsuite.runs.writer import RunWriter
from evalsuite.scoring.records import PathOutput, build_record
from evalsuite.tasks import Task, get_task

if TYPE_CHECKING:
    from evalsuite.interop.samples import ForeignSample

__all__ = [
    "PREDICTION_FIELDS",
    "ImportResult",
    "ParsedPrediction",
    "describe",
    "examples_by_id",
    "import_log",
    "import_predictions",
    "import_teacher",
    "parse_prediction",
]

PREDICTION_FIELDS = ("id", "input", "prediction", "rationale", "confidence", "label_probs")
LABEL_PROBS_TOLERANCE = 1e-3
"""How far from 1 an imported ``label_probs`` may sum (rounded probabilities)."""


@dataclass(frozen=True)
class ImportResult:
    """Where the run went, how many examples it holds (of how many in the split), its metrics."""

    path: Path
    n_examples: int
    n_available: int
    metrics: dict[str, Any]


def describe(result: ImportResult) -> str:
    """One line for the terminal: where the run is, its size and accuracy."""
    accuracy = result.metrics["accuracy"]
    subset = (
        f" (predictions cover {result.n_examples} of the split's {result.n_available})"
        if result.n_examples < result.n_available
        else ""
    )
    return (
        f"{result.path}: {result.n_examples} examples, accuracy {100 * accuracy['value']:.2f} % "
        f"({accuracy['k']}/{accuracy['n']}){subset}"
    )


@dataclass(frozen=True)
class ParsedPrediction:
    """One validated line of a predictions file, matched to its example."""

    example: Example
    output: PathOutput
    confidence: float | None
    label_probs: dict[str, float] | None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _load(
    task: str, split: str, data_dir: str | os.PathLike[str] | None
) -> tuple[Task, list[Example]]:
    from evalsuite.data import load_examples

    resolved = get_task(task)
    return resolved, load_examples(resolved, split, data_dir=data_dir)


def _write_run(
    task: Task,
    split: str,
    data_dir: str | os.PathLike[str] | None,
    out: str | os.PathLike[str],
    examples: Sequence[Example],
    records: Sequence[Record],
    *,
    n_available: int,
    **manifest: Any,
) -> ImportResult:
    from evalsuite.metrics.summary import summarize_run

    run_dir = Path(out)
    created = not run_dir.exists()
    try:
        writer = RunWriter(
            run_dir,
            run_manifest(
                task=task,
                split=split,
                out=run_dir,
                examples=examples,
                data=data_block(task, split, data_dir, examples),
                **manifest,
            ),
        )
        writer.append(records)
        order = [e.id for e in examples]
        metrics = summarize_run(writer.records(order), same_answer=task.same_answer)
        writer.finish(order, metrics)
    except BaseException:
        # An import is all or nothing: a run directory this call made is not left "partial".
        if created and run_dir.is_dir():
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return ImportResult(run_dir, len(order), n_available, metrics)


def import_teacher(
    task: str,
    split: str,
    *,
    out: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
) -> ImportResult:
    """Turn the teacher outputs of a dataset split into a run (no confidence: the release has
    none).

    Raises
    ------
    DataError
        When the split has no teacher outputs (naming the first example without one).
    """
    resolved, examples = _load(task, split, data_dir)
    records = []
    for example in examples:
        if example.teacher_label is None:
            raise DataError(
                f"task '{resolved.name}' split '{split}': example '{example.id}' has no teacher "
                "output to import"
            )
        output = PathOutput(example.teacher_label, example.teacher_rationale)
        records.append(build_record(resolved, example, output))
    source = "rule-based synthetic teacher" if resolved.synthetic else "dataset teacher outputs"
    return _write_run(
        resolved,
        split,
        data_dir,
        out,
        examples,
        records,
        n_available=len(examples),
        kind="teacher",
        model={"name": "teacher", "source": source},
        model_hash=None,
    )


def parse_prediction(
    obj: Mapping[str, Any],
    where: str,
    task: Task,
    *,
    by_id: Mapping[str, Example],
    by_input: Mapping[str, Sequence[Example]],
) -> ParsedPrediction:
    """Validate one predictions line and match it to its example.

    Parameters
    ----------
    obj : mapping
        The parsed JSON object: ``id`` (a string, or an integer position where ids are
        positional) or ``input``; ``prediction``; optionally ``rationale``,
        ``confidence`` (in [0, 1]) and ``label_probs`` (candidate label -> probability, summing
        to 1 within 1e-3, labels from the example's closed label set).
    where : str
        "FILE line N", the start of every error message.
    by_id, by_input : mapping
        The split's examples by id (:func:`examples_by_id`), and by stripped input (a list:
        inputs may repeat).

    Raises
    ------
    DataError
        Naming ``where``, the field, the value and what is allowed.
    """
    unknown = sorted(set(obj) - set(PREDICTION_FIELDS))
    if unknown:
        raise DataError(
            f"{where}: unknown field '{unknown[0]}'; allowed: {', '.join(PREDICTION_FIELDS)}"
        )
    example = _match_example(obj, where, by_id=by_id, by_input=by_input)
    prediction = obj.get("prediction")
    if not isinstance(prediction, str):
        raise DataError(f"{where}: field 'prediction' must be a string, got {prediction!r}")
    rationale = obj.get("rationale")
    if rationale is not None and not isinstance(rationale, str):
        raise DataError(f"{where}: field 'rationale' must be a string or null, got {rationale!r}")
    confidence = obj.get("confidence")
    if confidence is not None and not (_is_number(confidence) and 0.0 <= confidence <= 1.0):
        raise DataError(
            f"{where}: field 'confidence' must be a number in [0, 1], got {confidence!r}"
        )
    label_probs = _label_probs(obj.get("label_probs"), where, task, example)
    return ParsedPrediction(
        example,
        PathOutput(prediction, rationale),
        float(confidence) if confidence is not None else None,
        label_probs,
    )


def examples_by_id(examples: Sequence[Example], split: str) -> dict[str, Example]:
    """The split's examples by id; where the ids are positions (``test-3`` is the split's fourth
    row: svamp, arith, esnli), by the bare position too (``"3"``), as other tools write ids.

    Examples
    --------
    >>> rows = [Example(id=f"test-{i}", input="q", gold="1", split="test") for i in range(2)]
    >>> sorted(examples_by_id(rows, "test"))
    ['0', '1', 'test-0', 'test-1']
    >>> sorted(examples_by_id(rows[1:], "test"))  # not the split from its first row: no positions
    ['test-1']
    """
    by_id = {e.id: e for e in examples}
    if all(e.id == f"{split}-{i}" for i, e in enumerate(examples)):
        by_id.update({str(i): e for i, e in enumerate(examples)})
    return by_id


def _match_example(
    obj: Mapping[str, Any],
    where: str,
    *,
    by_id: Mapping[str, Example],
    by_input: Mapping[str, Sequence[Example]],
) -> Example:
    if "id" not in obj and "input" not in obj:
        raise DataError(f"{where}: needs field 'id' or 'input' to match an example")
    if "id" in obj:
        example_id = obj["id"]
        if isinstance(example_id, int) and not isinstance(example_id, bool):
            example_id = str(example_id)  # a position, as lm-eval's doc_id is written
        if not isinstance(example_id, str):
            raise DataError(
                f"{where}: field 'id' must be a string or an integer, got {example_id!r}"
            )
        if example_id not in by_id:
            raise DataError(f"{where}: id '{example_id}' is not an example of this split")
        example = by_id[example_id]
        if "input" in obj and obj["input"] != example.input:
            raise DataError(f"{where}: field 'input' differs from the input of id '{example_id}'")
        return example
    text = obj["input"]
    if not isinstance(text, str):
        raise DataError(f"{where}: field 'input' must be a string, got {text!r}")
    matches = by_input.get(text.strip(), [])
    if not matches:
        raise DataError(f"{where}: field 'input' matches no example of this split")
    if len(matches) > 1:
        raise DataError(
            f"{where}: field 'input' matches {len(matches)} examples of this split "
            f"({', '.join(e.id for e in matches[:3])}); give their 'id' instead"
        )
    return matches[0]


def _label_probs(value: Any, where: str, task: Task, example: Example) -> dict[str, float] | None:
    if value is None:
        return None
    labels = task.label_set(example)
    if labels is None:
        raise DataError(
            f"{where}: field 'label_probs' given, but task '{task.name}' has open answers"
        )
    if not isinstance(value, dict) or not value:
        raise DataError(f"{where}: field 'label_probs' must map labels to numbers in [0, 1]")
    for label, prob in value.items():
        if label not in labels:
            raise DataError(
                f"{where}: field 'label_probs' has label {label!r}; allowed: {', '.join(labels)}"
            )
        if not (_is_number(prob) and 0.0 <= prob <= 1.0):
            raise DataError(
                f"{where}: field 'label_probs' must map labels to numbers in [0, 1], "
                f"got {prob!r} for {label!r}"
            )
    total = math.fsum(value.values())
    if abs(total - 1.0) > LABEL_PROBS_TOLERANCE:
        raise DataError(f"{where}: field 'label_probs' must sum to 1, got {total:.6g}")
    return {str(label): float(prob) for label, prob in value.items()}


def import_predictions(
    path: str | os.PathLike[str],
    task: str,
    split: str,
    *,
    out: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
) -> ImportResult:
    """Turn a predictions JSONL file into a run; every line is validated first.

    The run holds the examples the file predicts, in the split's order; an example predicted
    twice is an error.

    Raises
    ------
    DataError
        Naming the file and line of the first bad line.
    """
    resolved, examples = _load(task, split, data_dir)
    by_id = examples_by_id(examples, split)
    by_input: dict[str, list[Example]] = {}
    for e in examples:
        by_input.setdefault(e.input.strip(), []).append(e)
    seen: dict[str, int] = {}
    parsed: dict[str, ParsedPrediction] = {}
    for lineno, obj in iter_jsonl(path):
        where = f"{path} line {lineno}"
        item = parse_prediction(obj, where, resolved, by_id=by_id, by_input=by_input)
        if item.example.id in seen:
            raise DataError(
                f"{where}: example '{item.example.id}' was already predicted on line "
                f"{seen[item.example.id]}"
            )
        seen[item.example.id] = lineno
        parsed[item.example.id] = item
    if not parsed:
        raise DataError(f"{path}: no predictions (the file has no JSON lines)")
    covered = [e for e in examples if e.id in parsed]
    records = []
    for example in covered:
        item = parsed[example.id]
        records.append(
            build_record(
                resolved,
                example,
                item.output,
                label_probs=item.label_probs,
                confidence=item.confidence,
                confidence_source="provided" if item.confidence is not None else None,
            )
        )
    return _write_run(
        resolved,
        split,
        data_dir,
        out,
        covered,
        records,
        n_available=len(examples),
        kind="predictions",
        model={"format": "jsonl", "predictions_file": str(Path(path).resolve()),
               "lines": len(parsed)},
        model_hash=file_sha256(path),
        n_dataset_examples=len(examples),
        not_covered=[e.id for e in examples if e.id not in parsed],
    )  # fmt: skip


def import_log(
    path: str | os.PathLike[str],
    task: str,
    split: str,
    *,
    source: str,
    out: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    filter_name: str | None = None,
    join: str = "auto",
    label_map: Mapping[str, str] | None = None,
) -> ImportResult:
    """Turn another harness's log into a run: an lm-eval samples file or an inspect_ai log.

    Every sample is matched to its example (:mod:`evalsuite.interop.joining`) before anything
    is written; the run holds the matched examples in the split's order, and the manifest
    lists the split's examples the log does not cover (``not_covered``).

    Parameters
    ----------
    source : {"lm-eval", "inspect"}
        The log's format.
    filter_name, join, label_map
        lm-eval's filter to read; ``auto`` or ``text`` joining; choice -> label names.

    Raises
    ------
    DataError
        Naming the file and the line (or sample) of the first sample that cannot be read or
        matched, or an example matched twice.
    """
    from evalsuite.interop.joining import ExampleIndex

    resolved, examples = _load(task, split, data_dir)
    index = ExampleIndex(resolved.name, split, examples, examples_by_id(examples, split))
    if source == "lm-eval":
        from evalsuite.interop.lm_eval_samples import read_lm_eval_samples

        log = read_lm_eval_samples(
            path, resolved, index, filter_name=filter_name, join=join, label_map=label_map
        )
    elif source == "inspect":
        from evalsuite.interop.inspect_logs import read_inspect_log

        log = read_inspect_log(path, resolved, index, join=join, label_map=label_map)
    else:
        raise DataError(f"--from: unknown format '{source}'; choose from lm-eval, inspect")
    by_id: dict[str, ForeignSample] = {}
    for item in log.samples:
        first = by_id.get(item.example.id)
        if first is not None:
            raise DataError(
                f"{item.where}: example '{item.example.id}' was already matched by {first.where}"
            )
        by_id[item.example.id] = item
    covered = [e for e in examples if e.id in by_id]
    records = []
    for example in covered:
        item = by_id[example.id]
        record = build_record(
            resolved,
            example,
            item.output,
            label_probs=item.label_probs,
            confidence=item.confidence,
            confidence_source=item.confidence_source,
            samples=item.samples,
        )
        records.append(replace(record, imported=dict(item.imported)))
    return _write_run(
        resolved,
        split,
        data_dir,
        out,
        covered,
        records,
        n_available=len(examples),
        kind="predictions",
        model={k: v for k, v in log.model.items() if v is not None},
        model_hash=file_sha256(path),
        n_dataset_examples=len(examples),
        not_covered=[e.id for e in examples if e.id not in by_id],
    )
