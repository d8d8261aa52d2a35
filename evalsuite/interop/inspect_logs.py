"""inspect_ai logs (``.eval``, ``.json``): read as runs and written from runs, by inspect_ai itself.

Both directions go through inspect_ai's own ``read_eval_log`` and ``write_eval_log`` (the
``.eval`` format is a zip whose layout is inspect's business), so ``inspect view`` browses an
exported run. inspect_ai is an optional extra: without it these functions stop with one line
naming ``pip install 'evalsuite[inspect]'``. It is imported inside the functions, never at
module level.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalsuite.errors import DataError, UsageError
from evalsuite.interop.joining import ExampleIndex
from evalsuite.interop.samples import EVALSUITE_KEY, ForeignLog, ForeignSample, label_of_choice
from evalsuite.runs.records import Record
from evalsuite.scoring.records import PathOutput
from evalsuite.tasks import Task

__all__ = ["INSTALL_HINT", "read_inspect_log", "write_inspect_log"]

INSTALL_HINT = "pip install 'evalsuite[inspect]'"
SCORER = "evalsuite"
"""The scorer name an exported log's scores carry (evalsuite's own judgment)."""


def _inspect_log_module() -> Any:
    try:
        import inspect_ai.log as inspect_log
    except ImportError:
        raise UsageError(f"inspect_ai logs need inspect_ai: {INSTALL_HINT}") from None
    return inspect_log


def _input_text(value: Any) -> str:
    """A sample's input as text: the string, or its messages' text joined by newlines."""
    if isinstance(value, str):
        return value
    return "\n".join(str(getattr(message, "text", "")) for message in value)


def _position(sample_id: Any) -> Any:
    """inspect numbers samples without ids from 1; evalsuite's positional ids count from 0."""
    if isinstance(sample_id, int) and not isinstance(sample_id, bool):
        return sample_id - 1
    return sample_id


def _score_block(scores: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        name: {"value": score.value, "answer": score.answer}
        for name, score in (scores or {}).items()
    }


def _answer(sample: Any, task: Task, example: Any, label_map: Mapping[str, str]) -> str:
    """The answer the first scorer read (inspect's ``Score.answer``), else the completion; a
    multiple-choice letter is read as the choice it names, then as the task's label."""
    scores = list((sample.scores or {}).values())
    answer = scores[0].answer if scores and scores[0].answer is not None else None
    if answer is None:
        return str(sample.output.completion)
    answer = str(answer)
    choices = sample.choices
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if choices and len(answer) == 1 and answer.upper() in letters[: len(choices)]:
        choice = choices[letters.index(answer.upper())]
        return label_of_choice(choice, len(choices), task, example, label_map) or choice
    return answer


def read_inspect_log(
    path: str | os.PathLike[str],
    task: Task,
    index: ExampleIndex,
    *,
    join: str = "auto",
    label_map: Mapping[str, str] | None = None,
) -> ForeignLog:
    """Read an inspect_ai log with ``inspect_ai.log.read_eval_log``, matching every sample.

    The sample's id and its input (with its metadata) join it to its example; the answer is
    what the first scorer read (``Score.answer``), else ``output.completion``, and the
    completion is the rationale when it differs. Only epoch 1 is read.

    Raises
    ------
    UsageError
        When inspect_ai is not installed.
    DataError
        Naming the file: not an inspect log, or no samples; naming the file and sample: one
        that matches no example.
    """
    inspect_log = _inspect_log_module()
    target = Path(path)
    if not target.is_file():
        raise DataError(f"{target}: no such file")
    try:
        log = inspect_log.read_eval_log(str(target))
    except Exception as err:  # inspect raises zip, JSON and validation errors alike
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"{target}: not an inspect_ai log ({reason})") from None
    samples = [s for s in (log.samples or []) if s.epoch == 1]
    if not samples:
        raise DataError(f"{target}: the log holds no samples")
    found = []
    for k, sample in enumerate(samples, start=1):
        where = f"{target} sample {k} (id {sample.id!r})"
        doc = {"id": sample.id, "input": _input_text(sample.input), "metadata": sample.metadata}
        joined = index.match(doc_id=_position(sample.id), doc=doc, where=where, mode=join)
        completion = str(sample.output.completion)
        answer = _answer(sample, task, joined.example, label_map or {})
        own = (sample.metadata or {}).get(EVALSUITE_KEY) or {}
        if not isinstance(own, Mapping):
            raise DataError(f"{where}: metadata '{EVALSUITE_KEY}' must be an object")
        rationale = completion if completion != answer else own.get("rationale")
        found.append(
            ForeignSample(
                joined.example,
                PathOutput(answer, rationale),
                where,
                label_probs=own.get("label_probs"),
                confidence=own.get("confidence"),
                confidence_source=own.get("confidence_source"),
                imported={
                    "format": "inspect",
                    "sample": k,
                    "doc_id": sample.id,
                    "joined_by": joined.by,
                    "target": sample.target,
                    "scores": _score_block(sample.scores),
                },
            )
        )
    model = {
        "format": "inspect",
        "predictions_file": str(target.resolve()),
        "lines": len(found),
        "tool_task": log.eval.task,
        "tool_model": log.eval.model,
    }
    return ForeignLog(found, model)


