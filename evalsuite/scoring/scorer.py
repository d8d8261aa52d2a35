"""``evalsuite score``: a checkpoint on a task split into a run directory, batched and resumable.

The loop reads top to bottom: load the checkpoint and the examples, fix the batch plan, open
(or resume) the run, score the pending batches (one per rank per round under ``torchrun``),
append each batch's records as it lands, and finish with representations and metrics.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from evalsuite.checkpoint import Checkpoint, open_checkpoint
from evalsuite.errors import UsageError
from evalsuite.example import Example
from evalsuite.names import PATH_MODES
from evalsuite.prompt_presets import FormatRequest
from evalsuite.runs.manifest import Manifest
from evalsuite.runs.writer import RunWriter
from evalsuite.sandbox import Sandbox, SandboxConfig
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.distributed import DistContext, init_distributed
from evalsuite.scoring.plan import pending_batches, plan_batches, rank_batches

__all__ = [
    "ScoreConfig",
    "ScoreResult",
    "default_out",
    "describe",
    "model_block",
    "model_hash",
    "score_checkpoint",
]


@dataclass(frozen=True)
class ScoreConfig:
    """What to score and how. ``task=None`` takes the checkpoint's own task."""

    task: str | None = None
    split: str = "test"
    data_dir: str | None = None
    limit: int | None = None
    batch_size: int = 32
    device: str = "auto"
    decoding: DecodingConfig = field(default_factory=DecodingConfig)
    representations: bool = True
    progress: bool = True
    paths: str | None = None
    """Mixed students' path mode: multi (default), cot or pot; None for other students."""
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    """Limits of the sandbox that runs mixed students' programs."""
    prompt_format: FormatRequest = field(default_factory=FormatRequest)
    """``--format`` and its flags: how to prompt a checkpoint without a train_manifest.json."""
    tokenizer: str | None = None
    """``--tokenizer``: a directory to read the tokenizer from (a checkpoint without one)."""
    chat_template: bool = False
    """``--chat-template``: format prompts with the tokenizer's chat template."""

    def __post_init__(self) -> None:
        if self.paths is not None and self.paths not in PATH_MODES:
            raise UsageError(f"--paths {self.paths!r}: choose from {', '.join(PATH_MODES)}")
        if self.limit is not None and self.limit < 1:
            raise UsageError(f"--limit must be >= 1, got {self.limit}")
        if self.batch_size < 1:
            raise UsageError(f"--batch-size must be >= 1, got {self.batch_size}")


@dataclass(frozen=True)
class ScoreResult:
    """Where the run went, how many examples it holds, how many this call scored, its metrics."""

    path: Path
    n_examples: int
    n_scored: int
    metrics: dict[str, Any] | None


def default_out(checkpoint: str | os.PathLike[str], task: str, split: str) -> Path:
    """``runs/<checkpoint name>-<task>-<split>``."""
    return Path("runs") / f"{Path(checkpoint).resolve().name}-{task}-{split}"


def _open_run(dist: DistContext, out: Path, manifest: Manifest) -> tuple[Any, set[str]]:
    """Rank 0 opens (or resumes) the run; every rank learns which ids are done.

    A refusal on rank 0 (a mismatching --out) is sent to every rank, so none waits forever.
    """
    writer, message = None, None
    if dist.is_main:
        try:
            writer = RunWriter(out, manifest)
        except UsageError as err:
            message = str(err)
    shared = dist.broadcast({"error": message, "done": sorted(writer.done_ids) if writer else []})
    if shared["error"]:
        raise UsageError(shared["error"])
    return writer, set(shared["done"])


def _progress(total: int, initial: int, *, enabled: bool, desc: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="ex",
        desc=desc,
        file=sys.stderr,
        disable=not enabled,
        dynamic_ncols=True,
        smoothing=0.1,
    )


def score_checkpoint(
    checkpoint: str | os.PathLike[str],
    config: ScoreConfig,
    *,
    out: str | os.PathLike[str] | None = None,
) -> ScoreResult | None:
    """Score ``checkpoint`` into a run directory (docs/runs.md).

    Under ``torchrun`` every rank calls this; rank 0 writes the run and returns the result,
    other ranks return None.

    Raises
    ------
    UsageError, DataError
        Broken checkpoint, unknown task or split, or an existing --out that is a different
        run.
    """
    dist = init_distributed()
    try:
        with contextlib.ExitStack() as resources:
            return _score(checkpoint, config, out, dist, resources)
    finally:
        dist.close()


