"""Speed of `evalsuite score` against bare `model.generate` and a per-example loop, same run.

  .venv/bin/python bench/score.py [--batch-size 32] [--steps 200]

A tiny multitask (DSS-style) student is trained for a few hundred steps, then the arith test
set (500 examples) is scored three ways:

* ours: ``score_checkpoint`` (records, confidences, representations, run directory);
* bare: batched ``model.generate`` for the label and the rationale prompts, same batches, text
  only. Target: ours / bare <= 1.2 (the scorer adds at most 20 %);
* loop: one example at a time, batch 1, and a separate forward pass for the label's
  probability, as the ACL 2024 release's uncertainty script does. Target: loop / ours >= 5.

The student is the trainer's default tiny T5 (``TinyStudentConfig()``). Each time includes
loading the model and the examples. Ours and bare alternate for three rounds and each takes
its best time, so a busy moment on a shared machine hits neither alone. The loop's cost is
linear in the examples (each is handled alone), so it runs on the first ``--loop-examples`` and
is scaled to the whole set; the output says so. The bench checks that ours and bare produced the
same texts.
"""

from __future__ import annotations

import argparse
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


def best_of(n: int, *fns: Callable[[int], Any]) -> list[tuple[float, Any]]:
    """For each function, its best wall time over ``n`` rounds (called alternately, ``fn(i)``)
    and its last result."""
    best: list[tuple[float, Any]] = [(float("inf"), None)] * len(fns)
    for i in range(n):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            result = fn(i)
            best[k] = (min(best[k][0], time.perf_counter() - start), result)
    return best


def load(ckpt: Path) -> tuple[Any, Any, Any, list[Any]]:
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    _, prompt = read_checkpoint(ckpt)
    model = AutoModelForSeq2SeqLM.from_pretrained(
        ckpt, local_files_only=True, use_safetensors=True
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(ckpt, local_files_only=True)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=300, help="training steps of the student")
    parser.add_argument("--loop-examples", type=int, default=50, help="examples the loop runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        weights = train_tiny_student(root, steps=args.steps, shape={}, lr=3e-3)
        prompt = PROMPTS["dss"].__class__(
            **{**PROMPTS["dss"].to_dict(), "max_target_length": MAX_NEW_TOKENS}
        )
        ckpt = make_checkpoint(weights, root / "ckpt", prompt, arith=None)

        (t_ours, run_dir), (t_bare, texts) = best_of(
            3,
            lambda i: ours(ckpt, root / f"run{i}", args.batch_size),
            lambda i: bare(ckpt, args.batch_size),
        )
        [(t_part, n)] = best_of(1, lambda i: loop(ckpt, args.loop_examples))
        part = min(args.loop_examples, n)
        t_loop = t_part * n / part

        records = read_run(run_dir).records
        same = sum(texts[r.id] == (r.prediction, r.rationale) for r in records)
        print(f"tiny dss student, arith test set: {n} examples, batch size {args.batch_size}, "
              f"{torch.get_num_threads()} threads")  # fmt: skip
        print(f"  labels and rationales identical to bare generate: {same}/{len(records)}")
        print(f"  evalsuite score       {t_ours:7.2f} s  ({n / t_ours:6.1f} examples/s)")
        print(f"  bare model.generate   {t_bare:7.2f} s  ({n / t_bare:6.1f} examples/s)")
        print(f"  per-example loop      {t_loop:7.2f} s  ({n / t_loop:6.1f} examples/s; ran "
              f"{part} examples in {t_part:.2f} s, scaled x{n / part:g})")  # fmt: skip
        overhead, speedup = t_ours / t_bare, t_loop / t_ours
        ok_overhead, ok_speedup = overhead <= 1.2, speedup >= 5.0
        print(f"  score / bare generate = {overhead:.2f}  (target <= 1.2: "
              f"{'ok' if ok_overhead else 'MISSED'})")  # fmt: skip
        print(f"  loop / score          = {speedup:.1f}x  (target >= 5: "
              f"{'ok' if ok_speedup else 'MISSED'})")  # fmt: skip
        return 0 if ok_overhead and ok_speedup and same == len(records) else 1


if __name__ == "__main__":
    raise SystemExit(main())
