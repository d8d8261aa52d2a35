"""Speed of `evalsuite score` against bare `model.generate` and a per-example loop, same run.

  .venv/bin/python bench/score.py [--batch-size 32] [--steps 300] [--rounds 3]
                                  [--students tiny tiny-llama tiny-gpt2]

A tiny multitask (DSS-style) student is trained for a few hundred steps, then the arith test
set (500 examples) is scored three ways:

* ours: ``score_checkpoint``, what ``evalsuite score`` runs after parsing its flags: loading
  the model and the examples, generation with each token's log-probability, records (answers,
  confidences, correctness), representations, the run directory, and metrics.json
  (``summarize_run``, with its bootstrap intervals of ECE, smooth ECE and Brier);
* bare: batched ``model.generate`` for the label and the rationale prompts, same batches, text
  only (a causal student's prompts left-padded, its continuations cut after the prompt).
  Both produce the same label and rationale texts (checked), so the ratio is the price of
  everything the scorer adds to the generations. Target: ours / bare <= 1.2;
* loop (T5 only): one example at a time, batch 1, and a separate forward pass for the label's
  probability, as the ACL 2024 release's uncertainty script does. Target: loop / ours >= 5.

The students are the trainer's default tiny T5 (``TinyStudentConfig()``) and the causal LMs of
the same shape: tiny-llama (RMSNorm, rotary positions, SwiGLU) and tiny-gpt2. Each time
includes loading the model and the examples. Ours and bare alternate for ``--rounds`` rounds
and each takes its best time, so a busy moment on a shared machine hits neither alone; each
round's own ratio (ours and bare back to back) is printed too, to show the spread. The loop's
cost is linear in the examples (each is handled alone), so it runs on the first
``--loop-examples`` and is scaled to the whole set; the output says so.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the tiny student recipe lives with the scoring tests

import torch  # noqa: E402

from evalsuite.checkpoint import read_checkpoint  # noqa: E402
from evalsuite.data import load_examples  # noqa: E402
from evalsuite.runs import read_run  # noqa: E402
from evalsuite.scoring import ScoreConfig, score_checkpoint  # noqa: E402
from evalsuite.scoring.plan import plan_batches  # noqa: E402
from tests.scoring.tiny_checkpoint import PROMPTS, make_checkpoint, train_tiny_student  # noqa: E402

MAX_NEW_TOKENS = 64


def best_of(n: int, *fns: Callable[[int], Any]) -> list[tuple[float, Any, list[float]]]:
    """For each function, its best wall time over ``n`` rounds (called alternately, ``fn(i)``),
    its last result and every round's time."""
    times: list[list[float]] = [[] for _ in fns]
    results: list[Any] = [None] * len(fns)
    for i in range(n):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            results[k] = fn(i)
            times[k].append(time.perf_counter() - start)
    return [(min(t), result, t) for t, result in zip(times, results, strict=True)]


STUDENTS = ("tiny", "tiny-llama", "tiny-gpt2")
"""``--model`` names of the benched students: a T5 and two causal LMs."""


