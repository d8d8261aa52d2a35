"""summarize_split: the teacher's accuracy by the task's own extraction, counted by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.data.summary import summarize_split

ROW = json.dumps({"input": "Ann has 2 apples.\nHow many?", "label": "( 2.0 )"})


def test_teacher_accuracy_counts_the_teacher_answers_the_task_accepts(tmp_path: Path) -> None:
    (tmp_path / "svamp" / "llm").mkdir(parents=True)
    (tmp_path / "svamp" / "svamp_test.json").write_text("".join(ROW + "\n" for _ in range(3)))
    # right, wrong, and right by arithmetic: 2 of 3
    teacher = ["Ann has 2. The answer is (2).", "The answer is (5).", "The answer is (1 + 1)."]
    (tmp_path / "svamp" / "llm" / "test_CoT_0.json").write_text(json.dumps(teacher))
    summary = summarize_split("svamp", "test", data_dir=str(tmp_path))
    assert (summary.n_examples, summary.n_with_teacher, summary.teacher_correct) == (3, 3, 2)
    assert summary.teacher_accuracy == pytest.approx(2 / 3)
    assert summary.as_dict()["most_common_gold"] == [("2", 3)]
    without = summarize_split("svamp", "test", data_dir=str(tmp_path), teacher=False)
    assert without.teacher_accuracy is None and without.n_with_teacher == 0


@pytest.mark.realdata
def test_teacher_accuracy_on_the_release(dss_root: Path) -> None:
    summary = summarize_split("anli1", "test", data_dir=str(dss_root))
    assert (summary.teacher_correct, summary.n_with_teacher) == (656, 1000)
