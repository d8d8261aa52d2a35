"""The run manifest (docs/runs.md): manifest.json, typed, with one docstring per field.

The manifest says how a run was made: what kind of run, which task and split, which model and
data (with their hashes), how it decoded, under which seeds, and whether it finished. New runs
write ``schema_version`` 2; a manifest without it is schema 1 (the release before), which reads
the same except that it records no training seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from evalsuite.runs.fields import (
    JsonObject,
    as_bool,
    as_int,
    as_mapping,
    as_number,
    as_string_list,
    as_text,
    from_json,
    nested,
    spec,
    to_json,
)

__all__ = [
    "IDENTITY_KEYS",
    "SCHEMA_VERSION",
    "DataSource",
    "Decoding",
    "Manifest",
    "ModelInfo",
]

SCHEMA_VERSION = 2
"""What new runs write; 1 is a manifest without ``schema_version`` (no training seed)."""

IDENTITY_KEYS = (
    "kind",
    "task",
    "split",
    "model_hash",
    "decoding",
    "limit",
    "data_hash",
    "representations",
    "batch_size",  # batches pad to their longest input, and padding changes the numbers
    "prompt",  # model.prompt: one checkpoint scored with two --format's is two runs
    "probe",  # probe runs: which probes, with which settings
)
"""Manifest fields that must agree for a re-run to resume an existing run directory
(``prompt`` is ``model.prompt``)."""


def _extra() -> Any:
    return field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ModelInfo(JsonObject):
    """What made the outputs: a checkpoint, the dataset teacher, or a predictions file."""

    path: str | None = spec(as_text, omit_none=True)
    """Student runs: the checkpoint directory, resolved."""
    recipe: str | None = spec(as_text, omit_none=True)
    """Student runs: the checkpoint's training recipe (``dss``, ``mixed``, ...); a report's
    method."""
    trained_on: str | None = spec(as_text, omit_none=True)
    """Student runs: the task the checkpoint was trained on."""
    prompt: Mapping[str, Any] | None = spec(as_mapping, omit_none=True)
    """Student runs: the checkpoint's prompt format (recipe, output, prefixes, lengths)."""
    coupling: str | None = spec(as_text, omit_none=True)
    """Student runs: how the answer couples to the rationale (``joint``, ``separate``, ``none``;
    :mod:`evalsuite.coupling`); absent in older runs, where :attr:`Manifest.coupling` derives
    it from ``prompt``."""
    seed: int | None = spec(as_int, omit_none=True)
    """Student runs (schema 2): the checkpoint's training seed, from its train_manifest.json;
    null when the checkpoint does not record one."""
    format_source: str | None = spec(as_text, omit_none=True)
    """Student runs: where ``prompt`` came from: ``checkpoint`` (its train_manifest.json),
    ``preset NAME`` (``--format``), ``flags`` (``--output`` and the prefix flags) or
    ``preset NAME + flags``; absent in runs from before formats (read: ``checkpoint``)."""
    tokenizer_sha256: str | None = spec(as_text, omit_none=True)
    """Student runs: SHA-256 over the tokenizer's files (names and bytes)."""
    tokenizer: str | None = spec(as_text, omit_none=True)
    """Student runs scored with ``--tokenizer``: that directory, resolved."""
    architecture: str | None = spec(as_text, omit_none=True)
    """Student runs: ``encoder-decoder`` or ``causal`` (from the checkpoint's config); absent
    in runs from before causal students, which were all encoder-decoders."""
    name: str | None = spec(as_text, omit_none=True)
    """Teacher runs: ``teacher``."""
    source: str | None = spec(as_text, omit_none=True)
    """Teacher runs: where the outputs came from (dataset or synthetic teacher)."""
    predictions_file: str | None = spec(as_text, omit_none=True)
    """Imported predictions: the JSONL file, resolved."""
    lines: int | None = spec(as_int, omit_none=True)
    """Imported predictions: how many predictions the file held."""
    format: str | None = spec(as_text, omit_none=True)
    """Imported predictions: the file's format (``jsonl``, ``lm-eval``, ``inspect``); absent
    in runs imported before formats (read: ``jsonl``)."""
    tool_task: str | None = spec(as_text, omit_none=True)
    """Imported logs: the task's name in the other tool (lm-eval's from the file name,
    inspect's from the log)."""
    tool_model: str | None = spec(as_text, omit_none=True)
    """Imported inspect logs: the model the log names."""
    filter: str | None = spec(as_text, omit_none=True)
    """Imported lm-eval logs: the filter whose answers were read."""
    extra: Mapping[str, Any] = _extra()
    """Fields this version does not know, kept for the round trip."""

    @property
    def location(self) -> str | None:
        """Where the model is, for a table: checkpoint path, teacher source or predictions file."""
        return self.path or self.source or self.predictions_file


