"""lm-evaluation-harness sample logs (``--log_samples``): read them as runs, write runs as them.

lm-eval writes one ``samples_<task>_<date>.jsonl`` per task, one line per document and filter:
``doc_id``, ``doc`` (the dataset row), ``target``, ``arguments`` (the requests), ``resps`` (the
model's raw responses), ``filtered_resps`` (after the task's filters: the answer it scored),
``filter``, ``metrics`` (the names of its per-sample metrics) and those metrics' values.
Generative tasks log one response text per request; multiple-choice tasks log one request per
choice with its ``[log-likelihood, is_greedy]`` (as strings once written). The format is read
with the standard library: lm-eval itself is not needed to import its logs.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evalsuite.errors import DataError
from evalsuite.interop.joining import ExampleIndex
from evalsuite.interop.samples import (
    EVALSUITE_KEY,
    ForeignLog,
    ForeignSample,
    choice_probabilities,
)
from evalsuite.io import atomic_write_text, iter_jsonl
from evalsuite.runs.records import Record
from evalsuite.scoring.records import PathOutput
from evalsuite.tasks import Task

__all__ = ["REQUIRED_FIELDS", "read_lm_eval_samples", "tool_task_name", "write_lm_eval_samples"]

REQUIRED_FIELDS = ("doc_id", "doc", "resps", "filtered_resps")
_FILE_NAME = re.compile(r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T[\d\-.]+)\.jsonl$")


def tool_task_name(path: str | os.PathLike[str]) -> str | None:
    """The lm-eval task a ``samples_<task>_<date>.jsonl`` file name says, else None.

    Examples
    --------
    >>> tool_task_name("out/m/samples_gsm8k_cot_2026-01-02T03-04-05.678901.jsonl")
    'gsm8k_cot'
    """
    found = _FILE_NAME.match(Path(path).name)
    return found["task"] if found else None


def _number(value: Any, where: str) -> float:
    """A log-likelihood as lm-eval writes it: a number, or its text (``"-2.25"``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise DataError(f"{where}: field 'filtered_resps' holds {value!r}, not a log-likelihood")


def _is_choice_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and not isinstance(value[0], list)


def _continuations(arguments: Any, n: int, where: str) -> list[str]:
    """The choices of a multiple-choice sample: each request's continuation (``arg_1``)."""
    if isinstance(arguments, Mapping):
        requests = [arguments.get(f"gen_args_{i}") for i in range(n)]
        texts = [r.get("arg_1") if isinstance(r, Mapping) else None for r in requests]
    elif isinstance(arguments, list) and len(arguments) == n:
        texts = [r[1] if isinstance(r, list) and len(r) == 2 else None for r in arguments]
    else:
        texts = [None]
    if len(texts) != n or not all(isinstance(t, str) for t in texts):
        raise DataError(
            f"{where}: field 'arguments' must hold each choice's continuation (gen_args_i.arg_1)"
        )
    return [str(t) for t in texts]


def _generations(value: Any, where: str, name: str) -> list[str]:
    """A generative sample's texts: ``["294"]`` or ``[["a", "b"]]`` (several repeats)."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        value = value[0]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise DataError(f"{where}: field '{name}' must hold the response text(s), got {value!r}")
    return value


def _metrics(obj: Mapping[str, Any]) -> dict[str, Any]:
    names = obj.get("metrics")
    return {m: obj[m] for m in names if m in obj} if isinstance(names, list) else {}


def _own_fields(obj: Mapping[str, Any], where: str) -> dict[str, Any]:
    own = obj.get(EVALSUITE_KEY) or {}
    if not isinstance(own, Mapping):
        raise DataError(f"{where}: field '{EVALSUITE_KEY}' must be an object")
    return dict(own)


def _sample(
    obj: Mapping[str, Any],
    where: str,
    task: Task,
    index: ExampleIndex,
    *,
    join: str,
    label_map: Mapping[str, str],
    line: int,
) -> ForeignSample:
    joined = index.match(doc_id=obj["doc_id"], doc=obj["doc"], where=where, mode=join)
    example, filtered = joined.example, obj["filtered_resps"]
    imported = {
        "format": "lm-eval",
        "line": line,
        "doc_id": obj["doc_id"],
        "joined_by": joined.by,
        "filter": obj.get("filter"),
        "target": obj.get("target"),
        "metrics": _metrics(obj),
    }
    own = _own_fields(obj, where)
    if isinstance(filtered, list) and filtered and all(_is_choice_pair(v) for v in filtered):
        log_likelihoods = [_number(pair[0], where) for pair in filtered]
        choices = _continuations(obj.get("arguments"), len(filtered), where)
        probs = choice_probabilities(
            choices, log_likelihoods, task, example, label_map=label_map, where=where
        )
        best = max(range(len(log_likelihoods)), key=log_likelihoods.__getitem__)
        prediction = list(probs)[best]
        return ForeignSample(
            example, PathOutput(prediction, None), where, label_probs=probs, imported=imported
        )
    answers = _generations(filtered, where, "filtered_resps")
    raw = _generations(obj["resps"], where, "resps")
    rationale = raw[0] if raw[0] != answers[0] else own.get("rationale")
    samples = tuple(PathOutput(text, None) for text in raw) if len(raw) > 1 else None
    return ForeignSample(
        example,
        PathOutput(answers[0], rationale),
        where,
        label_probs=own.get("label_probs"),
        confidence=own.get("confidence"),
        confidence_source=own.get("confidence_source"),
        samples=samples,
        imported=imported,
    )


def read_lm_eval_samples(
    path: str | os.PathLike[str],
    task: Task,
    index: ExampleIndex,
    *,
    filter_name: str | None = None,
    join: str = "auto",
    label_map: Mapping[str, str] | None = None,
) -> ForeignLog:
    """Read an lm-eval ``samples_*.jsonl`` file, matching every line to its example.

    Parameters
    ----------
    filter_name : str, optional
        Which of the file's filters to read (lm-eval writes each document once per filter,
        e.g. ``strict-match`` and ``flexible-extract``); needed when the file has several.
    join, label_map
        See :meth:`ExampleIndex.match` and :func:`choice_probabilities`.

    Raises
    ------
    DataError
        Naming the file and line: not UTF-8 or JSON, a missing field, a line that matches no
        example, a choice that is no label; naming the file: several filters and none chosen.
    """
    lines = list(iter_jsonl(path))
    if not lines:
        raise DataError(f"{path}: no samples (the file has no JSON lines)")
    for lineno, obj in lines:
        missing = [f for f in REQUIRED_FIELDS if f not in obj]
        if missing:
            raise DataError(
                f"{path} line {lineno}: missing field '{missing[0]}' (an lm-eval samples line "
                f"has {', '.join(REQUIRED_FIELDS)})"
            )
    filters = list(dict.fromkeys(str(obj.get("filter", "none")) for _, obj in lines))
    if filter_name is None and len(filters) > 1:
        raise DataError(
            f"{path}: the file holds filters {', '.join(filters)}; choose one with --filter"
        )
    chosen = filter_name if filter_name is not None else filters[0]
    if chosen not in filters:
        raise DataError(f"{path}: no filter '{chosen}'; the file holds {', '.join(filters)}")
    samples = [
        _sample(
            obj,
            f"{path} line {lineno}",
            task,
            index,
            join=join,
            label_map=label_map or {},
            line=lineno,
        )
        for lineno, obj in lines
        if str(obj.get("filter", "none")) == chosen
    ]
    model = {
        "format": "lm-eval",
        "predictions_file": str(Path(path).resolve()),
        "lines": len(samples),
        "tool_task": tool_task_name(path),
        "filter": chosen,
    }
    return ForeignLog(samples, model)


def _sample_line(position: int, record: Record) -> dict[str, Any]:
    raw = record.rationale if record.rationale is not None else record.prediction or ""
    line: dict[str, Any] = {
        "doc_id": position,
        "doc": {"id": record.id, "input": record.input, "gold": record.gold},
        "target": record.gold,
        "arguments": {"gen_args_0": {"arg_0": record.input or "", "arg_1": {"until": []}}},
        "resps": [[raw]],
        "filtered_resps": [record.prediction or ""],
        "filter": "none",
        "metrics": ["acc"],
        "acc": 1.0 if record.correct else 0.0,
    }
    own = {
        "confidence": record.confidence,
        "confidence_source": record.confidence_source,
        "label_probs": dict(record.label_probs) if record.label_probs is not None else None,
        "rationale": record.rationale if raw == (record.prediction or "") else None,
    }
    line[EVALSUITE_KEY] = {k: v for k, v in own.items() if v is not None}
    return line


def write_lm_eval_samples(
    records: Sequence[Record], out_dir: str | os.PathLike[str], task_name: str, stamp: str
) -> Path:
    """Write records as lm-eval's ``samples_<task>_<stamp>.jsonl`` in ``out_dir``.

    Each record is a generative sample under filter ``none``: the rationale (else the
    prediction) as the raw response, the prediction as the filtered answer, ``acc`` as its
    per-sample metric; confidence and ``label_probs`` go under :data:`EVALSUITE_KEY`.
    """
    path = Path(out_dir) / f"samples_{task_name}_{stamp}.jsonl"
    text = "".join(
        json.dumps(_sample_line(i, r), ensure_ascii=False) + "\n" for i, r in enumerate(records)
    )
    atomic_write_text(path, text)
    return path