def load(ckpt: Path) -> tuple[Any, Any, Any, list[Any]]:
    """Model, tokenizer, prompt format and examples, as a plain transformers user loads them
    (a causal LM's tokenizer padding on the left, as batched generation needs, with its EOS
    as the pad token when it has none)."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    _, prompt = read_checkpoint(ckpt)
    seq2seq = AutoConfig.from_pretrained(ckpt, local_files_only=True).is_encoder_decoder
    model_class = AutoModelForSeq2SeqLM if seq2seq else AutoModelForCausalLM
    model = model_class.from_pretrained(ckpt, local_files_only=True, use_safetensors=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(ckpt, local_files_only=True)
    if not seq2seq:
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer, prompt, load_examples("arith", "test")


def ours(ckpt: Path, out: Path, batch_size: int) -> Path:
    config = ScoreConfig(batch_size=batch_size, progress=False)
    result = score_checkpoint(ckpt, config, out=out)
    assert result is not None
    return result.path


@torch.inference_mode()
def bare(ckpt: Path, batch_size: int) -> dict[str, tuple[str, str]]:
    """Label and rationale texts from plain batched generate calls over the same batches."""
    model, tokenizer, prompt, examples = load(ckpt)
    label_inputs = [prompt.label_prefix + e.input for e in examples]
    lengths = [len(ids) for ids in tokenizer(label_inputs)["input_ids"]]
    texts: dict[str, tuple[str, str]] = {}
    for batch in plan_batches(lengths, batch_size=batch_size):
        outputs = []
        for prefix in (prompt.label_prefix, prompt.rationale_prefix):
            enc = tokenizer([prefix + examples[i].input for i in batch], return_tensors="pt",
                            padding=True)  # fmt: skip
            generated = model.generate(**enc, max_new_tokens=MAX_NEW_TOKENS, do_sample=False)
            if not model.config.is_encoder_decoder:  # a causal LM returns prompt + continuation
                generated = generated[:, enc["input_ids"].shape[1] :]
            outputs.append(tokenizer.batch_decode(generated, skip_special_tokens=True))
        for i, label, rationale in zip(batch, *outputs, strict=True):
            texts[examples[i].id] = (label.strip(), rationale.strip())
    return texts


@torch.inference_mode()
def loop(ckpt: Path, n_examples: int) -> int:
    """One example at a time: generate label and rationale, then a forward pass for the label's
    probability. Returns the size of the whole set."""
    model, tokenizer, prompt, examples = load(ckpt)
    for example in examples[:n_examples]:
        label_enc = tokenizer([prompt.label_prefix + example.input], return_tensors="pt")
        label_ids = model.generate(**label_enc, max_new_tokens=MAX_NEW_TOKENS, do_sample=False)
        rationale_enc = tokenizer([prompt.rationale_prefix + example.input], return_tensors="pt")
        model.generate(**rationale_enc, max_new_tokens=MAX_NEW_TOKENS, do_sample=False)
        logits = model(**label_enc, labels=label_ids[:, 1:]).logits
        torch.log_softmax(logits, -1).gather(-1, label_ids[:, 1:, None]).sum().exp()
    return len(examples)


def bench_student(kind: str, root: Path, args: argparse.Namespace) -> bool:
    """Train the ``kind`` student, time ours against bare (and the loop for the T5), print the
    figures; whether every target was met."""
    weights = train_tiny_student(root, steps=args.steps, shape={}, lr=3e-3, kind=kind)
    prompt = PROMPTS["dss"].__class__(
        **{**PROMPTS["dss"].to_dict(), "max_target_length": MAX_NEW_TOKENS}
    )
    ckpt = make_checkpoint(weights, root / "ckpt", prompt, arith=None)

    (t_ours, run_dir, rounds_ours), (t_bare, texts, rounds_bare) = best_of(
        args.rounds,
        lambda i: ours(ckpt, root / f"run{i}", args.batch_size),
        lambda i: bare(ckpt, args.batch_size),
    )
    records = read_run(run_dir).records
    n = len(records)
    same = sum(texts[r.id] == (r.prediction, r.rationale) for r in records)
    print(f"{kind} dss student, arith test set: {n} examples, batch size {args.batch_size}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print(f"  labels and rationales identical to bare generate: {same}/{n}")
    print(f"  evalsuite score       {t_ours:7.2f} s  ({n / t_ours:6.1f} examples/s)")
    print(f"  bare model.generate   {t_bare:7.2f} s  ({n / t_bare:6.1f} examples/s)")
    overhead = t_ours / t_bare
    ok = overhead <= 1.2 and same == n
    if kind == "tiny":
        [(t_part, total, _)] = best_of(1, lambda i: loop(ckpt, args.loop_examples))
        part = min(args.loop_examples, total)
        t_loop = t_part * total / part
        print(f"  per-example loop      {t_loop:7.2f} s  ({n / t_loop:6.1f} examples/s; ran "
              f"{part} examples in {t_part:.2f} s, scaled x{total / part:g})")  # fmt: skip
    print(f"  score / bare generate = {overhead:.2f}  (best times; target <= 1.2: "
          f"{'ok' if overhead <= 1.2 else 'MISSED'})")  # fmt: skip
    paired = [a / b for a, b in zip(rounds_ours, rounds_bare, strict=True)]
    print("  each round's ratio    = " + " ".join(f"{r:.2f}" for r in paired)
          + f"  (median {statistics.median(paired):.2f})")  # fmt: skip
    if kind == "tiny":
        speedup = t_loop / t_ours
        ok = ok and speedup >= 5.0
        print(f"  loop / score          = {speedup:.1f}x  (target >= 5: "
              f"{'ok' if speedup >= 5.0 else 'MISSED'})")  # fmt: skip
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=300, help="training steps of the student")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of ours/bare")
    parser.add_argument("--loop-examples", type=int, default=50, help="examples the loop runs")
    parser.add_argument("--students", nargs="+", choices=STUDENTS, default=list(STUDENTS))
    args = parser.parse_args()
    results = []
    for kind in args.students:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(bench_student(kind, Path(tmp), args))
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
