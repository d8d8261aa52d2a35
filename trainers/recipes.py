"""The training recipes, one small class each, in one registry.

A recipe says what a student reads and writes (its branches and their source/target text), how
its outputs are laid out for scoring (the :class:`~evalsuite.checkpoint.PromptFormat` saved in
the manifest), and how the branches' outputs combine into a loss. The loss math itself lives in
:mod:`trainers.losses`. Recipes override only the hooks they need:

=========  ==============================================  ===============================
recipe     branches                                        loss
=========  ==============================================  ===============================
standard   input -> label                                  L_label
single     input -> "rationale So the answer is label"     L_label
dss        "predict: x" -> label, "explain: x" -> rationale  alpha L_label + (1-alpha) L_rat
mi         as dss                                          dss + beta L_MI (two variants)
mixed      "cot: x" -> "rationale So the answer is label",  lam L_cot + (1-lam) L_pot
           "pot: x" -> program setting ``ans``              (lam is ``alpha``)
socratic   two students (``trainers.socratic``): "decompose: x" -> sub-questions, and
           "solve: x | Q: q1 A: a1 | ... | Q: qk" -> the k-th sub-answer; L_label each
=========  ==============================================  ===============================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from evalsuite.checkpoint import PromptFormat
from evalsuite.errors import DataError, UsageError
from evalsuite.example import Example
from evalsuite.registry import Registry
from evalsuite.scoring.student import forced_outputs
from evalsuite.tasks import Task
from trainers.batching import Batch, Pair, pack_branches
from trainers.causal_packing import packed_causal_outputs, supports_causal_packing
from trainers.config import TrainConfig
from trainers.losses import (
    IGNORE_INDEX,
    BranchOutput,
    dss_loss,
    infonce_loss,
    masked_mean_pool,
    released_mi_loss,
    sequence_cross_entropy,
)
from trainers.multipath import COT_PREFIX, MIXED_PREFIXES, POT_PREFIX, mixed_loss, pot_target
from trainers.packing import packed_seq2seq_outputs, supports_segment_packing
from trainers.student import use_fused_gelu

__all__ = [
    "LABEL_PREFIX",
    "RATIONALE_PREFIX",
    "RECIPES",
    "BranchOutput",
    "Recipe",
    "RecipeModule",
    "get_recipe",
    "model_width",
    "segment_packing",
    "token_counts",
]

LABEL_PREFIX = "predict: "
RATIONALE_PREFIX = "explain: "
"""The DSS release's task prefixes for multi-task students."""


def branch_losses(
    outputs: dict[str, BranchOutput], n_tokens: dict[str, Tensor], *branches: str
) -> list[Tensor]:
    """Token-level cross-entropy of each named branch, for recipes that weight two of them."""
    return [
        sequence_cross_entropy(*outputs[b].loss_logits(), n_tokens=n_tokens[b]) for b in branches
    ]


