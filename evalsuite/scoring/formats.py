"""Scoring one batch of examples, for each way a student lays out its outputs.

A registry maps the checkpoint's output kind (``PromptFormat.output``) to a format:

* ``label``: ``label_prefix + input`` -> label;
* ``multitask``: ``label_prefix + input`` -> label, ``rationale_prefix + input`` -> rationale;
* ``rationale_then_label``: one generation ``"<rationale> So the answer is <label>"``, split by
  the task's parser; the label's tokens are the ones after the last marker;
* ``think``: one generation ``"<think> trace </think> answer"`` (:mod:`.think`); a missing or
  unclosed trace is an extraction failure;
* ``mixed``: CoT and PoT paths voted on, PoT run in the sandbox (:mod:`.multipath`); no
  representations;
* ``socratic``: a decomposer and a solver working in turn (:mod:`.socratic`); no
  representations.

Per batch: each prompt is encoded once; generation gives the outputs and each token's
log-probability; one teacher-forced decoder pass per prompt then scores the closed label set's
candidates (conditioned on the generated rationale for single-output students) and yields the
states that are pooled into representations (:class:`~evalsuite.scoring.student.Student`: the
same for encoder-decoder and causal students). A greedy or sampled generate pass returns those
states itself (:class:`~evalsuite.scoring.student.GeneratedStates`: the prompt's pooled states
and the state that predicted each generated token), so a batch is read once and
teacher-forced only for closed label sets (and, for representations, after beam search). A
single-output generation without the marker has no rationale tokens: its ``rationale_repr`` row
is NaN (its record's rationale is null), never a made-up vector.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from evalsuite.checkpoint import PromptFormat
from evalsuite.example import Example
from evalsuite.sandbox import Sandbox
from evalsuite.scoring.answer_span import answer_span, answer_token_start
from evalsuite.scoring.decoding import DecodingConfig, batch_seed
from evalsuite.scoring.multipath import score_mixed_batch
from evalsuite.scoring.paths import Ballot, vote
from evalsuite.scoring.records import (
    LabelScore,
    PathOutput,
    ScoredExample,
    build_record,
    normalize_log_probs,
)
from evalsuite.scoring.socratic import score_socratic_batch
from evalsuite.scoring.student import (
    Encoded,
    Generated,
    SocraticStudents,
    Student,
    TeacherForced,
    masked_mean,
)
from evalsuite.scoring.think import parse_think
from evalsuite.tasks import Task

__all__ = ["FORMATS", "label_token_start", "score_batch"]


@dataclass(frozen=True)
class _Path:
    """One decoded path with the token bookkeeping that later passes need."""

    output: PathOutput
    ids: list[int]
    """Token ids of the generation that holds the label."""
    label_start: int
    """Index in ``ids`` of the first label token (after the marker for single-output)."""
    log_prob: float
    """Log-probability of the whole generation in ``ids``: the path's weight in the vote."""
    rationale_ids: list[int] | None = None
    """Multitask: token ids of the separately generated rationale."""


def label_token_start(student: Student, ids: Sequence[int], text: str) -> int:
    """Index of the first token after the last ``"So the answer is"`` in a generation (0 when
    the text has no marker); see :func:`evalsuite.scoring.answer_span.answer_token_start`."""
    return answer_token_start(student.decode, ids, text, "cot")


class _Format:
    """Label-only students; the other formats override the hooks that differ."""

    has_rationale_branch = False
    path_kind = "label"
    """The kind of a sampled path in the vote (``cot`` when the label follows a rationale)."""
    needs_sandbox = False
    two_students = False
    """Socratic: a decomposer and a solver, loaded from the checkpoint's sub-directories."""

    def paths(
        self,
        student: Student,
        task: Task,
        label: Generated,
        rationale: Generated | None,
        index: int,
    ) -> _Path:
        ids, lps = label.token_ids[index], label.token_log_probs[index]
        score = LabelScore(float(sum(lps)), len(ids))
        return _Path(PathOutput(label.texts[index], None, score), ids, 0, math.fsum(lps))

    def representation_keys(self) -> tuple[str, ...]:
        return ("label_repr", "label_prompt_repr")


class _MultitaskFormat(_Format):
    has_rationale_branch = True

    def paths(
        self,
        student: Student,
        task: Task,
        label: Generated,
        rationale: Generated | None,
        index: int,
    ) -> _Path:
        base = super().paths(student, task, label, rationale, index)
        assert rationale is not None  # the scorer generates it for this format
        output = PathOutput(base.output.prediction, rationale.texts[index], base.output.label_score)
        return _Path(output, base.ids, 0, base.log_prob, rationale.token_ids[index])

    def representation_keys(self) -> tuple[str, ...]:
        return ("label_repr", "rationale_repr", "label_prompt_repr", "rationale_prompt_repr")


