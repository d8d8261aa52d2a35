"""Fixture runs for the explorer's tests, written with the real RunWriter.

Six runs under one directory, with numbers small enough to check by hand:

- ``alpha``: 10 NLI records, 7 correct; confidences at bin centres (0.95 0.95 0.85 0.85 0.75
  0.65 0.65 0.55 0.55 0.45), so the 10-bin reliability curve and ECE = 0.24 are hand-computed;
  consistency 7/9 (ids 2 and 7 inconsistent, id 9 has no rationale); record 4's input and
  rationale carry Markdown and HTML that must be shown verbatim.
- ``beta``: the same 10 ids plus ``ex-10``; 9 of 11 correct (3 and 9 wrong). Against alpha the
  answers differ on ids 3, 4, 7, 9 and correctness differs on 3, 4, 7.
- ``empty``: a finished run with no records.
- ``failed``: 6 arithmetic records; extraction failed (answer null) on f-1 and f-4; 3 correct.
- ``paths``: 3 arithmetic records from a multi-path student (a CoT and a PoT path each);
- ``socratic``: 2 arithmetic records from a Socratic student (two steps each, one right).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalsuite.runs import RunWriter

LABELS = ("entailment", "neutral", "contradiction")
ALPHA_CORRECT = {0, 1, 2, 3, 5, 6, 8}
ALPHA_CONFIDENCE = (0.95, 0.95, 0.85, 0.85, 0.75, 0.65, 0.65, 0.55, 0.55, 0.45)
ALPHA_INCONSISTENT = {2, 7}
BETA_CORRECT = {0, 1, 2, 4, 5, 6, 7, 8}
MARKUP_INPUT = "premise: <i>A cat</i> sits. **Bold** hypothesis: # A [link](http://x) sits."
MARKUP_RATIONALE = "**Not bold** <script>alert('x')</script> _so_ the answer is {answer}"
FAILED_IDS = {1, 4}
FAILED_CORRECT = {0, 2, 3}

RUN_NAMES = ("alpha", "beta", "empty", "failed", "paths", "socratic")


def ex_ids(*numbers: int) -> list[str]:
    """Ids of the NLI fixture records by number: ``ex_ids(3, 9) == ["ex-03", "ex-09"]``."""
    return [f"ex-{i:02d}" for i in numbers]


def _label_probs(answer: str, confidence: float) -> dict[str, float]:
    rest = round((1.0 - confidence) / 2, 6)
    return {label: (confidence if label == answer else rest) for label in LABELS}


def _nli_record(i: int, answer: str, confidence: float, *, run: str) -> dict[str, Any]:
    gold = LABELS[i % 3]
    rationale: str | None = f"{run} reads example {i}: the premise points to {answer}."
    rationale_answer: str | None = answer
    if run == "alpha" and i in ALPHA_INCONSISTENT:
        rationale_answer = LABELS[(LABELS.index(answer) + 2) % 3]
        rationale = f"{run} reads example {i}: the premise points to {rationale_answer}."
    if run == "alpha" and i == 9:
        rationale, rationale_answer = None, None
    if run == "alpha" and i == 4:
        rationale = MARKUP_RATIONALE.format(answer=answer)
    consistent = None if rationale_answer is None else rationale_answer == answer
    return {
        "id": ex_ids(i)[0],
        "input": MARKUP_INPUT if i == 4 else f"premise: scene {i}. hypothesis: claim {i}.",
        "gold": gold,
        "prediction": answer,
        "answer": answer,
        "correct": answer == gold,
        "confidence": confidence,
        "confidence_source": "label_set",
        "label_probs": _label_probs(answer, confidence),
        "rationale": rationale,
        "rationale_answer": rationale_answer,
        "consistent": consistent,
        "teacher": {"rationale": f"Teacher explains example {i}: {gold}.", "label": gold},
        "extraction": {"method": "label_set", "matched": True},
    }


def alpha_records() -> list[dict[str, Any]]:
    records = []
    for i in range(10):
        gold = LABELS[i % 3]
        answer = gold if i in ALPHA_CORRECT else LABELS[(i + 1) % 3]
        records.append(_nli_record(i, answer, ALPHA_CONFIDENCE[i], run="alpha"))
    return records


def beta_records() -> list[dict[str, Any]]:
    records = []
    for i in range(11):
        gold = LABELS[i % 3]
        answer = gold if i in BETA_CORRECT or i == 10 else LABELS[(i + 2) % 3]
        records.append(_nli_record(i, answer, 0.8, run="beta"))
    return records


def failed_records() -> list[dict[str, Any]]:
    records = []
    for i in range(6):
        gold = str(10 + i)
        failed = i in FAILED_IDS
        answer = None if failed else (gold if i in FAILED_CORRECT else str(20 + i))
        records.append(
            {
                "id": f"f-{i}",
                "input": f"What is {i} + 10?",
                "gold": gold,
                "prediction": "I cannot say." if failed else answer,
                "answer": answer,
                "correct": answer == gold,
                "confidence": None if failed else 0.6,
                "confidence_source": None if failed else "sequence",
                "rationale": None,
                "rationale_answer": None,
                "consistent": None,
                "extraction": {"method": "none" if failed else "number", "matched": not failed},
            }
        )
    return records


def paths_records() -> list[dict[str, Any]]:
    records = []
    for i in range(3):
        gold = str(i + 7)
        records.append(
            {
                "id": f"p-{i}",
                "input": f"What is {i} + 7?",
                "gold": gold,
                "prediction": gold,
                "answer": gold,
                "correct": True,
                "confidence": 0.9,
                "confidence_source": "sequence",
                "rationale": f"We add {i} and 7 to get {gold}.",
                "rationale_answer": gold,
                "consistent": True,
                "paths": [
                    {"kind": "cot", "text": f"{i} plus 7 is {gold}.", "answer": gold, "ok": True},
                    {
                        "kind": "pot",
                        "text": f"def solution():\n    return {i} + 7",
                        "answer": gold,
                        "ok": True,
                    },
                ],
                "extraction": {"method": "number", "matched": True},
            }
        )
    return records


def socratic_records() -> list[dict[str, Any]]:
    """Two records of a Socratic student: its chain's steps and the chain as one path."""
    steps = [
        {"question": "How many at first?", "answer": "4"},
        {"question": "How many after buying 3?", "answer": "4 + 3 = 7"},
    ]
    records = []
    for i, gold in enumerate(("7", "8")):
        text = " ".join(f"Q: {s['question']} A: {s['answer']}" for s in steps)
        records.append(
            {
                "id": f"s-{i}",
                "input": "Ann has 4. She buys 3. How many?",
                "gold": gold,
                "prediction": "7",
                "answer": "7",
                "correct": gold == "7",
                "confidence": 0.5,
                "confidence_source": "sequence",
                "rationale": text,
                "socratic": steps,
                "paths": [{"kind": "socratic", "text": text, "answer": "7", "ok": True}],
                "extraction": {"method": "equation", "matched": True},
            }
        )
    return records


def write_run(root: Path, name: str, task: str, records: list[dict[str, Any]]) -> Path:
    """Write one finished run directory under ``root`` with the real writer."""
    path = root / name
    manifest = {"name": name, "kind": "fixture", "task": task, "split": "test", "limit": None}
    writer = RunWriter(path, manifest)
    writer.append(records)
    writer.finish([r["id"] for r in records])
    return path


def write_fixture_runs(root: Path) -> Path:
    """Write the five fixture runs under ``root`` and return ``root``."""
    write_run(root, "alpha", "anli1", alpha_records())
    write_run(root, "beta", "anli1", beta_records())
    write_run(root, "empty", "anli1", [])
    write_run(root, "failed", "arith", failed_records())
    write_run(root, "paths", "arith", paths_records())
    write_run(root, "socratic", "arith", socratic_records())
    return root
