"""LoRA: train a low-rank adapter on a frozen base model instead of every weight (peft).

A 7B student does not fit a full fine-tune on one GPU; an adapter of rank 8 on its attention
projections trains a fraction of a percent of the parameters. The checkpoint then holds only the
adapter (``adapter_model.safetensors``) and names its base model, which scoring loads under it
(:func:`evalsuite.model_loading.load_adapter`). peft is imported only when LoRA is asked for.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from evalsuite.errors import UsageError

__all__ = ["LORA_LR", "LoraSettings", "attach_lora", "backbone"]

LORA_LR = 2e-4
"""Default learning rate of an adapter: the LoRA and QLoRA papers' 1e-4 to 2e-4 range; the
full fine-tune's 5e-5 barely moves a freshly initialised (zero) adapter."""


@dataclass(frozen=True)
class LoraSettings:
    """The adapter's shape (``--lora-r``, ``--lora-alpha``, ``--lora-targets``).

    Attributes
    ----------
    r : int
        Rank of the update ``B @ A`` added to each target layer.
    alpha : int
        The update is scaled by ``alpha / r``; by default ``alpha = 2 r`` (scale 2). An
        integer, as peft types it.
    targets : tuple of str
        Names of the modules to adapt (``q_proj``, ``v_proj``, ...); empty: peft's default for
        the architecture (LLaMA, Mistral, Qwen: ``q_proj`` and ``v_proj``; GPT-2: ``c_attn``;
        T5: ``q`` and ``v``).
    """

    r: int
    alpha: int
    targets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.r, bool) or not isinstance(self.r, int) or self.r < 1:
            raise UsageError(f"--lora-r must be an integer >= 1, got {self.r!r}")
        alpha = self.alpha
        if isinstance(alpha, bool) or not isinstance(alpha, int) or alpha < 1:
            raise UsageError(f"--lora-alpha must be an integer >= 1, got {alpha!r}")
        bad = [t for t in self.targets if not isinstance(t, str) or not t.strip()]
        if bad or not isinstance(self.targets, tuple):
            raise UsageError(f"--lora-targets must be module names, got {self.targets!r}")

    @classmethod
    def from_options(
        cls, r: int | None, alpha: int | None, targets: list[str] | None
    ) -> LoraSettings | None:
        """The settings the command line asks for, or None without ``--lora-r``.

        Raises
        ------
        UsageError
            ``--lora-alpha`` or ``--lora-targets`` without ``--lora-r``, or a bad value.
        """
        if r is None:
            for option, value in (("--lora-alpha", alpha), ("--lora-targets", targets)):
                if value is not None:
                    raise UsageError(f"{option} needs --lora-r (the adapter's rank)")
            return None
        names = tuple(n for item in targets or () for n in item.split(",") if n)
        default_alpha = 2 * r if isinstance(r, int) else r
        return cls(r=r, alpha=default_alpha if alpha is None else alpha, targets=names)


def attach_lora(model: Any, settings: LoraSettings) -> Any:
    """``model`` frozen, with fresh adapters on its target modules: a peft model whose
    ``save_pretrained`` writes the adapter only. Seed torch first: ``A`` starts random
    (``B`` starts at zero, so the model starts as the base).

    Raises
    ------
    UsageError
        When a target module is not in the model, or peft has no default for its architecture.
    """
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=0.0,
        target_modules=list(settings.targets) or None,
    )
    try:
        with warnings.catch_warnings():  # transformers' deprecation notices from inside peft
            warnings.simplefilter("ignore", FutureWarning)
            return get_peft_model(model, config)
    except ValueError as err:
        first = (str(err).strip().splitlines() or ["no such modules"])[0]
        raise UsageError(f"--lora-targets: {first}") from None


def backbone(model: Any) -> Any:
    """The transformers model under a peft wrapper, with the adapter's layers in it (what the
    student interface drives: it reaches into ``model.base_model``, which peft redefines);
    ``model`` itself when it is not wrapped."""
    return model.get_base_model() if hasattr(model, "peft_config") else model
