"""Prompt formats by name and by flag, for checkpoints that do not describe themselves.

A checkpoint written by ``evalsuite train`` carries its :class:`~evalsuite.checkpoint.PromptFormat`
in ``train_manifest.json``. One written by another trainer (the DSS or MI release, a Hugging Face
``Trainer``) carries none, so ``evalsuite score --format NAME`` names one of :data:`PRESETS`, and
``--label-prefix``, ``--rationale-prefix`` and ``--output`` set or override single fields. The
input text itself is always the task's own layout (``Task.format_input``), which is the DSS
release's per task: SVAMP's body and question joined by a newline, CQA's "Answer Choices" block,
the NLI tasks' premise and hypothesis joined by ``</s>``.

This module imports nothing numeric: the CLI builds ``--format``'s choices and ``evalsuite
formats`` from it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from evalsuite.checkpoint import PromptFormat
from evalsuite.errors import UsageError
from evalsuite.registry import Registry

__all__ = [
    "FLAG_OUTPUTS",
    "PLANNED_PRESETS",
    "PRESETS",
    "FormatRequest",
    "Preset",
]

RELEASE_MAX_INPUT_LENGTH = 1024
RELEASE_MAX_TARGET_LENGTH = 256
"""The DSS release's token limits (its ``--max_input_length`` default; the MI release keeps
them), which are also ``evalsuite train``'s defaults."""


@dataclass(frozen=True)
class Preset:
    """A named prompt format: everything of a :class:`PromptFormat` but the task."""

    description: str
    output: str
    label_prefix: str = ""
    rationale_prefix: str | None = None
    max_input_length: int = RELEASE_MAX_INPUT_LENGTH
    max_target_length: int = RELEASE_MAX_TARGET_LENGTH


PRESETS: Registry[Preset] = Registry(
    "format preset",
    {
        "dss-release": Preset(
            "the DSS and MI releases' multi-task students: 'predict: ' + input -> label, "
            "'explain: ' + input -> rationale",
            output="multitask",
            label_prefix="predict: ",
            rationale_prefix="explain: ",
        ),
        "standard": Preset("standard fine-tuning or distillation: input -> label", output="label"),
        "single": Preset(
            "single-task: input -> '<rationale> So the answer is <label>'",
            output="rationale_then_label",
        ),
        "think": Preset(
            "reasoning students (R1 style): input -> '<think> trace </think> answer'",
            output="think",
        ),
    },
)
"""The prompt-format presets: name -> :class:`Preset` (``evalsuite formats`` lists them)."""

PLANNED_PRESETS: dict[str, str] = {}
"""Presets announced but not built; ``evalsuite formats`` says so, ``--format`` refuses them."""

RECIPE_OF_OUTPUT = {
    "label": "standard",
    "rationale_then_label": "single",
    "multitask": "dss",
    "think": "single",
}
"""The recipe a run names for a checkpoint described by a format, from its output layout (a
``think`` student writes reasoning and answer in one output, as ``single`` does)."""

FLAG_OUTPUTS = tuple(RECIPE_OF_OUTPUT)
"""Output layouts ``--output`` accepts; mixed and Socratic students need their own manifest
(path prefixes, two students)."""

_COMPARED = ("output", "label_prefix", "rationale_prefix", "max_input_length", "max_target_length")
"""The PromptFormat fields a format request decides (and compares against a manifest)."""


@dataclass(frozen=True)
class FormatRequest:
    """What ``--format``, ``--label-prefix``, ``--rationale-prefix`` and ``--output`` asked for.

    Every field is None when not given. Flags override the preset's field of the same name;
    without a preset, ``--output`` is required and the other fields default to no prefix and
    the release's token limits.
    """

    preset: str | None = None
    label_prefix: str | None = None
    rationale_prefix: str | None = None
    output: str | None = None

    def __post_init__(self) -> None:
        if self.preset in PLANNED_PRESETS:
            raise UsageError(f"--format {self.preset}: {PLANNED_PRESETS[self.preset]}")
        if self.preset is not None and self.preset not in PRESETS:
            raise UsageError(
                f"--format {self.preset!r}: unknown format preset; choose from {', '.join(PRESETS)}"
            )
        if self.output is not None and self.output not in FLAG_OUTPUTS:
            raise UsageError(
                f"--output {self.output!r}: choose from {', '.join(FLAG_OUTPUTS)} (mixed and "
                "Socratic students are scored from their own train_manifest.json)"
            )
        if self.given and self.preset is None and self.output is None:
            raise UsageError(
                "--label-prefix and --rationale-prefix need --format NAME or --output KIND "
                "(the output layout cannot be guessed)"
            )

    @property
    def given(self) -> bool:
        """Whether any of the four options was given."""
        return any(getattr(self, f.name) is not None for f in fields(self))

    @property
    def flags(self) -> tuple[str, ...]:
        """The prompt fields set by flags (not by the preset)."""
        return tuple(
            f.name for f in fields(self) if f.name != "preset" and getattr(self, f.name) is not None
        )

    @property
    def source(self) -> str:
        """Where the format came from, as the run manifest records it: ``preset NAME``,
        ``flags``, or ``preset NAME + flags``."""
        parts = [f"preset {self.preset}"] if self.preset else []
        return " + ".join([*parts, *(["flags"] if self.flags else [])])

    def _values(self) -> dict[str, object]:
        base = PRESETS[self.preset] if self.preset else Preset("flags", output=str(self.output))
        values: dict[str, object] = {name: getattr(base, name) for name in _COMPARED}
        values.update({name: getattr(self, name) for name in self.flags})
        return values

    def prompt(self, task: str) -> PromptFormat:
        """The prompt format this request describes, for ``task``.

        Raises
        ------
        UsageError
            When the fields do not make a format (``multitask`` without a rationale prefix).
        """
        values = self._values()
        if values["output"] == "multitask" and values["rationale_prefix"] is None:
            raise UsageError("--output multitask needs --rationale-prefix (e.g. 'explain: ')")
        return PromptFormat(
            recipe=RECIPE_OF_OUTPUT[str(values["output"])],
            task=task,
            **values,  # type: ignore[arg-type]
        )

    def differences(self, prompt: PromptFormat) -> list[str]:
        """``field: requested vs checkpoint's`` for each field the request decides and
        ``prompt`` (a checkpoint's own format) has otherwise."""
        return [
            f"{name} {value!r} vs {getattr(prompt, name)!r}"
            for name, value in self._values().items()
            if getattr(prompt, name) != value
        ]