@dataclass(frozen=True, kw_only=True)
class DataSource(JsonObject):
    """Where the examples came from."""

    dir: str | None = spec(as_text)
    """The data directory, resolved (null for a synthetic task)."""
    files: Mapping[str, Any] | None = spec(as_mapping)
    """Each data file read, with its SHA-256."""
    examples_sha256: str | None = spec(as_text)
    """SHA-256 of the examples as scoring reads them (ids, inputs, gold, teacher outputs)."""
    generator: Mapping[str, Any] | None = spec(as_mapping, omit_none=True)
    """Synthetic tasks: the generator's configuration (``{"arith": {...}}``)."""
    extra: Mapping[str, Any] = _extra()
    """Fields this version does not know, kept for the round trip."""


@dataclass(frozen=True, kw_only=True)
class Decoding(JsonObject):
    """How a student decoded (part of the run's identity)."""

    mode: str | None = spec(as_text)
    """``greedy``, ``beam`` or ``sample``."""
    num_beams: int | None = spec(as_int)
    """Beam width (1: greedy)."""
    num_samples: int | None = spec(as_int)
    """Sampled paths per example (1: no sampling)."""
    temperature: float | None = spec(as_number)
    """Sampling temperature."""
    top_p: float | None = spec(as_number)
    """Nucleus sampling mass."""
    max_new_tokens: int | None = spec(as_int)
    """Generation length limit."""
    seed: int | None = spec(as_int)
    """The decoding seed every batch's sampling stream derives from."""
    paths: str | None = spec(as_text, omit_none=True)
    """Mixed students: the path mode (``multi``, ``cot`` or ``pot``)."""
    extra: Mapping[str, Any] = _extra()
    """Fields this version does not know, kept for the round trip."""


