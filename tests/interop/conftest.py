"""Fixtures of the interop tests: the lm-eval logs lm-eval wrote, and the e-SNLI file they
were made on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.scoring.tiny_checkpoint import write_nli_jsonl

LM_EVAL = Path(__file__).resolve().parent / "fixtures" / "lm_eval"


def lm_eval_file(name: str, kind: str = "samples") -> Path:
    """The stored ``samples_*.jsonl`` (or ``results_*.json``) of fixture ``arith`` or ``nli``."""
    (found,) = (LM_EVAL / name).glob(f"{kind}_*")
    return found


def lm_eval_lines(name: str) -> list[dict]:
    return [json.loads(line) for line in lm_eval_file(name).read_text().splitlines()]


@pytest.fixture(scope="session")
def nli12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 12-row e-SNLI-format file the ``nli`` fixture was made on (``nli_rows(12, seed=5)``)."""
    return write_nli_jsonl(tmp_path_factory.mktemp("nli12") / "test.jsonl", 12, seed=5)


# make_fixture.py imports lm-eval at module level; the tests import it only when lm-eval is there.
collect_ignore = ["fixtures/lm_eval/make_fixture.py"]


def _scripted(texts: list[str]) -> list:
    """inspect ModelOutputs for mockllm, with token usage set (else mockllm counts tokens
    with tiktoken, which downloads its encoding)."""
    from inspect_ai.model import ModelOutput, ModelUsage

    outputs = []
    for text in texts:
        output = ModelOutput.from_content("mockllm/model", text)
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        outputs.append(output)
    return outputs


INSPECT_ARITH = [
    "Collect, then double: {v}",
    "The answer is {v}.",
    "It is {w}.",
    "I cannot tell.",
]
"""The scripted completions of the inspect arith log, by example index modulo 4."""


@pytest.fixture(scope="session")
def inspect_logs(tmp_path_factory: pytest.TempPathFactory, nli12: Path) -> dict[str, Path]:
    """Real inspect_ai logs, written by inspect_ai's own ``eval()`` and log writer, offline,
    with its ``mockllm`` model scripted: ``arith`` (the first 8 arith test examples, generate +
    ``match(numeric=True)``, ids as evalsuite's) and ``nli`` (the 12-row e-SNLI file,
    ``multiple_choice()`` + ``choice()``, samples without ids: inspect numbers them from 1)."""
    pytest.importorskip("inspect_ai", reason="inspect_ai not installed (pip install '.[inspect]')")
    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.model import get_model
    from inspect_ai.scorer import choice, match
    from inspect_ai.solver import generate, multiple_choice

    from evalsuite.data import load_examples
    from evalsuite.tasks import get_task

    root = tmp_path_factory.mktemp("inspect")
    arith = get_task("arith")
    examples = load_examples(arith, "test")[:8]
    values = [str(arith.normalized_gold(e)) for e in examples]
    texts = [INSPECT_ARITH[i % 4].format(v=v, w=int(v) + 1) for i, v in enumerate(values)]
    arith_task = Task(
        name="arith_inspect",
        dataset=MemoryDataset(
            [
                Sample(input=e.input, target=v, id=e.id)
                for e, v in zip(examples, values, strict=True)
            ]
        ),
        solver=generate(),
        scorer=match(numeric=True),
    )
    rows = [json.loads(line) for line in nli12.read_text().splitlines()]
    letters = "ABC"
    answers = [letters[(r["label"] + (i % 3 == 0)) % 3] for i, r in enumerate(rows)]
    nli_task = Task(
        name="nli_inspect",
        dataset=MemoryDataset(
            [
                Sample(
                    input=f"{r['premise']}\n{r['hypothesis']}",
                    choices=["entailment", "neutral", "contradiction"],
                    target=letters[r["label"]],
                )
                for r in rows
            ]
        ),
        solver=multiple_choice(),
        scorer=choice(),
    )
    found = {}
    for name, task, outputs in (
        ("arith", arith_task, _scripted(texts)),
        ("nli", nli_task, _scripted([f"ANSWER: {a}" for a in answers])),
    ):
        model = get_model("mockllm/model", custom_outputs=outputs)
        (log,) = inspect_eval(
            task, model=model, log_dir=str(root / name), display="none", max_connections=1
        )
        assert log.status == "success", log.error
        found[name] = Path(log.location)
    return found