class _SingleOutputFormat(_Format):
    path_kind = "cot"

    def paths(
        self,
        student: Student,
        task: Task,
        label: Generated,
        rationale: Generated | None,
        index: int,
    ) -> _Path:
        ids, lps, text = label.token_ids[index], label.token_log_probs[index], label.texts[index]
        stated, label_text = task.split_single_output(text)
        span = answer_span(student.decode, ids, lps, text, "cot")
        whole = LabelScore(math.fsum(lps), len(lps))
        output = PathOutput(label_text, stated, span.score, sequence_score=whole)
        return _Path(output, ids, span.start, whole.log_prob)

    def representation_keys(self) -> tuple[str, ...]:
        return ("label_repr", "rationale_repr", "label_prompt_repr", "rationale_prompt_repr")


class _ThinkFormat(_SingleOutputFormat):
    """``"<think> trace </think> answer"`` (:mod:`.think`): the trace is the rationale, the
    answer is read after the closing tag; a missing or unclosed trace is an extraction
    failure. Closed label sets and representations split at the tag as single-output
    generations split at their marker."""

    def paths(
        self,
        student: Student,
        task: Task,
        label: Generated,
        rationale: Generated | None,
        index: int,
    ) -> _Path:
        ids, lps, text = label.token_ids[index], label.token_log_probs[index], label.texts[index]
        parsed = parse_think(text)
        whole = LabelScore(math.fsum(lps), len(lps))
        if parsed.failure is not None:
            # Nothing states an answer: the whole generation is scored, and nothing is read.
            output = PathOutput(text, parsed.trace, whole, extraction_failure=parsed.failure)
            return _Path(output, ids, 0, whole.log_prob)
        span = answer_span(student.decode, ids, lps, text, "think")
        output = PathOutput(parsed.answer or "", parsed.trace, span.score, sequence_score=whole)
        return _Path(output, ids, span.start, whole.log_prob)


class _MixedFormat(_Format):
    """Scored by :func:`evalsuite.scoring.multipath.score_mixed_batch`."""

    needs_sandbox = True

    def representation_keys(self) -> tuple[str, ...]:
        return ()


class _SocraticFormat(_Format):
    """Two students; scored by :func:`evalsuite.scoring.socratic.score_socratic_batch`."""

    two_students = True

    def representation_keys(self) -> tuple[str, ...]:
        return ()


FORMATS: dict[str, _Format] = {
    "label": _Format(),
    "multitask": _MultitaskFormat(),
    "rationale_then_label": _SingleOutputFormat(),
    "think": _ThinkFormat(),
    "mixed": _MixedFormat(),
    "socratic": _SocraticFormat(),
}


def get_format(prompt: PromptFormat, where: str) -> _Format:
    """The format for a checkpoint's output kind."""
    return FORMATS[prompt.output]


@dataclass(frozen=True)
class _Choice:
    """The path reported for one example, its vote share (sampled paths) and all its paths."""

    path: _Path
    share: float | None
    paths: list[_Path]
    index: int
    """``paths[index]`` is ``path``: the generate row ``example * k + index``."""


def _choose(fmt: _Format, task: Task, example: Example, paths: list[_Path]) -> _Choice:
    """The path to report and, with several sampled paths, the vote share of its answer.

    The vote is :func:`evalsuite.scoring.paths.vote`, the one every sampled student uses.
    """
    if len(paths) == 1:
        return _Choice(paths[0], None, paths, 0)
    ballots = [
        Ballot(fmt.path_kind, p.output.read_answer(task, example).answer, p.log_prob) for p in paths
    ]
    outcome = vote(ballots, task.same_answer)
    return _Choice(paths[outcome.index], outcome.share, paths, outcome.index)


def _span_mask(tf_mask: Any, starts: Sequence[int], *, before: bool) -> Any:
    """Positions ``< start`` (``before``) or ``>= start`` of each row, within the real tokens."""
    import torch

    positions = torch.arange(tf_mask.shape[1], device=tf_mask.device).unsqueeze(0)
    bounds = torch.tensor(list(starts), device=tf_mask.device).unsqueeze(1)
    span = positions < bounds if before else positions >= bounds
    return tf_mask * span.to(tf_mask.dtype)


