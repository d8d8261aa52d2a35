"""Report figures draw the numbers they are given: curves, intervals, bound markers, file names."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.collections import LineCollection

from evalsuite.metrics.calibration import selective_prediction_curve
from evalsuite.metrics.mutual_info import MIEstimate
from evalsuite.report.figures import (
    plot_accuracy_coverage,
    plot_mutual_information,
    slug,
    write_report_figures,
)
from tests.metrics.runs import record


def test_accuracy_coverage_draws_each_curve_with_its_aurc() -> None:
    # confidences 0.9 0.8 0.7 0.6, right, right, wrong, wrong: keeping the k most confident
    # gives accuracy 1, 1, 2/3, 1/2; AURC = mean risk = (0 + 0 + 1/3 + 1/2) / 4 = 0.208, and
    # reversed correctness (1 - those accuracies) (1 + 1 + 2/3 + 1/2) / 4 = 0.792
    good = selective_prediction_curve([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 0])
    bad = selective_prediction_curve([0.9, 0.8, 0.7, 0.6], [0, 0, 1, 1])
    fig = plot_accuracy_coverage([("good", good), ("bad", bad)], title="arith")
    ax = fig.axes[0]
    first, second = ax.lines
    assert first.get_xdata().tolist() == [0.25, 0.5, 0.75, 1.0]
    assert first.get_ydata() == pytest.approx([1.0, 1.0, 2 / 3, 0.5])
    assert second.get_ydata() == pytest.approx([0.0, 0.0, 1 / 3, 0.5])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["good (AURC 0.208)", "bad (AURC 0.792)"]
    assert ax.get_title() == "arith"


def test_mutual_information_intervals_and_bound_markers() -> None:
    estimate = MIEstimate("ksg", 0.5, 0.4, 0.7, n=100, kind="estimate", caveat="")
    lower = MIEstimate("infonce", 1.0, 0.9, 1.2, n=100, kind="lower bound", caveat="")
    fig = plot_mutual_information([("dss", estimate), ("mi", lower)])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["dss: ksg", "mi: infonce"]
    assert ax.get_yticks().tolist() == [1, 0]  # the first estimate on top
    segments = [c.get_segments()[0] for c in ax.collections if isinstance(c, LineCollection)]
    spans = sorted((round(s[0][0], 9), round(s[1][0], 9), s[0][1]) for s in segments)
    assert spans == [(0.4, 0.7, 1.0), (0.9, 1.2, 0.0)]
    markers = [line.get_marker() for line in ax.lines if line.get_linestyle() == "None"]
    assert markers[:1] == ["o"] and ">" in markers  # a lower bound points to where MI may lie


def test_slug() -> None:
    assert slug("dss / arith seed 1") == "dss_arith_seed_1"
    assert slug("runs/x [a b]") == "runs_x_a_b"
    assert slug("///") == "run"


def test_write_report_figures(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    scored = [record(i, correct=bool(rng.random() < 0.7), confidence=0.7) for i in range(30)]
    teacher = [record(i) for i in range(30)]  # no confidences: no reliability diagram
    estimate = MIEstimate("ksg", 0.5, 0.4, 0.6, n=30, kind="estimate", caveat="")
    before = dict(mpl.rcParams)
    paths = write_report_figures(
        [("dss", "arith", scored), ("dss", "svamp", scored), ("teacher", "arith", teacher)],
        [("dss", estimate)],
        tmp_path,
    )
    names = [p.name for p in paths]
    assert names == [
        "reliability_dss.png", "reliability_dss.pdf",
        "reliability_dss_1.png", "reliability_dss_1.pdf",  # the same label twice stays two files
        "accuracy_coverage_arith.png", "accuracy_coverage_arith.pdf",
        "accuracy_coverage_svamp.png", "accuracy_coverage_svamp.pdf",
        "mutual_information.png", "mutual_information.pdf",
    ]  # fmt: skip
    assert all(p.parent == tmp_path and p.stat().st_size > 1000 for p in paths)
    assert (tmp_path / "reliability_dss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "mutual_information.pdf").read_bytes()[:5] == b"%PDF-"
    assert dict(mpl.rcParams) == before