def write_inspect_log(
    records: Sequence[Record],
    path: str | os.PathLike[str],
    *,
    task_name: str,
    model_name: str,
    accuracy: float,
) -> Path:
    """Write records as an inspect_ai log with ``inspect_ai.log.write_eval_log``.

    One sample per record: its id, input and gold (``target``), the rationale (else the
    prediction) as the model's completion, and a score from scorer ``evalsuite`` whose
    ``answer`` is the prediction and whose value is ``C``/``I`` (evalsuite's judgment); the
    log's ``accuracy`` is the run's. Confidence and ``label_probs`` go in the sample's
    metadata under :data:`EVALSUITE_KEY`. The format follows the file name (``.eval`` or
    ``.json``).

    Raises
    ------
    UsageError
        When inspect_ai is not installed.
    """
    inspect_log = _inspect_log_module()
    from inspect_ai.model import ModelOutput
    from inspect_ai.scorer import Score

    samples = []
    for record in records:
        prediction = record.prediction or ""
        completion = record.rationale if record.rationale is not None else prediction
        own = {
            "confidence": record.confidence,
            "confidence_source": record.confidence_source,
            "label_probs": dict(record.label_probs) if record.label_probs is not None else None,
            "rationale": record.rationale if completion == prediction else None,
        }
        samples.append(
            inspect_log.EvalSample(
                id=record.id,
                epoch=1,
                input=record.input or "",
                target=record.gold,
                output=ModelOutput.from_content(model_name, completion),
                scores={SCORER: Score(value="C" if record.correct else "I", answer=prediction)},
                metadata={EVALSUITE_KEY: {k: v for k, v in own.items() if v is not None}},
            )
        )
    log = inspect_log.EvalLog(
        status="success",
        eval=inspect_log.EvalSpec(
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            task=task_name,
            dataset=inspect_log.EvalDataset(
                name=task_name, samples=len(samples), sample_ids=[r.id for r in records]
            ),
            model=model_name,
            config=inspect_log.EvalConfig(),
        ),
        results=inspect_log.EvalResults(
            total_samples=len(samples),
            completed_samples=len(samples),
            scores=[
                inspect_log.EvalScore(
                    name=SCORER,
                    scorer=SCORER,
                    metrics={"accuracy": inspect_log.EvalMetric(name="accuracy", value=accuracy)},
                )
            ],
        ),
        samples=samples,
    )
    target = Path(path)
    # inspect writes in place; a temporary name in the same folder, renamed when whole, means
    # an interrupted export leaves no half-written log under the name asked for.
    partial = target.with_name(f".{target.stem}.partial{target.suffix}")
    try:
        inspect_log.write_eval_log(log, str(partial))
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target