class Recipe:
    """Base recipe: input -> label (standard fine-tuning, or distillation on teacher labels)."""

    name: ClassVar[str] = "standard"
    output: ClassVar[str] = "label"
    needs_rationale: ClassVar[bool] = False
    parts: ClassVar[tuple[str, ...]] = ("loss", "label")
    """The names :meth:`loss` returns."""
    label_prefix: ClassVar[str] = ""
    rationale_prefix: ClassVar[str | None] = None
    path_prefixes: ClassVar[Mapping[str, str]] = {}
    """Prompt prefixes, saved in the manifest's prompt block for the scorer."""

    def __init__(self, config: TrainConfig, task: Task) -> None:
        self.config = config
        self.task = task

    # -- what the student reads and writes -----------------------------------------------------
    def prompt_format(self) -> PromptFormat:
        """The prompt block of the manifest: everything ``evalsuite score`` needs to prompt."""
        return PromptFormat(
            recipe=self.name,
            task=self.task.name,
            output=self.output,
            label_prefix=self.label_prefix,
            rationale_prefix=self.rationale_prefix,
            path_prefixes=dict(self.path_prefixes),
            max_input_length=self.config.max_input_length,
            max_target_length=self.config.max_target_length,
        )

    def pairs(self, example: Example, label: str) -> dict[str, Pair]:
        """Source and target text of every branch for one example."""
        return {"label": Pair(self.label_source(example), label)}

    def label_source(self, example: Example) -> str:
        """What the student reads when asked for the label (validation decoding)."""
        return self.label_prefix + example.input

    def label_text(self, generated: str) -> str:
        """The label part of a label-branch generation."""
        return generated

    def judge(self, generated: str, example: Example) -> bool:
        """Whether a validation generation is right: the task reads and judges its label part."""
        answer = self.task.extract_answer(self.label_text(generated), example).answer
        return self.task.is_correct(answer, example)

    def training_examples(self, examples: list[Example]) -> list[Example]:
        """The examples this recipe trains and validates on, made from the task's examples.

        The task's own examples for every recipe but Socratic, whose solver learns one example
        per sub-question (``trainers.socratic``).
        """
        return examples

    def tokenizer_texts(self, example: Example, label: str) -> list[str]:
        """Text beyond the shared corpus that a tiny student's tokenizer must cover."""
        return []

    # -- loss --------------------------------------------------------------------------------
    @property
    def needs_hidden_states(self) -> bool:
        """Whether the loss reads final decoder states (costs nothing extra to return)."""
        return False

    @property
    def reads_padded_positions(self) -> bool:
        """Whether the loss reads outputs at target positions past a target's end (padding up
        to the branch's longest target): packing then computes them (:mod:`trainers.packing`)."""
        return False

    def extra_module(self, width: int) -> nn.Module | None:
        """Trainable parameters beside the student (e.g. a critic); not saved with the model."""
        return None

    def loss(
        self,
        outputs: dict[str, BranchOutput],
        n_tokens: dict[str, Tensor],
        extra: nn.Module | None,
    ) -> dict[str, Tensor]:
        """``{"loss": total, <part>: value, ...}``; parts are logged and go in the manifest."""
        (label,) = branch_losses(outputs, n_tokens, "label")
        return {"loss": label, "label": label}

    def rationale(self, example: Example) -> str:
        """The teacher rationale a rationale-bearing recipe trains on."""
        if example.teacher_rationale is None:
            raise DataError(
                f"{example.split} example {example.id}: no teacher rationale; recipe "
                f"'{self.name}' trains on the teacher's rationales (the data has none)"
            )
        return example.teacher_rationale


class StandardRecipe(Recipe):
    """input -> label. Gold labels: standard fine-tuning; teacher labels: standard distillation."""


class SingleRecipe(Recipe):
    """input -> "<rationale> So the answer is <label>": the single-task ablation of DSS."""

    name = "single"
    output = "rationale_then_label"
    needs_rationale = True

    def pairs(self, example: Example, label: str) -> dict[str, Pair]:
        target = self.task.single_output_target(self.rationale(example), label)
        return {"label": Pair(example.input, target)}

    def label_text(self, generated: str) -> str:
        return self.task.split_single_output(generated)[1]


class DssRecipe(Recipe):
    """Distilling step-by-step: "predict: x" -> label and "explain: x" -> rationale."""

    name = "dss"
    output = "multitask"
    needs_rationale = True
    parts: ClassVar[tuple[str, ...]] = ("loss", "label", "rationale")
    label_prefix = LABEL_PREFIX
    rationale_prefix = RATIONALE_PREFIX

    def pairs(self, example: Example, label: str) -> dict[str, Pair]:
        return {
            "label": Pair(LABEL_PREFIX + example.input, label),
            "rationale": Pair(RATIONALE_PREFIX + example.input, self.rationale(example)),
        }

    def loss(
        self,
        outputs: dict[str, BranchOutput],
        n_tokens: dict[str, Tensor],
        extra: nn.Module | None,
    ) -> dict[str, Tensor]:
        label, rationale = branch_losses(outputs, n_tokens, "label", "rationale")
        total = dss_loss(label, rationale, alpha=self.config.alpha)
        return {"loss": total, "label": label, "rationale": rationale}


class InfoNceHead(nn.Module):
    """The InfoNCE critic's projection head: one linear map per branch into a shared space."""

    def __init__(self, width: int, dim: int) -> None:
        super().__init__()
        self.label = nn.Linear(width, dim)
        self.rationale = nn.Linear(width, dim)


def _released_term(
    outputs: dict[str, BranchOutput], extra: nn.Module | None, config: TrainConfig
) -> Tensor:
    return released_mi_loss(outputs["label"].padded_logits(), outputs["rationale"].padded_logits())


def _infonce_term(
    outputs: dict[str, BranchOutput], extra: nn.Module | None, config: TrainConfig
) -> Tensor:
    if not isinstance(extra, InfoNceHead):
        raise TypeError("the infonce MI term needs its InfoNceHead")
    pooled = {}
    for branch in ("label", "rationale"):
        out = outputs[branch]
        if out.hidden is None:
            raise TypeError("the infonce MI term needs the final decoder states")
        pooled[branch] = masked_mean_pool(out.hidden, out.labels != IGNORE_INDEX)
    return infonce_loss(
        extra.label(pooled["label"]),
        extra.rationale(pooled["rationale"]),
        temperature=config.infonce_temperature,
    )