@dataclass(frozen=True)
class _Forced:
    """The label prompt's teacher-forced pass: chosen labels first, then every candidate."""

    result: TeacherForced | None
    n_chosen: int
    """Rows ``[0, n_chosen)`` are the chosen generations (present when pooling states)."""
    starts: list[int]
    """Per row, the first label token (label tokens are scored, the rest is context)."""
    candidate_sets: list[tuple[str, ...] | None]


def _teacher_force_labels(
    student: Student,
    task: Task,
    examples: Sequence[Example],
    choices: Sequence[_Choice],
    encoded: Encoded,
    *,
    with_chosen: bool,
) -> _Forced:
    """One decoder pass over the chosen generations (for representations) and every
    closed-set candidate, each continuing the generated rationale (single-output students)."""
    rows: list[int] = []
    targets: list[list[int]] = []
    starts: list[int] = []
    if with_chosen:
        for i, choice in enumerate(choices):
            rows.append(i)
            targets.append(choice.path.ids)
            starts.append(choice.path.label_start)
    n_chosen = len(targets)
    candidate_sets = [task.label_set(example) for example in examples]
    for i, (labels, choice) in enumerate(zip(candidate_sets, choices, strict=True)):
        if labels:
            prefix = choice.path.ids[: choice.path.label_start]
            for candidate_ids in student.target_ids(labels):
                rows.append(i)
                targets.append(prefix + candidate_ids)
                starts.append(choice.path.label_start)
    # Without candidates only decoder states are needed: skip the output layer.
    scores = len(targets) > n_chosen
    result = student.teacher_force(encoded, rows, targets, scores=scores) if targets else None
    return _Forced(result, n_chosen, starts, candidate_sets)


def _label_probs(forced: _Forced) -> list[dict[str, float] | None]:
    """Per example: candidate label -> probability, normalised over its closed set."""
    probs: list[dict[str, float] | None] = [None] * len(forced.candidate_sets)
    if forced.result is None or len(forced.starts) == forced.n_chosen:
        return probs
    label_part = _span_mask(forced.result.mask, forced.starts, before=False)
    sums = (forced.result.token_log_probs * label_part).sum(dim=1).double().tolist()
    cursor = forced.n_chosen
    for i, labels in enumerate(forced.candidate_sets):
        if labels:
            values = normalize_log_probs(sums[cursor : cursor + len(labels)])
            probs[i] = dict(zip(labels, values, strict=True))
            cursor += len(labels)
    return probs


@dataclass(frozen=True)
class _States:
    """Per example: the states that predicted each token of one generation, and its prompt's
    pooled states."""

    hidden: Any
    """Tensor (examples, length, hidden_size)."""
    mask: Any
    """Tensor (examples, length): 1 at the generation's tokens."""
    prompt: Any
    """Tensor (examples, hidden_size)."""

    @classmethod
    def forced(cls, result: TeacherForced, n: int) -> _States:
        """The first ``n`` rows of a teacher-forced pass (one per example)."""
        return cls(result.hidden[:n], result.mask[:n], result.prompt_pooled[:n])

    @classmethod
    def generated(
        cls, generated: Generated, rows: Sequence[int], ids: Sequence[Sequence[int]]
    ) -> _States | None:
        """Generate rows ``rows`` (one per example, holding ``ids``), from the generate pass's
        own states; None when it returned none."""
        import torch

        if generated.states is None:
            return None
        states = generated.states
        index = torch.tensor(list(rows), dtype=torch.long, device=states.hidden.device)
        hidden = states.hidden.index_select(0, index)
        lengths = torch.tensor([len(i) for i in ids], device=hidden.device).unsqueeze(1)
        positions = torch.arange(hidden.shape[1], device=hidden.device).unsqueeze(0)
        return cls(hidden, (positions < lengths).long(), states.prompt_pooled)


