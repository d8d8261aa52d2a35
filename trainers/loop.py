"""The training loop: one function that reads top to bottom, in the manner of nanoGPT's train.py.

set-up (processes, output directory, data, student, optimizer, resume) -> for each step: learning
rate, batch, forward, backward, clip, update -> every ``eval_every`` steps: validation loss and
accuracy, keep the best model, save the state to resume from. The same code runs as one process
or under ``torchrun`` (DDP; gloo on CPU).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from evalsuite.checkpoint import BaseModel, base_model_hash
from evalsuite.errors import UsageError
from evalsuite.io import atomic_write_json
from evalsuite.model_loading import RESUME_STATE
from evalsuite.provenance import now_iso
from evalsuite.scoring.causal_student import ensure_pad_token
from evalsuite.tasks import ANSWER_MARKER, get_task
from trainers.batching import EncodedSplit, batch_indices, collate, encode_pairs, shard
from trainers.checkpointing import (
    CONFIG_FILE,
    claim_output,
    latest_state,
    load_state,
    save_model,
    save_state,
    write_manifest,
)
from trainers.config import TrainConfig
from trainers.data import TrainingData, training_data_for, training_label
from trainers.distributed import Distributed, all_reduce_sum, barrier, setup_distributed, teardown
from trainers.evaluation import label_accuracy, validation_loss
from trainers.lora import backbone
from trainers.manifest import Curves, build_manifest
from trainers.recipes import (
    LABEL_PREFIX,
    RATIONALE_PREFIX,
    Recipe,
    RecipeModule,
    get_recipe,
    token_counts,
)
from trainers.socratic import train_socratic

__all__ = ["TrainResult", "get_lr", "tokenizer_corpus", "train"]


@dataclass(frozen=True)
class TrainResult:
    """Where the checkpoint is and how the run ended."""

    out: Path
    steps: int
    resumed_from: int
    best_step: int | None
    best_accuracy: float | None
    main_process: bool = True
    """False on every data parallel process but rank 0 (which alone should report)."""


def get_lr(it: int, *, lr: float, warmup_steps: int, max_steps: int) -> float:
    """Learning rate of the ``it``-th update (0-based): linear warmup, then linear decay to 0.

    With no warmup this is Seq2SeqTrainer's default "linear" schedule, as the DSS release uses.
    Warmup starts at ``lr / (warmup_steps + 1)`` rather than 0 (as nanoGPT does), so that no
    update is wasted.

    Examples
    --------
    >>> [round(get_lr(i, lr=1.0, warmup_steps=3, max_steps=7), 3) for i in range(7)]
    [0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.25]
    """
    if it < warmup_steps:
        return lr * (it + 1) / (warmup_steps + 1)
    return lr * max(0.0, (max_steps - it) / max(1, max_steps - warmup_steps))


def tokenizer_corpus(
    data: TrainingData, *, recipe: Recipe | None = None, label_source: str = "gold"
) -> list[str]:
    """The text a tiny student's tokenizer is trained on: every training input with and without
    the task prefixes, gold and teacher labels, teacher rationales, and the single-output marker.

    The same for every recipe, so students of different recipes on the same data share a
    vocabulary and differ only in what they learn; a recipe that writes other text (programs,
    more prefixes) adds it through ``recipe.tokenizer_texts``.
    """
    texts = [ANSWER_MARKER]
    for example in data.train:
        texts += [example.input, LABEL_PREFIX + example.input, RATIONALE_PREFIX + example.input]
        texts += [example.gold, example.teacher_label or "", example.teacher_rationale or ""]
        if recipe is not None:
            texts += recipe.tokenizer_texts(example, training_label(example, label_source))
    return [text for text in texts if text]


def _to_device(batch: dict[str, dict[str, torch.Tensor]], device: torch.device) -> Any:
    return {b: {k: v.to(device) for k, v in t.items()} for b, t in batch.items()}


def _student(
    config: TrainConfig,
    out: Path,
    data: TrainingData,
    ctx: Distributed,
    state_dir: Path | None,
    recipe: Recipe | None = None,
) -> tuple[Any, Any]:
    """The tokenizer and model: from the saved state when resuming, else freshly built.

    Rank 0 trains or copies the tokenizer into ``out`` first and every process loads that one,
    so all processes share exactly one vocabulary.
    """
    from transformers import AutoTokenizer

    from evalsuite.model_loading import load_adapter, load_student_model
    from trainers.lora import attach_lora
    from trainers.student import TINY_MODELS, load_student, tiny_model, train_tokenizer

    pretrained = None
    if ctx.is_main and not (out / "tokenizer_config.json").is_file():
        if config.model in TINY_MODELS:
            tokenizer = train_tokenizer(
                tokenizer_corpus(data, recipe=recipe, label_source=config.label_source),
                vocab_size=config.tiny.vocab_size,
                pieces=config.tiny.pieces,
            )
        else:
            pretrained = load_student(config.model, dtype=torch.float32)
            tokenizer = pretrained[1]
        out.mkdir(parents=True, exist_ok=True)
        tokenizer.save_pretrained(out)
    barrier(ctx)
    tokenizer = AutoTokenizer.from_pretrained(out, local_files_only=True)

    torch.manual_seed(config.seed)  # the same initial weights in every process and every run
    model: Any
    if state_dir is not None and config.lora is None:
        # Safetensors only: a pytorch_model.bin planted in the state directory is never read.
        model = load_student_model(state_dir, what=RESUME_STATE, dtype=torch.float32)
    elif config.model in TINY_MODELS:
        # A causal student reads prompt and target as one sequence: room for both.
        positions = config.max_input_length + config.max_target_length
        model = tiny_model(tokenizer, config.tiny, kind=config.model, max_positions=positions)
    else:
        model = (pretrained or load_student(config.model, dtype=torch.float32))[0]
    if config.lora is not None:  # the base stays frozen; only the adapter trains and is saved
        model = (
            attach_lora(model, config.lora)
            if state_dir is None
            else load_adapter(model, state_dir, what=RESUME_STATE, trainable=True)
        )
    if not model.config.is_encoder_decoder:
        ensure_pad_token(tokenizer)
    return tokenizer, model.to(ctx.device)


def _optimizer(module: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW as Seq2SeqTrainer builds it: no weight decay on biases and layer-norm scales, and
    the fused kernel (Seq2SeqTrainer's default with torch >= 2.8) where torch has one."""
    params = [p for p in module.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": config.weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    fused = all(p.dtype == torch.float32 and p.device.type in ("cpu", "cuda") for p in params)
    return torch.optim.AdamW(groups, lr=config.lr, betas=(0.9, 0.999), eps=1e-8, fused=fused)


def _pairs(recipe: Recipe, examples: list[Any], config: TrainConfig) -> list[Any]:
    """The recipe's (input, target) pairs of every example; a bad example raises here."""
    return [recipe.pairs(e, training_label(e, config.label_source)) for e in examples]


def _encode(pairs: list[Any], tokenizer: Any, config: TrainConfig, *, causal: bool) -> Any:
    return encode_pairs(
        pairs,
        tokenizer,
        max_input_length=config.max_input_length,
        max_target_length=config.max_target_length,
        causal=causal,
    )


def train(config: TrainConfig, *, data: TrainingData | None = None) -> TrainResult:
    """Train a student as ``config`` says and write its checkpoint directory ``config.out``.

    ``data``: train and select on these examples instead of the task's train and valid splits
    (the LAS simulator of ``evalsuite probe`` learns a student's predictions this way); its
    ``fingerprint`` is the train manifest's ``data`` block.

    Raises
    ------
    UsageError, DataError
        A recipe that is not built, an ``out`` that holds a different run, missing data.
    """
    ctx = setup_distributed(config.device)
    try:
        if config.recipe == "socratic":
            if data is not None:
                raise UsageError("recipe 'socratic' trains on its task's Socratic steps only")
            return _socratic_result(config, train_socratic(config, ctx, _train))
        return _train(config, ctx, data=data)
    finally:
        teardown(ctx)


def _socratic_result(config: TrainConfig, students: dict[str, TrainResult]) -> TrainResult:
    """One result for the two Socratic students: the solver's best, where the answer is made."""
    solver = students["solve"]
    return TrainResult(
        out=Path(config.out),
        steps=min(r.steps for r in students.values()),
        resumed_from=min(r.resumed_from for r in students.values()),
        best_step=solver.best_step,
        best_accuracy=solver.best_accuracy,
        main_process=solver.main_process,
    )


def _train(
    config: TrainConfig,
    ctx: Distributed,
    recipe: Recipe | None = None,
    *,
    data: TrainingData | None = None,
) -> TrainResult:
    """The loop for one student; ``recipe`` defaults to ``config.recipe``'s (Socratic passes
    each of its two students' stage recipes); ``data`` to the task's splits."""
    # ---------------------------------------------------------------- set-up: what and where
    out = Path(config.out)
    task = get_task(config.task)
    if recipe is None:
        recipe = get_recipe(config, task)  # an unknown recipe fails before anything is loaded
    if config.batch_size % ctx.world_size:
        raise UsageError(
            f"--batch-size {config.batch_size} is global and must divide evenly over "
            f"{ctx.world_size} processes"
        )
    resume = claim_output(out, config)
    barrier(ctx)  # every process has looked at --out before rank 0 writes to it
    state_dir = latest_state(out) if resume else None
    started = now_iso()

    # ---------------------------------------------------------------- data
    if data is None:
        data = training_data_for(
            config, teacher=recipe.needs_rationale or config.label_source == "teacher"
        )
    data = replace(
        data,
        train=recipe.training_examples(data.train),
        valid=recipe.training_examples(data.valid),
    )

    # Every example is turned into its training pairs before anything is written, so data the
    # recipe refuses leaves no train_config.json or tokenizer behind in --out.
    train_pairs = _pairs(recipe, data.train, config)
    valid_pairs = _pairs(recipe, data.valid, config)

    # ---------------------------------------------------------------- student and optimizer
    if ctx.is_main:
        atomic_write_json(out / CONFIG_FILE, config.to_dict())
    tokenizer, model = _student(config, out, data, ctx, state_dir, recipe)
    pad_id = tokenizer.pad_token_id
    causal = not model.config.is_encoder_decoder
    train_set: EncodedSplit = _encode(train_pairs, tokenizer, config, causal=causal)
    valid_set: EncodedSplit = _encode(valid_pairs, tokenizer, config, causal=causal)
    # Labels are short: decode a few tokens past the longest training label, not 256.
    max_new_tokens = min(config.max_target_length, train_set.longest_target("label") + 8)

    # The student interface drives the transformers model; under LoRA that is the base with the
    # adapter's layers in it, while `model` (the peft wrapper) is what saves the adapter alone.
    network = backbone(model)
    module = RecipeModule(network, recipe).to(ctx.device)
    wrapped: torch.nn.Module = module
    if ctx.world_size > 1:
        device_ids = [ctx.device.index] if ctx.device.type == "cuda" else None
        wrapped = DistributedDataParallel(module, device_ids=device_ids)
    optimizer = _optimizer(module, config)
    n_parameters = sum(p.numel() for p in model.parameters())
    # Hashed once: a LoRA base does not change while its adapter trains (it is frozen).
    base_model = (
        BaseModel(Path(config.model).resolve(), base_model_hash(config.model))
        if config.lora is not None
        else None
    )

    # ---------------------------------------------------------------- resume
    curves = Curves()
    start, train_seconds = 0, 0.0
    if state_dir is not None:
        training, state = load_state(state_dir)
        optimizer.load_state_dict(training["optimizer"])
        if module.extra is not None:
            module.extra.load_state_dict(training["extra"])
        torch.set_rng_state(training["rng"])
        if ctx.device.type == "cuda" and training["cuda_rng"]:
            torch.cuda.set_rng_state_all(training["cuda_rng"])
        curves = Curves(train=state["curves"]["train"], valid=state["curves"]["valid"])
        start, train_seconds = int(state["step"]), float(state["train_seconds"])
        started = state["started"]

    def save(step: int, status: str, rng: torch.Tensor) -> None:
        """State to resume from, then the manifest that describes it (rank 0 only)."""
        if not ctx.is_main:
            return
        training = {
            "optimizer": optimizer.state_dict(),
            "extra": module.extra.state_dict() if module.extra is not None else {},
            "rng": rng,
            "cuda_rng": torch.cuda.get_rng_state_all() if ctx.device.type == "cuda" else [],
        }
        state = {
            "step": step,
            "train_seconds": train_seconds,
            "started": started,
            "curves": curves.to_dict(),
        }
        save_state(out, step, model=model, training=training, state=state)
        manifest = build_manifest(
            config=config,
            recipe=recipe,
            data=data,
            curves=curves,
            step=step,
            status=status,
            started=started,
            world_size=ctx.world_size,
            device=str(ctx.device),
            n_parameters=n_parameters,
            train_seconds=train_seconds,
            out=out,
            base_model=base_model,
        )
        write_manifest(out, manifest)

    # ---------------------------------------------------------------- the loop
    progress = tqdm(
        total=config.max_steps,
        initial=start,
        unit="step",
        file=sys.stderr,
        dynamic_ncols=True,
        disable=not ctx.is_main,
        # Off a terminal (CI logs, `make demo | tee`) a line every 10 s, not a flood of them.
        mininterval=0.1 if sys.stderr.isatty() else 10.0,
    )
    step, saved_step, rng_after = start, start, torch.get_rng_state()
    module.train()
    try:
        while step < config.max_steps:
            tick = time.perf_counter()
            lr = get_lr(
                step, lr=config.lr, warmup_steps=config.warmup_steps, max_steps=config.max_steps
            )
            for group in optimizer.param_groups:
                group["lr"] = lr
            indices = batch_indices(
                step, n_examples=len(train_set), batch_size=config.batch_size, seed=config.seed
            )
            mine = shard(indices, rank=ctx.rank, world_size=ctx.world_size)
            batch = _to_device(collate(train_set, mine, pad_id=pad_id), ctx.device)
            # Normalise token losses by the global batch's token count (split over processes),
            # so N processes average their gradients to exactly what one process computes.
            counts = token_counts(batch)
            global_counts = all_reduce_sum(torch.stack(list(counts.values())), ctx)
            n_tokens = {b: global_counts[i] / ctx.world_size for i, b in enumerate(counts)}

            parts = wrapped(batch, n_tokens)
            parts["loss"].backward()
            if config.max_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(module.parameters(), config.max_grad_norm)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step, rng_after = step + 1, torch.get_rng_state()

            # logging: the mean over processes of each part is the global-batch value
            names = list(parts)
            logged = all_reduce_sum(torch.stack([parts[n].detach().float() for n in names]), ctx)
            row = {"step": step, "lr": lr}
            row.update({n: float(v) / ctx.world_size for n, v in zip(names, logged, strict=True)})
            row["seconds"] = time.perf_counter() - tick
            curves.train.append(row)
            train_seconds += row["seconds"]
            progress.set_postfix(loss=f"{row['loss']:.4f}", refresh=False)
            progress.update(1)

            if step % config.eval_every and step != config.max_steps:
                continue
            # ---------------------------------------------------------- evaluation
            valid = validation_loss(
                module, valid_set, batch_size=config.eval_batch_size, pad_id=pad_id, ctx=ctx
            )
            accuracy = label_accuracy(
                network,
                tokenizer,
                recipe,
                data.valid,
                batch_size=config.eval_batch_size,
                max_input_length=config.max_input_length,
                max_new_tokens=max_new_tokens,
                ctx=ctx,
            ).accuracy
            curves.valid.append({"step": step, **valid, "accuracy": accuracy})
            best = curves.best()
            is_best = best is not None and best["step"] == step
            if is_best and ctx.is_main:
                save_model(model, None, out)
            status = "complete" if step == config.max_steps else "running"
            save(step, status, rng_after)
            saved_step = step
            barrier(ctx)
            if ctx.is_main:
                progress.write(
                    f"step {step}/{config.max_steps}: train loss {row['loss']:.4f}, "
                    f"valid loss {valid['loss']:.4f}, valid accuracy {100 * accuracy:.1f} %"
                    + (" (best)" if is_best else "")
                    + f", {len(curves.train) / train_seconds:.2f} steps/s",
                    file=sys.stderr,
                )
    except KeyboardInterrupt:
        if step > saved_step:  # keep what was done; the same command resumes from here
            save(step, "interrupted", rng_after)
        raise
    finally:
        progress.close()

    best = curves.best()
    return TrainResult(
        out=out,
        steps=step,
        resumed_from=start,
        best_step=int(best["step"]) if best else None,
        best_accuracy=best["accuracy"] if best else None,
        main_process=ctx.is_main,
    )