MI_TERMS = {"released": _released_term, "infonce": _infonce_term}


class MiRecipe(DssRecipe):
    """DSS plus ``beta * L_MI``; ``mi_variant`` picks the released loss or the InfoNCE bound."""

    name = "mi"
    parts: ClassVar[tuple[str, ...]] = ("loss", "label", "rationale", "mi")

    @property
    def needs_hidden_states(self) -> bool:
        return self.config.mi_variant == "infonce"

    @property
    def reads_padded_positions(self) -> bool:
        return self.config.mi_variant == "released"  # its maximum runs over padded positions

    def extra_module(self, width: int) -> nn.Module | None:
        if self.config.mi_variant == "infonce":
            return InfoNceHead(width, self.config.infonce_dim)
        return None

    def loss(
        self,
        outputs: dict[str, BranchOutput],
        n_tokens: dict[str, Tensor],
        extra: nn.Module | None,
    ) -> dict[str, Tensor]:
        parts = super().loss(outputs, n_tokens, extra)
        mi = MI_TERMS[self.config.mi_variant](outputs, extra, self.config)
        return {**parts, "loss": parts["loss"] + self.config.beta * mi, "mi": mi}


class MixedRecipe(Recipe):
    """Mixed distillation: "cot: x" -> CoT then label, "pot: x" -> a program (trainers.multipath).

    The "label" branch is the CoT path (validation accuracy reads its answer); ``alpha`` is lam.
    """

    name = "mixed"
    output = "mixed"
    needs_rationale = True
    parts: ClassVar[tuple[str, ...]] = ("loss", "cot", "pot")
    label_prefix = COT_PREFIX
    path_prefixes = MIXED_PREFIXES

    def pairs(self, example: Example, label: str) -> dict[str, Pair]:
        target = self.task.single_output_target(self.rationale(example), label)
        return {
            "label": Pair(COT_PREFIX + example.input, target),
            "pot": Pair(POT_PREFIX + example.input, pot_target(example, label, self.task)),
        }

    def label_text(self, generated: str) -> str:
        return self.task.split_single_output(generated)[1]

    def tokenizer_texts(self, example: Example, label: str) -> list[str]:
        program = pot_target(example, label, self.task)
        return [COT_PREFIX + example.input, POT_PREFIX + example.input, program]

    def loss(
        self,
        outputs: dict[str, BranchOutput],
        n_tokens: dict[str, Tensor],
        extra: nn.Module | None,
    ) -> dict[str, Tensor]:
        cot, pot = branch_losses(outputs, n_tokens, "label", "pot")
        return {"loss": mixed_loss(cot, pot, lam=self.config.alpha), "cot": cot, "pot": pot}


RECIPES: Registry[type[Recipe]] = Registry(
    "recipe",
    {
        recipe.name: recipe
        for recipe in (StandardRecipe, SingleRecipe, DssRecipe, MiRecipe, MixedRecipe)
    },
)
"""The one-student recipes by name (:data:`evalsuite.names.RECIPES` but ``socratic``, which
is two students: :mod:`trainers.socratic`)."""


def get_recipe(config: TrainConfig, task: Task) -> Recipe:
    """The recipe ``config.recipe`` for ``task``.

    Raises
    ------
    UsageError
        For an unknown name, or ``socratic``: two students, each with its own stage recipe
        (``trainers.socratic``; :func:`trainers.loop.train` trains both).
    """
    if config.recipe == "socratic":
        raise UsageError(
            "recipe 'socratic' is two students (decomposer and solver); train it with "
            "trainers.loop.train or `evalsuite train socratic`"
        )
    return RECIPES[config.recipe](config, task)


