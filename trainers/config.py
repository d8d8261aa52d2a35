"""The training configuration: one typed, validated, frozen dataclass, saved beside the checkpoint.

The CLI builds it with :func:`make_config` and nothing below the CLI sees argparse. Options left
unset (``None``) take the defaults of the student kind: the DSS release's for a pretrained T5, and
defaults that make the tiny student learn in minutes on a CPU.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from evalsuite.data import ArithConfig
from evalsuite.errors import UsageError
from evalsuite.names import RECIPES
from evalsuite.tasks import get_task
from trainers.lora import LORA_LR, LoraSettings
from trainers.student import TINY_MODELS, TinyStudentConfig

__all__ = [
    "DEFAULT_TINY",
    "LABEL_SOURCES",
    "MI_VARIANTS",
    "PRETRAINED_DEFAULTS",
    "TINY_DEFAULTS",
    "TrainConfig",
    "config_differences",
    "make_config",
]

LABEL_SOURCES = ("gold", "teacher")
MI_VARIANTS = ("released", "infonce")
DEVICES = ("auto", "cpu", "cuda")

PRETRAINED_DEFAULTS: dict[str, Any] = {
    "lr": 5e-5,
    "batch_size": 64,
    "max_steps": 10000,
    "eval_every": 250,
    "warmup_steps": 0,
}
"""The DSS release's settings (``main.py`` and Seq2SeqTrainer defaults: linear decay, no warmup)."""

TINY_DEFAULTS: dict[str, Any] = {
    "lr": 1e-3,
    "batch_size": 16,
    "max_steps": 1000,
    "eval_every": 250,
    "warmup_steps": 50,
}
"""Measured on arith (bench/train.py): a tiny T5 from scratch needs a far larger learning rate
than a pretrained one; 2e-3 already learned more slowly than 1e-3, and batch 16 learned more
per example seen than batch 32; lr 3e-3 stays near 0 % (2.6 % test after 400 steps), and batch 64
at lr 2e-3 (52.4 % after 400 steps) learned no more per second than batch 16 (56.8 % after
1200). The whole schedule takes about 4 to 6 minutes on one CPU thread."""

DEFAULT_TINY = TinyStudentConfig(pieces="bpe", num_layers=3, num_decoder_layers=3)
"""The tiny student of ``--model tiny``: whole-word pieces, numbers as single tokens, 3+3 layers.

Measured on arith (standard recipe, 1200 steps at batch 16, lr 1e-3; test accuracy of 500
problems): 2+2 layers 48.4 %, 2+2 with 128 relative-position buckets 56.8 %, 3+3 layers
64.2 % (3+3 with 128 buckets 53.6 %: no gain on top of depth, so T5's 32 stay). A 3+3 step
costs about 1.4 times a 2+2 step on one CPU thread. What the students get wrong is which number
goes where in the equation (2- and 3-operation problems); depth is what helps them track it."""

RESUME_IGNORED = ("out", "device")
"""Fields that may change between a run and its resumption: where it is written and run."""


