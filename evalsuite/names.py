"""The names of every named concept, with the label each is shown by: names only, no behaviour.

The CLI builds its argparse ``choices`` and help from here, so ``--help`` imports no numerics
library; the registries that attach behaviour to these names (trainers' recipes, scoring's output
formats, :data:`evalsuite.metrics.significance.PAIRED_TESTS`,
:data:`evalsuite.metrics.mutual_info.ESTIMATORS`) are keyed by the same names, which
``tests/test_names.py`` checks. A new recipe, format, test or estimator is added here first.
"""

from __future__ import annotations

from evalsuite.registry import Registry

__all__ = [
    "CONFIDENCE_SOURCES",
    "CONFIDENCE_VARIANTS",
    "FAITHFULNESS_PROBES",
    "GROUP_TEST",
    "MIXED_PATH_KINDS",
    "MI_ESTIMATORS",
    "MULTI_PATH_RECIPE",
    "OUTPUT_FORMATS",
    "PAIRED_TESTS",
    "PATH_KINDS",
    "PATH_MODES",
    "PROBE_LABELS",
    "RECIPES",
    "RECIPES_LONGEST_FIRST",
    "SINGLE_PATH_MODES",
    "TEST_LABELS",
]

RECIPES: Registry[str] = Registry(
    "recipe",
    {
        "standard": "standard fine-tuning (input -> label)",
        "single": "single-task: rationale then label in one output",
        "dss": "distilling step by step: label and rationale as two tasks",
        "mi": "DSS with a mutual-information term between the two tasks",
        "mixed": "mixed CoT and PoT paths, one prefix per path kind",
        "socratic": "Socratic CoT: a decomposer and a solver",
    },
)
"""Training recipes: name -> what it trains."""

RECIPES_LONGEST_FIRST = ("mixed", "single", "socratic", "mi", "dss", "standard")
"""The recipes from the longest training and scoring to the shortest (measured on arith, the
same steps each): the order in which the demo and the sweep start students side by side, so
that the workers finish close together."""

OUTPUT_FORMATS: Registry[str] = Registry(
    "output format",
    {
        "label": "input -> label (standard fine-tuning or distillation)",
        "rationale_then_label": 'input -> "<rationale> So the answer is <label>" (single-task)',
        "multitask": "label_prefix + input -> label and rationale_prefix + input -> rationale",
        "think": 'input -> "<think> trace </think> answer" (R1-style reasoning students; a '
        "missing or unclosed trace is an extraction failure)",
        "mixed": "one prefix per reasoning path kind (path_prefixes: cot, pot)",
        "socratic": "a decomposer and a solver (path_prefixes: decompose, solve), each a whole "
        "model with its tokenizer in the checkpoint's sub-directory of that name",
    },
)
"""How a student's outputs are laid out (a checkpoint's ``output``): name -> layout."""

PATH_KINDS: Registry[str] = Registry(
    "path kind", {"cot": "CoT path", "pot": "PoT path", "socratic": "Socratic chain"}
)
"""Kinds of reasoning path a record's ``paths`` hold: kind -> column name in reports. They are
also the kinds of rationale a record can carry (``rationale_kind``: prose, program, chain)."""

CONFIDENCE_SOURCES: Registry[str] = Registry(
    "confidence source",
    {
        "vote": "vote share of the chosen answer",
        "label_set": "P(label | input, rationale), normalised over the label set",
        "answer_tokens": "P(answer tokens | input, rationale)",
        "ans_statement": "P(expression after the last 'ans =' | input, program before it)",
        "program": "P(whole program): a program without an 'ans =' statement",
        "provided": "given by an imported predictions file",
        "sequence": "older runs: the label tokens' probability (a mixed CoT path's whole path)",
    },
)
"""What a record's ``confidence`` is (its ``confidence_source``): name -> definition
(docs/confidence.md)."""

MIXED_PATH_KINDS = ("cot", "pot")
"""The kinds of path a mixed student writes, one prompt prefix each."""

PATH_MODES: Registry[str] = Registry(
    "path mode",
    {
        "multi": "vote over CoT and PoT paths",
        **{kind: f"{PATH_KINDS[kind]}s only" for kind in MIXED_PATH_KINDS},
    },
)
"""How a mixed student is scored (``--paths``): every kind of path and a vote, or one kind."""

SINGLE_PATH_MODES = MIXED_PATH_KINDS
"""Path modes that score one kind of path; such a run is a method of its own (``mixed-cot``)."""

MULTI_PATH_RECIPE = "mixed"
"""The recipe whose students take a path mode (``evalsuite score --paths``)."""

PAIRED_TESTS: Registry[str] = Registry(
    "paired test",
    {
        "bootstrap": "paired bootstrap",
        "mcnemar": "McNemar's exact test",
        "permutation": "paired permutation test",
    },
)
"""Paired tests of one run against another on the same examples: name -> how text names it."""

CONFIDENCE_VARIANTS: Registry[str] = Registry(
    "confidence",
    {
        "answer": "answer confidence",
        "normalized": "length-normalised sequence confidence",
        "sequence": "whole-sequence confidence",
    },
)
"""Which record confidence calibration is computed on (``metrics``/``report --confidence``):
name -> how tables and summaries name it. docs/confidence.md defines the three fields; the
record field of each is :data:`evalsuite.metrics.summary.CONFIDENCE_FIELDS`."""

GROUP_TEST = "welch"
"""The test of several runs (seeds) against several: Welch's t-test, not a choice."""

TEST_LABELS: Registry[str] = Registry(
    "test", {**PAIRED_TESTS, GROUP_TEST: "Welch's t-test across seeds"}
)
"""Every test a comparison may report, with how footnotes and summary.md name it."""

MI_ESTIMATORS: Registry[str] = Registry(
    "estimator",
    {
        "ksg": "KSG",
        "infonce": "InfoNCE",
        "nwj": "NWJ",
        "smile": "SMILE",
        "club": "CLUB",
        "probe": "probe",
    },
)
"""Mutual-information estimators: name -> column name in reports."""

PROBE_LABELS: Registry[str] = Registry(
    "probe label field", {"answer": "the run's answers", "gold": "the gold labels"}
)
"""Record fields the probe bound of mutual information may take its labels from."""

FAITHFULNESS_PROBES: Registry[str] = Registry(
    "probe",
    {
        "early_answering": "early answering",
        "corrupted_step": "corrupted step",
        "filler": "filler",
        "token_perturbation": "token perturbation",
        "oracle": "oracle rationale",
        "robustness": "robustness equivalence",
        "las": "leakage-adjusted simulatability",
    },
)
"""Faithfulness probes (``evalsuite probe --probe``): name -> how tables name it; what each
does is :data:`evalsuite.probes.registry.PROBES`."""
