"""Robustness equivalence on DSS-style students of known behaviour: perturbed inputs change
the label; a coherent rationale's answer changes with it, an incoherent one's never does."""

from __future__ import annotations

import pytest

from evalsuite.checkpoint import PromptFormat
from evalsuite.example import Example
from evalsuite.probes.records import interventions_of
from evalsuite.probes.robustness import robustness_batch
from evalsuite.probes.summary import summarize_probes
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.tasks import get_task
from tests.probes.fakes import SummingStudent

DSS = PromptFormat(recipe="dss", task="arith", output="multitask", label_prefix="predict: ",
                   rationale_prefix="explain: ")  # fmt: skip
EXAMPLES = [
    Example(id=f"test-{i}", input=f"a box of {i % 9 + 1} and {(i * 4) % 9 + 1} blue", gold="0",
            split="test")
    for i in range(30)
]  # fmt: skip
RATES = (0.2, 0.6)


def _run(coherent: bool):
    student = SummingStudent([e.input for e in EXAMPLES], coherent=coherent)
    records = robustness_batch(
        student, get_task("arith"), DSS, EXAMPLES, rates=RATES, seed=0,
        decoding=DecodingConfig(), max_new_tokens=16,
    )  # fmt: skip
    return records, summarize_probes(records, ["robustness"])["probes"]["robustness"]


def test_a_coherent_rationale_changes_with_its_label() -> None:
    records, block = _run(coherent=True)
    assert [e["rate"] for e in block["rates"]] == list(RATES)
    for entry in block["rates"]:
        assert entry["n"] == 30 and entry["agreement"]["value"] == 1.0
        assert entry["label_changed"] == entry["rationale_changed"]
        assert 0 < entry["label_changed"]["value"] < 1 and entry["phi"] == pytest.approx(1.0)
    # more noise, more changed labels
    assert block["rates"][1]["label_changed"]["k"] > block["rates"][0]["label_changed"]["k"]
    first = interventions_of(records[0])
    assert [i.rate for i in first] == list(RATES) and first[0].input != EXAMPLES[0].input
    assert len(first[0].input.split()) == len(EXAMPLES[0].input.split())  # tokens replaced


def test_an_incoherent_rationale_does_not_follow_its_label() -> None:
    _, block = _run(coherent=False)
    for entry in block["rates"]:
        changed = entry["label_changed"]["value"]
        assert entry["rationale_changed"]["value"] == 0.0 and changed > 0
        assert entry["agreement"]["value"] == pytest.approx(1 - changed)
        assert entry["phi"] is None  # the rationale's answer never varies


def test_the_same_seed_perturbs_the_same_tokens() -> None:
    assert [r.to_json() for r in _run(True)[0]] == [r.to_json() for r in _run(True)[0]]