def _score(
    checkpoint: str | os.PathLike[str],
    config: ScoreConfig,
    out: str | os.PathLike[str] | None,
    dist: DistContext,
    resources: contextlib.ExitStack,
) -> ScoreResult | None:
    from evalsuite.checkpoint import TRAIN_MANIFEST
    from evalsuite.data import load_examples
    from evalsuite.metrics.summary import summarize_run
    from evalsuite.runs.origin import arith_config, data_block, run_manifest
    from evalsuite.runs.representations import RepresentationShards
    from evalsuite.scoring.formats import get_format, score_batch
    from evalsuite.scoring.student import load_students, resolve_device
    from evalsuite.tasks import get_task

    # -- what to score -------------------------------------------------------------------------
    ckpt = open_checkpoint(
        checkpoint, request=config.prompt_format, task=config.task, tokenizer=config.tokenizer
    )
    train_manifest, prompt = ckpt.train_manifest, ckpt.prompt
    fmt = get_format(prompt, str(checkpoint))
    if config.paths is not None and not fmt.needs_sandbox:
        raise UsageError(
            f"--paths {config.paths}: path modes apply to mixed students only "
            f"(this checkpoint's output is '{prompt.output}')"
        )
    paths = config.paths or "multi"
    # One pool for the whole run: its workers are reused across batches.
    sandbox = resources.enter_context(Sandbox(config.sandbox)) if fmt.needs_sandbox else None
    # Formats without representations (mixed) write no representations.npz.
    representations = config.representations and bool(fmt.representation_keys())
    task = get_task(config.task or prompt.task)
    # A synthetic task is scored on the data the checkpoint was trained on.
    arith = (
        arith_config(train_manifest, str(Path(checkpoint) / TRAIN_MANIFEST))
        if task.synthetic and task.name == prompt.task
        else None
    )
    examples: list[Example] = load_examples(
        task, config.split, data_dir=config.data_dir, arith=arith
    )
    examples = examples[: config.limit] if config.limit else examples
    if not examples:
        raise UsageError(f"task '{task.name}' split '{config.split}' has no examples")
    ids = [e.id for e in examples]
    run_dir = Path(out) if out is not None else default_out(checkpoint, task.name, config.split)

    device = resolve_device(config.device, local_rank=dist.local_rank)
    student = load_students(
        checkpoint,
        socratic=fmt.two_students,
        device=device,
        max_input_length=prompt.max_input_length,
        tokenizer=ckpt.tokenizer,
        chat_template=config.chat_template,
    )
    decoding = replace(
        config.decoding,
        max_new_tokens=config.decoding.max_new_tokens or prompt.max_target_length,
    )
    assert decoding.max_new_tokens is not None  # resolved just above
    lengths = student.input_lengths([prompt.label_prefix + e.input for e in examples])
    batches = plan_batches(lengths, batch_size=config.batch_size)

    # -- open or resume the run ------------------------------------------------------------------
    manifest = run_manifest(
        kind="student",
        task=task,
        split=config.split,
        out=run_dir,
        examples=examples,
        data=data_block(task, config.split, config.data_dir, examples, arith=arith),
        model=model_block(
            checkpoint, ckpt, architecture=student.architecture, chat_template=config.chat_template
        ),
        model_hash=_model_hash(checkpoint, ckpt.tokenizer),
        limit=config.limit,
        decoding={**decoding.to_dict(), **({"paths": paths} if fmt.needs_sandbox else {})},
        seed=decoding.seed,
        representations=representations,
        batch_size=config.batch_size,
        device=str(device),
        world_size=dist.world_size,
    )
    writer, done = _open_run(dist, run_dir, manifest)
    shards = RepresentationShards(run_dir) if dist.is_main and representations else None
    pending = pending_batches(batches, ids, done)
    bar = _progress(
        len(examples),
        sum(i in done for i in ids),
        enabled=config.progress and dist.is_main,
        desc=f"score {task.name}/{config.split}",
    )

    # -- score: one batch per rank per round, rank 0 appends ------------------------------------
    n_scored = 0
    with bar:
        for position in rank_batches(len(pending), rank=dist.rank, world_size=dist.world_size):
            payload = None
            if position is not None:
                batch = [examples[i] for i in batches[pending[position]]]
                payload = [
                    (s.record, s.representations)
                    for s in score_batch(
                        student,
                        task,
                        prompt,
                        batch,
                        decoding=decoding,
                        max_new_tokens=decoding.max_new_tokens,
                        representations=representations,
                        sandbox=sandbox,
                        paths=paths,
                    )
                ]
            for results in dist.all_gather(payload):
                if writer is None or not results:
                    continue
                written = writer.done_ids
                fresh = [(r, v) for r, v in results if r.id not in written]
                if shards is not None and fresh:
                    keys = fresh[0][1].keys()
                    shards.write(
                        [r.id for r, _ in fresh],
                        {k: _stack([v[k] for _, v in fresh]) for k in keys},
                    )
                writer.append(r for r, _ in fresh)
                n_scored += len(fresh)
                bar.update(len(fresh))

    if writer is None:
        return None
    # -- finish: representations, metrics, status complete ---------------------------------------
    if shards is not None:
        shards.merge(ids)
    metrics = summarize_run(writer.records(ids), same_answer=task.same_answer)
    writer.finish(ids, metrics)
    return ScoreResult(run_dir, len(ids), n_scored, metrics)