@dataclass(frozen=True, kw_only=True)
class Manifest(JsonObject):
    """manifest.json: how a run was made and whether it finished."""

    schema_version: int | None = spec(as_int, omit_none=True)
    """2 for runs written by this version; absent (read as 1) in older runs."""
    name: str | None = spec(as_text, omit_none=True)
    """The run's name (its directory name when written)."""
    kind: str | None = spec(as_text, omit_none=True)
    """``student`` (scored checkpoint), ``teacher`` or ``predictions`` (imported)."""
    task: str | None = spec(as_text, omit_none=True)
    """The task's registry name (``svamp``, ``esnli``, ``arith``, ...)."""
    split: str | None = spec(as_text, omit_none=True)
    """``train``, ``valid`` or ``test``."""
    limit: int | None = spec(as_int)
    """``--limit``: only the first N examples were scored; null for all."""
    n_examples: int | None = spec(as_int, omit_none=True)
    """How many records the run holds when complete."""
    model: ModelInfo | None = spec(nested(ModelInfo), omit_none=True)
    """What made the outputs."""
    model_hash: str | None = spec(as_text)
    """SHA-256 of the checkpoint's weights or of the predictions file; null for a teacher."""
    data: DataSource | None = spec(nested(DataSource), omit_none=True)
    """Where the examples came from."""
    data_hash: str | None = spec(as_text)
    """``data.examples_sha256``: a run resumes only on the same examples."""
    n_dataset_examples: int | None = spec(as_int, omit_none=True)
    """Imported predictions: how many examples the split has (the run may cover fewer)."""
    not_covered: tuple[str, ...] | None = spec(as_string_list, omit_none=True)
    """Imported predictions: the ids of the split's examples the file does not cover, in the
    split's order; absent in runs imported before it was recorded."""
    decoding: Decoding | None = spec(nested(Decoding), omit_none=True)
    """Student runs: how the student decoded."""
    seed: int | None = spec(as_int, omit_none=True)
    """Student runs: the decoding seed (``decoding.seed``); the training seed is
    ``model.seed``."""
    representations: bool | None = spec(as_bool, omit_none=True)
    """Student runs: whether representations.npz is written."""
    batch_size: int | None = spec(as_int, omit_none=True)
    """Student runs: examples per batch."""
    device: str | None = spec(as_text, omit_none=True)
    """Student runs: the device scored on."""
    world_size: int | None = spec(as_int, omit_none=True)
    """Student runs: processes that shared the batches (torchrun)."""
    probe: Mapping[str, Any] | None = spec(as_mapping, omit_none=True)
    """Probe runs (``kind`` ``probe``): the probes and their settings (``probes``,
    ``perturbation_rate``, ``answer_tokens``, ``seed``, ``source_run``)."""
    suite_version: str | None = spec(as_text, omit_none=True)
    """evalsuite's version."""
    git: Mapping[str, Any] | None = spec(as_mapping, omit_none=True)
    """The suite's git revision and whether its tree was dirty."""
    command: tuple[str, ...] | None = spec(as_string_list, omit_none=True)
    """The command line that made the run."""
    python: str | None = spec(as_text, omit_none=True)
    """Python's version."""
    platform: str | None = spec(as_text, omit_none=True)
    """The operating system and machine."""
    packages: Mapping[str, Any] | None = spec(as_mapping, omit_none=True)
    """Versions of the numeric packages results depend on."""
    started: str | None = spec(as_text, omit_none=True)
    """When the run was first started (ISO 8601, UTC); kept across resumes."""
    status: str | None = spec(as_text, omit_none=True)
    """``partial`` while being written, ``complete`` when finished."""
    finished: str | None = spec(as_text, omit_none=True)
    """When the run was finished (ISO 8601, UTC)."""
    extra: Mapping[str, Any] = _extra()
    """Fields this version does not know, kept for the round trip."""

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Manifest:
        """Validate a parsed manifest.json; a field of the wrong type is a one-line DataError.

        Examples
        --------
        >>> Manifest.from_json({"task": "arith", "limit": "lots"}, "m.json")
        Traceback (most recent call last):
        ...
        evalsuite.errors.DataError: m.json: field 'limit' must be an integer or null, got 'lots'
        """
        return from_json(cls, obj, where)

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to manifest.json."""
        return to_json(self)

    @property
    def version(self) -> int:
        """The schema version: ``schema_version``, or 1 for a manifest without it."""
        return self.schema_version if self.schema_version is not None else 1

    @property
    def complete(self) -> bool:
        """Whether the writer finished (status ``complete``)."""
        return self.status == "complete"

    @property
    def coupling(self) -> str | None:
        """How the student couples rationale and answer: ``model.coupling``, else derived from
        ``model.prompt`` (runs written before it was recorded); None for non-student runs."""
        from evalsuite.coupling import coupling_of_prompt

        if self.model is None:
            return None
        return self.model.coupling or coupling_of_prompt(self.model.prompt)

    @property
    def training_seed(self) -> int | None:
        """The student's training seed (``model.seed``), or None when not recorded."""
        return self.model.seed if self.model is not None else None

    def identity(self) -> dict[str, Any]:
        """The fields of :data:`IDENTITY_KEYS`, as JSON values."""
        doc = self.to_json()
        model = doc.get("model") or {}
        return {key: model.get(key) if key == "prompt" else doc.get(key) for key in IDENTITY_KEYS}

    def with_status(self, status: str, **changes: Any) -> Manifest:
        """A copy with ``status`` and other fields changed."""
        return replace(self, status=status, **changes)
