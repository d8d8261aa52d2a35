"""A run written as another harness's log: lm-eval samples or an inspect_ai log.

What a record holds that the tool's format has no place for (confidence, ``label_probs``) rides
along under :data:`~evalsuite.interop.samples.EVALSUITE_KEY`, so importing an export gives the
same records: prediction, rationale, answer, correctness, confidence and label probabilities.
Scores of whole generations (``sequence_confidence``), sampled and reasoning paths are not
carried; neither tool has a place for them.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from evalsuite.errors import UsageError
from evalsuite.interop import EXPORT_FORMATS
from evalsuite.runs import read_run

__all__ = ["export_run"]


def export_run(run_dir: str | os.PathLike[str], to: str, out: str | os.PathLike[str]) -> Path:
    """Write the run at ``run_dir`` as ``to`` (``lm-eval`` or ``inspect``); returns the file.

    ``lm-eval``: ``out`` is a folder (made if absent) that receives
    ``samples_<task>_<date>.jsonl``, named as lm-eval names it. ``inspect``: ``out`` is the log
    file, ``.eval`` or ``.json``. An existing file is never overwritten.

    Raises
    ------
    UsageError
        An unknown format, a run that is not complete, an ``inspect`` path without ``.eval`` or
        ``.json``, an existing output, or inspect_ai missing.
    DataError
        When the run does not read (naming its file and line).
    """
    if to not in EXPORT_FORMATS:
        raise UsageError(f"--to: unknown format '{to}'; choose from {', '.join(EXPORT_FORMATS)}")
    run = read_run(run_dir)
    if not run.complete:
        raise UsageError(f"{run_dir}: the run is not complete (status '{run.manifest.status}')")
    task = run.manifest.task or "task"
    target = Path(out)
    if to == "lm-eval":
        from evalsuite.interop.lm_eval_samples import write_lm_eval_samples

        if target.exists() and not target.is_dir():
            raise UsageError(f"--out {target}: not a folder (lm-eval samples go into a folder)")
        stamp = datetime.now().isoformat().replace(":", "-")  # lm-eval's own date_id
        existing = sorted(target.glob(f"samples_{task}_*.jsonl")) if target.is_dir() else []
        if existing:
            raise UsageError(
                f"--out {target}: already holds {existing[0].name}; choose a new folder"
            )
        target.mkdir(parents=True, exist_ok=True)
        return write_lm_eval_samples(run.records, target, task, stamp)
    from evalsuite.interop.inspect_logs import write_inspect_log

    if target.suffix not in (".eval", ".json"):
        raise UsageError(f"--out {target}: an inspect log is named .eval or .json")
    if target.exists():
        raise UsageError(f"--out {target}: exists; an export never overwrites")
    if not target.parent.is_dir():
        raise UsageError(f"--out {target}: folder {target.parent} does not exist")
    n = len(run.records)
    return write_inspect_log(
        run.records,
        target,
        task_name=task,
        model_name=f"evalsuite/{run.name}",
        accuracy=sum(r.correct for r in run.records) / n if n else 0.0,
    )
