"""summary.md's significance sentences: the verdict follows the sign and the p-value."""

from __future__ import annotations

from typing import Any

from evalsuite.report.markdown import significance_line


def comparison(**changes: Any) -> dict[str, Any]:
    base = {"task": "arith", "method": "mi", "baseline": "standard", "test": "bootstrap",
            "difference": -0.1, "low": -0.15, "high": -0.05, "p_value": 1 / 10_001,
            "p_holm": 1 / 10_001,
            "significant": False, "n": 200, "runs": ["mi"], "baseline_runs": ["standard"],
            "n_resamples": 10_000}  # fmt: skip
    return {**base, **changes}


def test_worse_is_said_with_the_method_resamples_and_shared_examples() -> None:
    # the smallest bootstrap p-value with B = 10000 is 1/(B+1), printed as that number
    assert significance_line(comparison(), 0.05) == (
        "- arith: mi vs standard: significantly worse at alpha = 0.05; -10.0 points "
        "[-15.0, -5.0], paired bootstrap, B = 10000, p = 1.0e-04 (Holm-adjusted p = 1.0e-04), "
        "200 shared examples."
    )


def test_not_significant_and_no_test() -> None:
    line = significance_line(comparison(p_value=0.2, p_holm=0.4), 0.05)
    assert "no significant difference" in line and "p = 0.2 (Holm-adjusted p = 0.4)" in line
    welch = comparison(
        test="welch", low=None, high=None, p_value=0.01, p_holm=0.01, difference=0.2,
        significant=True, runs=["a", "b", "c"], baseline_runs=["d", "e"], n_resamples=None,
    )  # fmt: skip
    assert significance_line(welch, 0.05).endswith(
        "significantly better at alpha = 0.05; +20.0 points, Welch's t-test across seeds, "
        "p = 0.01 (Holm-adjusted p = 0.01), 3 vs 2 runs."
    )
    untested = comparison(test=None, note="no test: comparing across seeds needs ...")
    assert significance_line(untested, 0.05) == (
        "- arith: mi vs standard: no test: comparing across seeds needs ...."
    )