def model_block(
    checkpoint: str | os.PathLike[str],
    ckpt: Checkpoint,
    *,
    architecture: str,
    chat_template: bool = False,
) -> dict[str, Any]:
    """The run manifest's ``model`` block of a student (docs/runs.md), for every run that
    loads one (``score``, ``probe``); ``architecture`` is the loaded student's.
    ``chat_template`` changes every prompt, so it goes in the prompt (the run's identity)."""
    from evalsuite.checkpoint import TRAIN_MANIFEST, tokenizer_hash
    from evalsuite.coupling import coupling_of_output
    from evalsuite.runs.origin import training_seed

    prompt = ckpt.prompt
    return {
        "path": str(Path(checkpoint).resolve()),
        "recipe": prompt.recipe,
        "trained_on": prompt.task,
        "prompt": {**prompt.to_dict(), **({"chat_template": True} if chat_template else {})},
        "coupling": coupling_of_output(prompt.output),
        "seed": training_seed(ckpt.train_manifest, str(Path(checkpoint) / TRAIN_MANIFEST)),
        "format_source": ckpt.format_source,
        "tokenizer_sha256": tokenizer_hash(ckpt.tokenizer_dirs),
        "tokenizer": str(ckpt.tokenizer.resolve()) if ckpt.tokenizer else None,
        "architecture": architecture,
    }


def model_hash(checkpoint: str | os.PathLike[str], ckpt: Checkpoint) -> str:
    """The run manifest's ``model_hash``: the checkpoint's files (with ``--tokenizer``, those
    and the tokenizer's together)."""
    return _model_hash(checkpoint, ckpt.tokenizer)


def _model_hash(checkpoint: str | os.PathLike[str], tokenizer: Path | None) -> str:
    """The checkpoint's files; with ``--tokenizer``, those and the tokenizer's together; for a
    LoRA adapter, those and its base model's (:func:`evalsuite.checkpoint.base_model_hash`)."""
    import hashlib

    from evalsuite.checkpoint import (
        adapter_base,
        base_model_hash,
        is_adapter,
        student_manifest,
        tokenizer_hash,
    )
    from evalsuite.scoring.student import checkpoint_hash

    own = checkpoint_hash(checkpoint)
    parts = [own]
    if is_adapter(Path(checkpoint)):
        base = adapter_base(Path(checkpoint), student_manifest(Path(checkpoint)))
        parts.append(base.sha256 or base_model_hash(base.path))  # checked when it was opened
    if tokenizer is not None:
        parts.append(tokenizer_hash([tokenizer]))
    if len(parts) == 1:
        return own
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _stack(vectors: Sequence[Any]) -> Any:
    import numpy as np

    return np.stack(vectors)


def describe(result: ScoreResult) -> str:
    """One line for the terminal: where the run is, its size and accuracy."""
    accuracy = (result.metrics or {}).get("accuracy") or {}
    value = accuracy.get("value")
    shown = f"accuracy {100 * value:.2f} %" if isinstance(value, int | float) else "no accuracy"
    resumed = result.n_examples - result.n_scored
    note = f" ({resumed} resumed from an earlier run)" if resumed else ""
    return f"{result.path}: {result.n_examples} examples, {shown}{note}"
