"""Students whose use of their rationale is known by construction, as :class:`ForcingStudent`s.

Their rationales are chains of steps in a tiny language (``Start with 3.``, ``Add 4.``,
``Times 2.``, ``Minus 5.``). The *executing* student answers with the value its last step
reaches, computed from whatever steps precede the answer marker (its own, truncated, corrupted
or none): its answer depends on its rationale. The *ignoring* student writes the same chain but
answers with a value fixed per question, whatever precedes the marker. Tokens are words.
With ``think=True`` either writes ``<think> chain </think> answer`` instead (the ``think``
format): the closing tag is its marker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from evalsuite.example import Example
from evalsuite.scoring.think import THINK_CLOSE, THINK_OPEN
from evalsuite.tasks.base import ANSWER_MARKER

_STEP = re.compile(r"(Start with|Add|Minus|Times) (\d+)\.")
_APPLY = {
    "Start with": lambda value, n: n,
    "Add": lambda value, n: value + n,
    "Minus": lambda value, n: value - n,
    "Times": lambda value, n: value * n,
}


def execute(text: str) -> int:
    """The value a chain of steps reaches (0 before any step)."""
    value = 0
    for verb, number in _STEP.findall(text):
        value = _APPLY[verb](value, int(number))
    return value


def chain(steps: Sequence[tuple[str, int]]) -> str:
    return " ".join(f"{verb} {n}." for verb, n in steps)


class WordTokens:
    """Whitespace tokens, a word's id its place in the order first seen (a TokenSource)."""

    def __init__(self) -> None:
        self.words: list[str] = ["<unk>"]

    def token_ids(self, text: str) -> list[int]:
        ids = []
        for word in text.split():
            if word not in self.words:
                self.words.append(word)
            ids.append(self.words.index(word))
        return ids

    def text(self, ids: Sequence[int]) -> str:
        return " ".join(self.words[i] for i in ids)

    def vocabulary(self) -> Sequence[int]:
        for word in ("the", "a", "Add", "7", "9", "Minus"):
            self.token_ids(word)
        return list(range(1, len(self.words)))


class _WordStudent(WordTokens):
    """Whitespace tokens; shared by both fakes."""

    def __init__(self, rationales: Mapping[str, str], *, think: bool = False) -> None:
        super().__init__()
        self.rationales = rationales
        self.opening, self.marker = (THINK_OPEN, THINK_CLOSE) if think else ("", ANSWER_MARKER)
        self.calls: list[tuple[tuple[str, ...], tuple[str, ...], int]] = []

    def answer(self, prompt: str, forced: str) -> int:
        raise NotImplementedError

    def continue_after(
        self, prompts: Sequence[str], prefixes: Sequence[str], *, max_new_tokens: int
    ) -> list[str]:
        self.calls.append((tuple(prompts), tuple(prefixes), max_new_tokens))
        out = []
        for prompt, prefix in zip(prompts, prefixes, strict=True):
            if prefix.endswith(self.marker):
                out.append(str(self.answer(prompt, prefix)))
                continue
            own = _STEP.findall(self.rationales[prompt])
            done = len(_STEP.findall(prefix))  # it goes on with its own remaining steps
            rest = chain([(verb, int(n)) for verb, n in own[done:]])
            opening = "" if prefix else self.opening  # a forced prefix has opened the trace
            head = f"{prefix} {rest}".strip()
            text = f"{opening} {rest} {self.marker} {self.answer(prompt, head)}"
            out.append(" ".join(text.split()))
        return out


class ExecutingStudent(_WordStudent):
    """Answers with the value the steps before its answer reach: it copies the answer from its
    last step."""

    def answer(self, prompt: str, forced: str) -> int:
        return execute(forced)


class IgnoringStudent(_WordStudent):
    """Answers with a value fixed per question, whatever its rationale says."""

    def __init__(
        self, rationales: Mapping[str, str], answers: Mapping[str, int], *, think: bool = False
    ) -> None:
        super().__init__(rationales, think=think)
        self.answers = answers

    def answer(self, prompt: str, forced: str) -> int:
        return self.answers[prompt]


