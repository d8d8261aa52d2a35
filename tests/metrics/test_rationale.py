"""Rationale quality: lengths, BLEU/ROUGE-L overlap (hand-checked), the summary's n/a cases."""

from __future__ import annotations

import pytest

from evalsuite.metrics.rationale import rationale_lengths, rationale_overlap, rationale_summary


def test_lengths_count_whitespace_words() -> None:
    assert rationale_lengths(["a b  c", "", "one"]).tolist() == [3, 0, 1]


def test_bleu_hand_case() -> None:
    # 1- to 4-gram precisions 6/7, 5/6, 4/5, 3/4; hypothesis longer, so no brevity penalty:
    # BLEU = (6/7 * 5/6 * 4/5 * 3/4) ** (1/4) = (3/7) ** (1/4)
    overlap = rationale_overlap(["the cat sat on the mat today"], ["the cat sat on the mat"])
    assert overlap.bleu == pytest.approx(100 * (3 / 7) ** 0.25, abs=1e-9)


def test_rouge_l_hand_case() -> None:
    # LCS of "the cat lay on a mat" and "the cat sat on the mat" is "the cat on mat": 4 of 6 each
    overlap = rationale_overlap(["the cat lay on a mat"], ["the cat sat on the mat"])
    assert overlap.rouge_l == pytest.approx(2 / 3)
    assert overlap.n == 1


def test_rouge_l_is_the_mean_over_pairs() -> None:
    overlap = rationale_overlap(["a b", "x y"], ["a b", "p q"])
    assert overlap.rouge_l == pytest.approx(0.5)


def _records(*fields: dict) -> list[dict]:
    """Records with the required fields (id, gold, correct) around ``fields``."""
    return [{"id": str(i), "gold": "1", "correct": True, **f} for i, f in enumerate(fields)]


def test_summary_counts_only_records_with_rationales_and_teachers() -> None:
    records = _records(
        {"rationale": "the cat sat on the mat", "teacher": {"rationale": "the cat sat on the mat"}},
        {"rationale": "a b c d", "teacher": {"rationale": None}},
        {"rationale": None, "teacher": {"rationale": "x"}},
        {"rationale": "  "},
    )
    summary = rationale_summary(records)
    assert summary is not None
    assert summary["n"] == 2 and summary["n_with_teacher"] == 1
    assert summary["length"] == {"mean": 5.0, "median": 5.0, "min": 4, "max": 6}
    assert summary["bleu"] == pytest.approx(100.0) and summary["rouge_l"] == pytest.approx(1.0)


def test_summary_without_teacher_or_rationales() -> None:
    summary = rationale_summary(_records({"rationale": "x y"}))
    assert summary is not None and summary["bleu"] is None and summary["rouge_l"] is None
    assert rationale_summary(_records({"rationale": None}, {})) is None


def test_overlap_errors() -> None:
    with pytest.raises(ValueError, match="must pair up, got 1 and 2"):
        rationale_overlap(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="no rationale pairs"):
        rationale_overlap([], [])


def test_overlap_compares_only_rationales_of_the_teachers_kind() -> None:
    # Regression: BLEU/ROUGE "vs teacher" compared Python programs with the teacher's prose.
    teacher = {"rationale": "the cat sat on the mat"}
    records = _records(
        {"rationale": "the cat sat on the mat", "teacher": teacher, "rationale_kind": "cot"},
        {"rationale": "a = 1\nans = a", "teacher": teacher, "rationale_kind": "pot"},
        # a run written before rationale_kind: the chosen path says it is a program
        {"rationale": "b = 2\nans = b", "teacher": teacher, "paths": [{"kind": "pot"}],
         "chosen_path": 0},
        {"rationale": "Q: x A: 1", "teacher": teacher, "path_mode": "socratic"},
    )  # fmt: skip
    summary = rationale_summary(records)
    assert summary is not None and summary["n"] == 4
    assert summary["n_with_teacher"] == 1 and summary["bleu"] == pytest.approx(100.0)
    assert summary["skipped_kinds"] == {"pot": 2, "socratic": 1}
    programs_only = rationale_summary(records[1:3])
    assert programs_only is not None and programs_only["bleu"] is None
    assert programs_only["n_with_teacher"] == 0 and programs_only["skipped_kinds"] == {"pot": 2}


def test_rouge_l_equals_rouge_scores_own_stemming_scorer() -> None:
    # ROUGE-L stems each distinct word once (a memo around rouge-score's Porter stemmer); the
    # scores must stay those of rouge-score's own stemming scorer, pair by pair.
    from rouge_score import rouge_scorer

    hypotheses = [
        "Running runners ran; the RUNNER runs quickly.",
        "Adding 3 and 4 gives 7 . So the answer is 7",
        "The cats are sitting on generously-sized mats!",
        "",
        "connections connected connecting connects",
    ]
    references = [
        "The runner runs and running is what runners do.",
        "3 plus 4 is 7 , the answer is 7",
        "A cat sat on the mat , generously",
        "nothing here",
        "connect connection connective",
    ]
    reference_scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    expected = [
        reference_scorer.score(ref, hyp)["rougeL"].fmeasure
        for hyp, ref in zip(hypotheses, references, strict=True)
    ]
    assert 0 < sum(expected) < len(expected)  # partial overlaps, not all 0 or 1
    for hyp, ref, value in zip(hypotheses, references, expected, strict=True):
        assert rationale_overlap([hyp], [ref]).rouge_l == pytest.approx(value, abs=1e-12)
    assert rationale_overlap(hypotheses, references).rouge_l == pytest.approx(
        sum(expected) / len(expected), abs=1e-12
    )