def _pool(
    student: Student,
    fmt: _Format,
    label: _States,
    choices: Sequence[_Choice],
    rationale_gen: Generated | None,
    rationale_enc: Encoded | None,
) -> list[dict[str, np.ndarray]]:
    """Mean-pooled states per example: the states that predict the label and rationale tokens
    (a seq2seq decoder's; a causal model's over its continuation), and the prompt's states
    (the encoder's, or a causal model's over the prompt; the same prompt twice for
    single-output students)."""
    starts = [choice.path.label_start for choice in choices]
    hidden = label.hidden.float()
    pooled = {
        "label_repr": masked_mean(hidden, _span_mask(label.mask, starts, before=False)),
        "label_prompt_repr": label.prompt.float(),
    }
    if isinstance(fmt, _SingleOutputFormat):
        pooled["rationale_repr"] = masked_mean(hidden, _span_mask(label.mask, starts, before=True))
        pooled["rationale_prompt_repr"] = pooled["label_prompt_repr"]
    if rationale_gen is not None and rationale_enc is not None:
        targets = [choice.path.rationale_ids or [] for choice in choices]
        k = rationale_gen.paths_per_prompt
        rows = [i * k + choice.index for i, choice in enumerate(choices)]
        rationale = _States.generated(rationale_gen, rows, targets) or _States.forced(
            student.teacher_force(rationale_enc, range(len(choices)), targets, scores=False),
            len(choices),
        )
        pooled["rationale_repr"] = masked_mean(rationale.hidden.float(), rationale.mask)
        pooled["rationale_prompt_repr"] = rationale.prompt.float()
    arrays = {key: value.cpu().numpy() for key, value in pooled.items()}
    keys = fmt.representation_keys()
    return [{key: arrays[key][i] for key in keys} for i in range(len(choices))]


def score_batch(
    student: Student | SocraticStudents,
    task: Task,
    prompt: PromptFormat,
    examples: Sequence[Example],
    *,
    decoding: DecodingConfig,
    max_new_tokens: int,
    representations: bool = True,
    sandbox: Sandbox | None = None,
    paths: str = "multi",
) -> list[ScoredExample]:
    """Score one planned batch: generate, read answers, score label sets, pool states.

    Mixed students go to :func:`~evalsuite.scoring.multipath.score_mixed_batch` (``sandbox``
    runs their programs, ``paths`` is the path mode), Socratic ones to
    :func:`~evalsuite.scoring.socratic.score_socratic_batch`. Returns one :class:`ScoredExample` per
    example, in the batch's order.
    """
    if isinstance(student, SocraticStudents):
        return score_socratic_batch(
            student, task, prompt, examples, decoding=decoding, max_new_tokens=max_new_tokens
        )
    fmt = get_format(prompt, "checkpoint")
    if fmt.needs_sandbox:
        return score_mixed_batch(
            student,
            task,
            prompt,
            examples,
            decoding=decoding,
            max_new_tokens=max_new_tokens,
            sandbox=sandbox,
            mode=paths,
        )
    ids = [e.id for e in examples]

    # Generate: each prompt is encoded once; token log-probabilities come with the outputs, and
    # (greedy or sampled) the states representations pool.
    generate = partial(student.generate, states=True) if representations else student.generate

    def run(prefix: str, branch: str) -> tuple[Encoded, Generated]:
        encoded = student.encode([f"{prefix}{e.input}" for e in examples])
        seed = batch_seed(decoding.seed, branch, ids)
        return encoded, generate(encoded, decoding, max_new_tokens=max_new_tokens, seed=seed)

    label_enc, label_gen = run(prompt.label_prefix, "label")
    rationale_enc, rationale_gen = (
        run(prompt.rationale_prefix or "", "rationale")
        if fmt.has_rationale_branch
        else (None, None)
    )

    # Read every path, choose one per example (the vote of sampled paths).
    k = label_gen.paths_per_prompt
    choices = [
        _choose(
            fmt,
            task,
            example,
            [fmt.paths(student, task, label_gen, rationale_gen, i * k + j) for j in range(k)],
        )
        for i, example in enumerate(examples)
    ]

    # Teacher-force: closed label sets, and decoder states for representations where the
    # generate pass returned none.
    rows = [i * k + choice.index for i, choice in enumerate(choices)]
    generated = _States.generated(label_gen, rows, [choice.path.ids for choice in choices])
    forced = _teacher_force_labels(
        student,
        task,
        examples,
        choices,
        label_enc,
        with_chosen=representations and generated is None,
    )
    label_probs = _label_probs(forced)
    reprs: list[dict[str, np.ndarray]] = [{} for _ in examples]
    if representations:
        label = generated
        if label is None:
            assert forced.result is not None  # every chosen generation was forced
            label = _States.forced(forced.result, forced.n_chosen)
        reprs = _pool(student, fmt, label, choices, rationale_gen, rationale_enc)

    scored = []
    for example, choice, probs, vectors in zip(examples, choices, label_probs, reprs, strict=True):
        record = build_record(
            task,
            example,
            choice.path.output,
            label_probs=probs,
            confidence=choice.share,
            confidence_source="vote" if choice.share is not None else None,
            samples=[p.output for p in choice.paths] if len(choice.paths) > 1 else None,
        )
        scored.append(ScoredExample(record, vectors))
    return scored
