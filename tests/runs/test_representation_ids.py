"""representations.npz is checked against the run's records before `mi` or `report` use it.

Regression: `mi` and `report` ignored the ids in representations.npz, so ids that match no
record, duplicate ids and 32 rows for 1 record all passed and paired rows with the wrong
examples.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evalsuite.errors import DataError
from evalsuite.runs import REPRESENTATIONS, read_run
from tests.metrics.runs import record, write_run

N = 12


def _run(root: Path, name: str, reps: dict[str, np.ndarray]) -> Path:
    return write_run(root / name, [record(i) for i in range(N)], representations=reps)


def _reps(ids: list[str], rows: int | None = None) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    n = len(ids) if rows is None else rows
    x = rng.normal(size=(n, 4))
    return {"ids": np.array(ids), "label_repr": x, "rationale_repr": x + rng.normal(size=(n, 4))}


GOOD = [str(i) for i in range(N)]
BROKEN = {
    "unknown": (_reps([*GOOD[:-1], "nobody"]), r"1 ids match no record of the run, e.g. 'nobody'"),
    "duplicate": (_reps([*GOOD[:-1], "0"]), r"id '0' occurs twice in 'ids'"),
    "rows": (_reps(GOOD[:1], rows=32), r"'label_repr' has 32 rows but 'ids' has 1 entries"),
    "no_ids": ({"label_repr": np.zeros((N, 2))}, r"no 'ids' array"),
    "nested_ids": (
        {"ids": np.array([GOOD]), "label_repr": np.zeros((1, 2))},
        r"'ids' must be a flat list of example ids, got shape \(1, 12\)",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_the_reader_refuses_ids_that_disagree_with_the_records(tmp_path, case) -> None:
    reps, message = BROKEN[case]
    run = read_run(_run(tmp_path, case, reps))
    with pytest.raises(DataError, match=rf"{case}/{REPRESENTATIONS}: {message}"):
        run.representations()


@pytest.mark.parametrize("case", ["unknown", "duplicate", "rows"])
def test_mi_and_report_refuse_them_in_one_line(tmp_path, cli, case) -> None:
    reps, message = BROKEN[case]
    run = _run(tmp_path, case, reps)
    for args in (("mi", run), ("report", run, "--out", tmp_path / f"report-{case}",
                                "--no-figures", "--mi-estimators", "ksg")):  # fmt: skip
        result = cli(*args)
        assert result.code == 2, (args[0], result.err)
        assert result.out == "" or args[0] == "report"
        assert result.err.strip().splitlines()[-1].endswith(message.replace("\\", "")), result.err
        assert "Traceback" not in result.err
    assert not (tmp_path / f"report-{case}").exists()


def test_a_subset_of_the_records_in_another_order_is_fine(tmp_path) -> None:
    # Rows need not cover every record (a run scored without some) nor follow their order.
    ids = GOOD[::-1][:5]
    run = read_run(_run(tmp_path, "subset", _reps(ids)))
    reps = run.representations()
    assert reps is not None and list(reps.ids) == ids and reps.array("label_repr").shape == (5, 4)


def test_an_unreadable_file_is_one_line(tmp_path) -> None:
    run = _run(tmp_path, "bad", _reps(GOOD))
    (run / REPRESENTATIONS).write_bytes(b"not a zip file")
    with pytest.raises(DataError, match=r"bad/representations\.npz: unreadable"):
        read_run(run).representations()