def chain_examples(n: int) -> tuple[list[Example], dict[str, str]]:
    """``n`` arith examples whose gold is their chain's value, and each prompt's chain.

    Every chain starts at 2 or more and only adds and multiplies, so its value after each step
    is a new, larger number: no prefix of the chain reaches the final value.
    """
    examples, rationales = [], {}
    for i in range(n):
        steps = [("Start with", 2 + i), ("Add", 3 + i % 4), ("Times", 2 + i % 3), ("Add", 5)]
        steps = steps[: 2 + i % 3]  # chains of 2, 3 and 4 steps
        prompt = f"question {i}"
        rationales[prompt] = chain(steps)
        value = execute(rationales[prompt])
        examples.append(
            Example(
                id=f"test-{i}",
                input=prompt,
                gold=f"( {value}.0 )",
                split="test",
                teacher_rationale=chain(steps),
                teacher_label=str(value),
            )
        )
    return examples, rationales


class _WordTokenizer:
    """Whitespace tokens over a fixed vocabulary (id 0 is the one special token)."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = ["</s>", *dict.fromkeys(words)]
        self.all_special_ids = [0]

    def __len__(self) -> int:
        return len(self.words)

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        return {"input_ids": [self.words.index(w) for w in text.split()]}


class SummingStudent:
    """A DSS-style (multitask) student that answers with the sum of the numbers in its input;
    its rationale states the same sum (``coherent``) or always 7.

    Perturbing the input changes the label exactly when a number is replaced or added; a
    coherent rationale's answer changes with it, an incoherent one's never does.
    """

    def __init__(self, inputs: Sequence[str], *, coherent: bool) -> None:
        numbers = [str(n) for n in range(1, 10)]
        words = [w for text in inputs for w in text.split()]
        self.tokenizer = _WordTokenizer([*words, *numbers, "blue", "box", "of"])
        self.coherent = coherent

    def input_lengths(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]

    def encode(self, texts: Sequence[str]) -> list[str]:
        return list(texts)

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(self.tokenizer.words[i] for i in ids if i != 0)

    def generate(self, encoded, decoding, *, max_new_tokens, seed):  # type: ignore[no-untyped-def]
        from evalsuite.scoring.student import Generated

        texts = []
        for prompt in encoded:
            total = sum(int(w) for w in prompt.split() if w.isdigit())
            if prompt.startswith("explain: "):
                stated = total if self.coherent else 7
                texts.append(f"Adding them gives {stated} . So the answer is {stated}")
            else:
                texts.append(str(total))
        ids = [[1] * len(t.split()) + [0] for t in texts]
        return Generated(ids, [[0.0] * len(i) for i in ids], texts, 1)


def write_probe_run(
    root: Path,
    name: str,
    student: _WordStudent,
    examples: Sequence[Example],
    probes: Sequence[str],
    *,
    seed: int = 3,
) -> Path:
    """A probe run of ``student`` as ``evalsuite probe`` writes it: records, then the summary
    as metrics.json."""
    from evalsuite.probes.runner import ProbeConfig, probe_batch
    from evalsuite.probes.summary import summarize_probes
    from evalsuite.runs import RunWriter
    from evalsuite.tasks import get_task

    config = ProbeConfig(probes=tuple(probes), seed=seed)
    records = probe_batch(student, get_task("arith"), "", examples, config, max_new_tokens=64)
    manifest = {"name": name, "kind": "probe", "task": "arith", "split": "test",
                "model": {"path": f"/ckpt/{name}", "recipe": "single", "coupling": "joint"},
                "probe": config.block(None)}  # fmt: skip
    writer = RunWriter(root / name, manifest)
    writer.append(records)
    ids = [e.id for e in examples]
    writer.finish(ids, summarize_probes(writer.records(ids), probes, grid=config.grid, rng=seed))
    return root / name
