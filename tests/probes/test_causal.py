"""The forcing probes on causal (decoder-only) students: the forced prefix continues the prompt
in one sequence, for ``single`` and ``think`` outputs, through ``evalsuite probe``.

The students are randomly initialised tiny-gpt2 models; no test asserts what they emit, only
what holds for any output: decoding agrees with the scorer, a batch with one row at a time,
the run's files with its records and summary, the prefixes with the format's layout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from evalsuite.checkpoint import PromptFormat
from evalsuite.data import load_examples
from evalsuite.model_loading import quiet_transformers
from evalsuite.probes.forcing import CausalForcing, forcing_for
from evalsuite.probes.records import interventions_of
from evalsuite.probes.summary import summarize_probes
from evalsuite.runs import read_run
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.student import CausalStudent, load_student
from evalsuite.tasks.base import ANSWER_MARKER
from tests.scoring.tiny_checkpoint import ARITH, TEST_STUDENT, make_checkpoint

pytestmark = pytest.mark.kernels

CAUSAL_PROMPTS = {
    "single": PromptFormat(
        recipe="single", task="arith", output="rationale_then_label", max_target_length=24
    ),
    "think": PromptFormat(recipe="single", task="arith", output="think", max_target_length=24),
}


@pytest.fixture(scope="module")
def causal_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from trainers.student import TinyStudentConfig, build_tiny_student

    root = tmp_path_factory.mktemp("causal-probe")
    examples = load_examples("arith", "train", arith=ARITH)
    corpus = [e.input for e in examples] + [e.teacher_rationale or "" for e in examples]
    corpus += [f"<think> {e.teacher_rationale} </think> {e.teacher_label}" for e in examples]
    corpus += [ANSWER_MARKER, "... ... ..."]
    torch.manual_seed(0)
    model, tokenizer = build_tiny_student(
        corpus, TinyStudentConfig(**TEST_STUDENT), kind="tiny-gpt2"
    )
    weights = root / "weights"
    with quiet_transformers():
        model.save_pretrained(weights, safe_serialization=True)
    tokenizer.save_pretrained(weights)
    return {name: make_checkpoint(weights, root / name, p) for name, p in CAUSAL_PROMPTS.items()}


def _student(path: Path) -> CausalStudent:
    student = load_student(path, device=torch.device("cpu"), max_input_length=64)
    assert isinstance(student, CausalStudent)
    return student


PROMPTS = ["There are 3 eggs in a box.", "Sam has 4 apples and eats 1 of them now."]


def test_an_empty_prefix_is_the_scorers_greedy_generation(causal_checkpoints):
    student = _student(causal_checkpoints["single"])
    forcing = forcing_for(student)
    assert isinstance(forcing, CausalForcing)
    generated = student.generate(student.encode(PROMPTS), DecodingConfig(), max_new_tokens=10,
                                 seed=0)  # fmt: skip
    assert forcing.continue_after(PROMPTS, ["", ""], max_new_tokens=10) == generated.texts


def test_a_batch_of_prefixes_decodes_as_each_alone(causal_checkpoints):
    forcing = CausalForcing(_student(causal_checkpoints["single"]))
    prefixes = ["3 + 4 = 7. So the answer is", "<think> 4 - 1"]
    together = forcing.continue_after(PROMPTS, prefixes, max_new_tokens=6)
    alone = [
        forcing.continue_after([p], [f], max_new_tokens=6)[0]
        for p, f in zip(PROMPTS, prefixes, strict=True)
    ]
    assert together == alone


@pytest.mark.parametrize(
    ("name", "opening", "answer_now_ends"),
    [("single", "", ANSWER_MARKER), ("think", "<think>", "</think>")],
)
def test_a_probe_run_of_a_causal_student(cli, causal_checkpoints, tmp_path, name, opening,
                                         answer_now_ends):  # fmt: skip
    out = tmp_path / name
    probes = ("early_answering", "corrupted_step", "filler", "oracle")
    args = [a for p in probes for a in ("--probe", p)]
    result = cli("probe", causal_checkpoints[name], "--out", out, "--limit", "3", "--batch-size",
                 "2", "--quiet", "--device", "cpu", "--max-new-tokens", "12",
                 "--answer-tokens", "4", *args)  # fmt: skip
    assert result.code == 0, result.err
    run = read_run(out)
    assert run.manifest.kind == "probe" and run.manifest.complete
    assert run.manifest.coupling == "joint" and run.manifest.model.architecture == "causal"
    assert len(run.records) == 3
    # metrics.json is the summary of the records
    assert run.metrics == summarize_probes(run.records, list(probes), rng=0)
    assert run.metrics["n_examples"] == 3
    examples = load_examples("arith", "test", arith=ARITH)[:3]
    teacher = {e.id: e.teacher_rationale for e in examples}
    for record in run.records:
        interventions = interventions_of(record)
        oracle = [i for i in interventions if i.probe == "oracle"]
        assert [i.prefix for i in oracle] == [
            " ".join(w for w in (opening, teacher[record.id], answer_now_ends) if w)
        ]
        for i in interventions:
            assert i.prefix.startswith(opening)
            assert i.prefix.endswith(answer_now_ends) == (i.probe != "corrupted_step")
            # an answer compared with an unreadable full answer is not called changed
            assert i.changed is None if record.answer is None else i.changed is not None


def test_probe_lays_prompts_out_in_the_chat_template(cli, causal_checkpoints, tmp_path,
                                                     monkeypatch):  # fmt: skip
    # regression: `probe` had no --chat-template and dropped a source run's
    from transformers import AutoTokenizer

    from evalsuite.scoring.student_interface import Student
    from tests.scoring.test_causal_student import TEMPLATE

    ckpt = tmp_path / "chat-ckpt"
    shutil.copytree(causal_checkpoints["single"], ckpt)
    options = ("--task", "arith", "--limit", "2", "--batch-size", "2", "--quiet", "--device",
               "cpu", "--max-new-tokens", "6", "--answer-tokens", "2")  # fmt: skip
    refused = cli("probe", ckpt, "--probe", "filler", "--chat-template", "--out",
                  tmp_path / "none", *options)  # fmt: skip
    assert refused.code == 2 and refused.err.strip().splitlines() == [
        f"evalsuite: error: --chat-template: the tokenizer of {ckpt} has no chat template"
    ]
    assert not (tmp_path / "none").exists()
    tokenizer = AutoTokenizer.from_pretrained(ckpt)
    tokenizer.chat_template = TEMPLATE
    tokenizer.save_pretrained(ckpt)

    laid_out: list[str] = []
    plain_texts = Student.prompt_texts

    def spy(self: Student, texts: list[str]) -> list[str]:
        out = plain_texts(self, texts)
        laid_out.extend(out)
        return out

    monkeypatch.setattr(Student, "prompt_texts", spy)
    inputs = [e.input for e in load_examples("arith", "test", arith=ARITH)[:2]]

    def probed(*args: object) -> dict[str, object]:
        laid_out.clear()
        result = cli("probe", *args, "--probe", "filler", *options)
        assert result.code == 0, result.err
        assert laid_out  # every prompt the student read went through prompt_texts
        return dict(read_run(args[-1]).manifest.model.prompt or {})  # type: ignore[arg-type]

    prompt = probed(ckpt, "--chat-template", "--out", tmp_path / "chat")
    assert prompt["chat_template"] is True
    assert set(laid_out) == {f"Q: {text} A:" for text in inputs}
    assert "chat_template" not in probed(ckpt, "--out", tmp_path / "plain")
    assert set(laid_out) == set(inputs)

    # a run scored with the template is probed with it, without the flag
    scored = cli("score", ckpt, *options[:-6], "--no-representations", "--chat-template",
                 "--out", tmp_path / "scored")  # fmt: skip
    assert scored.code == 0, scored.err
    assert probed(tmp_path / "scored", "--out", tmp_path / "from-run")["chat_template"] is True
    assert set(laid_out) == {f"Q: {text} A:" for text in inputs}