class RecipeModule(nn.Module):
    """The student and the recipe's extra parameters as one module whose forward is the loss.

    Data parallelism wraps this module, so gradients of the critic are averaged like the model's.
    ``packed`` (default: where the student allows it) runs every branch in one forward pass:

    * a T5-family student packs its segments into encoder and decoder rows with almost no
      padding (:mod:`trainers.packing`): one encoder and one decoder pass, a fifth fewer positions
      computed on arith than one padded pass per branch, the same loss and gradients;
    * a GPT-2 or LLaMA student packs each example's prompt and target as a segment of rows of
      one causal pass (:mod:`trainers.causal_packing`): the same loss and gradients, and a tiny
      llama step 1.2x to 1.3x as fast on CPU (standard, dss, mixed; batch 16, one thread);
    * another student, asked to pack, stacks its branches, padded to the widest
      (:func:`trainers.batching.pack_branches`): the same loss and gradients, but on CPU it was
      the slower (the label branch padded to the rationale's width: dss, batch 16, one thread,
      1.63 s a step packed against 1.30 s two-pass), so it is not the default;
    * ``packed=False`` gives each branch its own padded pass, as the DSS release does.

    The student's ``gelu_new`` activations run on the fused kernel of the same function
    (:func:`trainers.student.use_fused_gelu`); a packed pass runs its own attention
    (:mod:`trainers.packed_attention`).
    """

    def __init__(self, model: nn.Module, recipe: Recipe, *, packed: bool | None = None) -> None:
        super().__init__()
        self.model: Any = model  # a Hugging Face encoder-decoder or causal LM
        self.recipe = recipe
        self.packed = segment_packing(model) is not None if packed is None else packed
        self.extra = recipe.extra_module(model_width(model))
        use_fused_gelu(model)

    def _forward(self, tensors: dict[str, Tensor]) -> tuple[Tensor, Tensor | None]:
        """Logits and (when the loss reads them) final states of one forward pass, aligned with
        the targets for either architecture (:func:`evalsuite.scoring.student.forced_outputs`:
        a causal student's prompt carries no loss)."""
        return forced_outputs(
            self.model,
            tensors["input_ids"],
            tensors["attention_mask"],
            tensors["labels"],
            hidden=self.recipe.needs_hidden_states,
        )

    def branch_outputs(self, batch: Batch) -> dict[str, BranchOutput]:
        """Every branch's logits, targets and states: one packed forward pass, or one each."""
        packing = segment_packing(self.model)
        if self.packed and packing is not None:
            return packing(
                self.model,
                batch,
                hidden=self.recipe.needs_hidden_states,
                with_padding=self.recipe.reads_padded_positions,
            )
        if not self.packed or len(batch) == 1:
            outputs = {}
            for branch, tensors in batch.items():
                logits, hidden = self._forward(tensors)
                outputs[branch] = BranchOutput(tensors["labels"], logits, hidden=hidden)
            return outputs
        # The pad id only fills masked positions; a GPT-2 config may name none.
        pad_id = self.model.config.pad_token_id
        stacked = pack_branches(batch, pad_id=int(pad_id) if pad_id is not None else 0)
        logits, hidden = self._forward(stacked.tensors)
        return {
            branch: BranchOutput(
                tensors["labels"],
                stacked.unpack(logits, branch),
                hidden=None if hidden is None else stacked.unpack(hidden, branch),
            )
            for branch, tensors in batch.items()
        }

    def forward(self, batch: Batch, n_tokens: dict[str, Tensor]) -> dict[str, Any]:
        return self.recipe.loss(self.branch_outputs(batch), n_tokens, self.extra)


PackedOutputs = Callable[..., dict[str, BranchOutput]]
"""``(model, batch, *, hidden, with_padding) -> {branch: BranchOutput}``."""


def segment_packing(model: Any) -> PackedOutputs | None:
    """The segment-packed forward pass that gives ``model`` exactly the outputs of one padded
    pass per branch (:mod:`trainers.packing` for a T5, :mod:`trainers.causal_packing` for a
    GPT-2 or LLaMA student), or None where there is none."""
    if supports_segment_packing(model):
        return packed_seq2seq_outputs
    if supports_causal_packing(model):
        return packed_causal_outputs
    return None


def model_width(model: nn.Module) -> int:
    """The width of the model's final states, ``config.hidden_size`` (T5's ``d_model``,
    GPT-2's ``n_embd``: transformers maps both names).

    Raises
    ------
    ValueError
        When the config names no positive width (a zero-width critic would train silently).
    """
    width = getattr(getattr(model, "config", None), "hidden_size", None)
    if not isinstance(width, int) or width <= 0:
        raise ValueError(f"model config has no positive hidden_size (got {width!r})")
    return width


def token_counts(batch: Batch) -> dict[str, Tensor]:
    """Number of target tokens per branch: the loss normaliser of one process."""
    return {
        branch: (tensors["labels"] != IGNORE_INDEX).sum().to(torch.float32)
        for branch, tensors in batch.items()
    }