def _option(name: str) -> str:
    """The command-line spelling of a config field, so errors name what the user typed."""
    return "--" + name.replace("_", "-")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run. Validated once, never mutated.

    Attributes
    ----------
    recipe : str
        A name of :data:`evalsuite.names.RECIPES`; see ``trainers.recipes`` (``socratic``, two
        students: ``trainers.socratic``).
    task : str
        A registered task name.
    out : str
        The checkpoint directory; an existing one is resumed (same config) or refused.
    model : str
        ``"tiny"`` (a small T5 built from ``tiny``), ``"tiny-gpt2"`` or ``"tiny-llama"`` (small
        causal LMs built from it), or a local Hugging Face checkpoint (seq2seq or causal).
    label_source : {"gold", "teacher"}
        Train on the gold labels or on the teacher's (standard distillation).
    train_fraction : float
        Fraction of the training split used, subsampled with ``seed``.
    alpha : float
        DSS weight of the label loss; the rationale loss gets ``1 - alpha``.
    beta : float
        Weight of the MI term (recipe ``mi`` only).
    mi_variant : {"released", "infonce"}
        The ACL 2024 release's loss, or the InfoNCE bound; see ``trainers.losses``.
    max_steps, batch_size, lr, eval_every, warmup_steps : int, int, float, int, int
        The schedule. ``batch_size`` is global: under DDP it is split over the processes.
        The learning rate rises linearly over ``warmup_steps`` and decays linearly to 0.
    weight_decay, max_grad_norm : float
        AdamW weight decay and gradient clipping (0 disables), as Seq2SeqTrainer's defaults.
    max_input_length, max_target_length : int
        Token limits; inputs and targets are truncated, as the release does (1024 and 256).
    eval_batch_size : int
        Batch size for validation loss and greedy decoding.
    infonce_dim, infonce_temperature : int, float
        Projection size and temperature of the InfoNCE critic.
    device : {"auto", "cpu", "cuda"}
    tiny : TinyStudentConfig
        Shape of the tiny student (ignored for a pretrained model).
    arith : ArithConfig
        Sizes, seed and noise of the synthetic ``arith`` task (ignored for other tasks).
    lora : LoraSettings or None
        Train a LoRA adapter on ``model`` (a local checkpoint, then the adapter's base) instead
        of every weight; None: a full fine-tune.
    """

    recipe: str
    task: str
    out: str
    max_steps: int
    batch_size: int
    lr: float
    eval_every: int
    warmup_steps: int
    model: str = "tiny"
    data_dir: str | None = None
    label_source: str = "gold"
    train_fraction: float = 1.0
    alpha: float = 0.5
    beta: float = 0.1
    mi_variant: str = "released"
    seed: int = 0
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    max_input_length: int = 1024
    max_target_length: int = 256
    eval_batch_size: int = 64
    infonce_dim: int = 64
    infonce_temperature: float = 0.1
    device: str = "auto"
    tiny: TinyStudentConfig = DEFAULT_TINY
    arith: ArithConfig = field(default_factory=ArithConfig)
    lora: LoraSettings | None = None

    def __post_init__(self) -> None:
        RECIPES.check(self.recipe)
        get_task(self.task)  # raises "unknown task 'x'; choose from ..."
        _choice("label_source", self.label_source, LABEL_SOURCES)
        _choice("mi_variant", self.mi_variant, MI_VARIANTS)
        _choice("device", self.device, DEVICES)
        if self.model not in TINY_MODELS and not Path(self.model).is_dir():
            raise UsageError(
                f"--model {self.model}: not a local checkpoint directory (pass "
                f"{', '.join(TINY_MODELS)}, or a directory written by save_pretrained; "
                "nothing is downloaded)"
            )
        if self.lora is not None and self.model in TINY_MODELS:
            raise UsageError(
                f"--lora-r: an adapter trains on a pretrained base model; give --model PATH (a "
                f"local checkpoint, e.g. one trained with --model {self.model}), not {self.model}"
            )
        if self.model == "tiny" and self.tiny.num_decoder_layers > self.tiny.num_layers:
            # transformers' T5 sizes its decoding cache by the encoder: generate() would fail
            raise UsageError(
                f"--tiny num_decoder_layers={self.tiny.num_decoder_layers}: the tiny T5's "
                f"decoder may be no deeper than its encoder (num_layers={self.tiny.num_layers})"
            )
        for name in (
            "max_steps",
            "batch_size",
            "eval_every",
            "max_input_length",
            "max_target_length",
            "eval_batch_size",
            "infonce_dim",
        ):
            _integer(name, getattr(self, name), minimum=1)
        _integer("warmup_steps", self.warmup_steps, minimum=0)
        _integer("seed", self.seed, minimum=0)
        _number("lr", self.lr, low=0.0, low_open=True)
        _number("train_fraction", self.train_fraction, low=0.0, high=1.0, low_open=True)
        _number("alpha", self.alpha, low=0.0, high=1.0)
        _number("beta", self.beta, low=0.0)
        _number("weight_decay", self.weight_decay, low=0.0)
        _number("max_grad_norm", self.max_grad_norm, low=0.0)
        _number("infonce_temperature", self.infonce_temperature, low=0.0, low_open=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, saved as ``train_config.json`` and in the manifest."""
        return asdict(self)


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise UsageError(f"{_option(name)} {value!r}: choose from {', '.join(allowed)}")


def _integer(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(f"{_option(name)} must be an integer >= {minimum}, got {value!r}")


def _number(
    name: str,
    value: object,
    *,
    low: float,
    high: float | None = None,
    low_open: bool = False,
) -> None:
    ok = False
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        above = number > low if low_open else number >= low
        ok = math.isfinite(number) and above and (high is None or number <= high)
    if not ok:
        left = "(" if low_open else "["
        right = f"{high}]" if high is not None else "inf)"
        raise UsageError(f"{_option(name)} must be a number in {left}{low}, {right}, got {value!r}")


def make_config(**options: Any) -> TrainConfig:
    """A TrainConfig whose unset schedule options take the defaults of the student kind.

    ``options`` are TrainConfig fields; ``None`` means "not given". ``lr``, ``batch_size``,
    ``max_steps``, ``eval_every`` and ``warmup_steps`` default to :data:`TINY_DEFAULTS` for
    ``model="tiny"`` and to :data:`PRETRAINED_DEFAULTS` (the DSS release) otherwise; a LoRA
    adapter's ``lr`` to :data:`trainers.lora.LORA_LR`.

    Examples
    --------
    >>> make_config(recipe="dss", task="arith", out="ckpt").lr
    0.001
    """
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise UsageError(f"unknown training option(s): {', '.join(unknown)}")
    given = {key: value for key, value in options.items() if value is not None}
    defaults = TINY_DEFAULTS if given.get("model", "tiny") in TINY_MODELS else PRETRAINED_DEFAULTS
    if given.get("lora") is not None:
        defaults = {**defaults, "lr": LORA_LR}
    out = given.get("out")
    if isinstance(out, os.PathLike):
        given["out"] = os.fspath(out)
    return TrainConfig(**{**defaults, **given})


def config_differences(saved: dict[str, Any], config: TrainConfig) -> list[str]:
    """Fields whose values differ between a saved config and ``config``, as ``"name: a -> b"``.

    Fields in :data:`RESUME_IGNORED` are not compared. ``config`` is compared in its JSON form,
    as ``saved`` was read (a tuple of LoRA targets is a list there).
    """
    current = json.loads(json.dumps(config.to_dict()))
    names = sorted((set(saved) | set(current)) - set(RESUME_IGNORED))
    return [
        f"{name}: {saved.get(name)!r} -> {current.get(name)!r}"
        for name in names
        if saved.get(name) != current.get(name)
    ]
