"""summary.md: the report's tables as Markdown, the significance results in words, the runs.

Written from report.json's document only, so the page a person reads and the numbers a program
reads cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evalsuite.formatting import interval_text, p_value_text
from evalsuite.names import CONFIDENCE_VARIANTS, TEST_LABELS
from evalsuite.report.findings import verdict_of
from evalsuite.report.tables import Table, markdown_escape, render_markdown

__all__ = ["significance_line", "summary_markdown"]


def _size(facts: Mapping[str, Any]) -> str:
    """The runs list's n: ``200``, or ``5 of 200 (partial, --limit 5)`` for a partial run."""
    coverage = facts.get("coverage")
    if not coverage or not coverage["partial"]:
        return str(facts["n"])
    known = coverage["of"] is not None and coverage["of"] > facts["n"]
    of = f" of {coverage['of']}" if known else ""
    limit = f", --limit {coverage['limit']}" if coverage["limit"] is not None else ""
    return f"{facts['n']}{of} (partial{limit})"


def confidence_label(variant: str) -> str:
    """``answer (answer confidence, P(answer tokens | input, rationale))``: which record
    confidence the calibration numbers use, for the report's options line."""
    return f"{variant} ({CONFIDENCE_VARIANTS[variant]})"


_VERDICT_WORDS = {
    "better": "significantly better",
    "worse": "significantly worse",
    "no difference": "no significant difference",
}


def significance_line(comparison: Mapping[str, Any], alpha: float) -> str:
    """One comparison against the baseline in words, with its numbers.

    Parameters
    ----------
    comparison : mapping
        An entry of report.json's ``comparisons``: ``task``, ``method``, ``baseline``, ``test``
        (None when no test applies, with a ``note``), ``difference``, ``low``, ``high``,
        ``p_value``, ``p_holm``, ``significant``, ``n``, ``runs``, ``baseline_runs``.
    alpha : float

    Examples
    --------
    >>> c = {"task": "arith", "method": "dss", "baseline": "standard", "test": "mcnemar",
    ...      "difference": 0.125, "low": None, "high": None, "p_value": 0.002, "p_holm": 0.004,
    ...      "significant": True, "n": 200, "runs": ["d"], "baseline_runs": ["s"]}
    >>> significance_line(c, 0.05)  # doctest: +NORMALIZE_WHITESPACE
    "- arith: dss vs standard: significantly better at alpha = 0.05; +12.5 points,
    McNemar's exact test, p = 0.002 (Holm-adjusted p = 0.004), 200 shared examples."
    """
    c = comparison
    md = markdown_escape
    head = f"- {md(c['task'])}: {md(c['method'])} vs {md(c['baseline'])}"
    if c["test"] is None:
        return f"{head}: {md(c['note'])}."
    diff = 100 * c["difference"]
    verdict = _VERDICT_WORDS[verdict_of(c, alpha).outcome]
    interval = (
        ""
        if c["low"] is None
        else " " + interval_text(100 * c["low"], 100 * c["high"], digits=1, signed=True)
    )
    unit = (
        f"{len(c['runs'])} vs {len(c['baseline_runs'])} runs"
        if c["test"] == "welch"
        else f"{c['n']} shared examples"
    )
    resamples = c.get("n_resamples")
    method = TEST_LABELS[c["test"]] + (f", B = {resamples}" if resamples else "")
    return (
        f"{head}: {verdict} at alpha = {alpha:g}; {diff:+.1f} points{interval}, "
        f"{method}, p {p_value_text(c['p_value'])} "
        f"(Holm-adjusted p {p_value_text(c['p_holm'])}), {unit}."
    )


def summary_markdown(
    name: str, document: Mapping[str, Any], tables: Sequence[Table], figures: Sequence[str]
) -> str:
    """summary.md: warnings (runs whose answers mostly could not be read), how the report was
    made, each table with the significance results after the main one, skipped MI estimates,
    the runs with their manifests' key facts, the figures.

    ``document`` is report.json's (``manifest``, ``warnings``, ``comparisons``, ``mi``);
    ``figures`` are paths relative to the report directory.
    """
    made, config = document["manifest"], document["manifest"]["config"]
    git = made["git"]
    lines = [f"# Report {name}", ""]
    # First, before any number: runs whose accuracy mostly measures unreadable output.
    lines += [f"> **{markdown_escape(w)}**" for w in document.get("warnings", ())]
    lines += [""] if document.get("warnings") else []
    lines += [
        f"Made by evalsuite {made['suite_version']} on {made['created']} from "
        f"{len(made['runs'])} runs (git {git.get('revision') or 'n/a'}"
        f"{', dirty' if git.get('dirty') else ''}). Options: baseline {config['baseline']}, "
        f"test {config['test']}, alpha {config['alpha']:g}, seed {config['seed']}, "
        f"confidence {confidence_label(config.get('confidence', 'answer'))}. "
        "Every number is in report.json.",
        "",
    ]
    for table in tables:
        lines += [render_markdown(table)]
        if table.label == "tab:dependence":  # its verdicts in a sentence from the numbers
            lines += [*document.get("dependence", {}).get("findings", []), ""]
        if table.label == "tab:main":
            lines += ["## Significance against the baseline", ""]
            comparisons = document["comparisons"]
            if config["baseline"] is None:
                lines += ["No baseline given (--baseline METHOD), so nothing was tested.", ""]
            elif not comparisons:
                lines += [f"No other method shares a task with {config['baseline']}.", ""]
            else:
                lines += [f"{sentence}" for sentence in document.get("findings", [])] + [""]
                lines += ["In detail (each verdict is its test's p-value at alpha; the "
                          "Holm-adjusted p-values are given beside it):", ""]  # fmt: skip
                lines += [significance_line(c, config["alpha"]) for c in comparisons] + [""]
    if not document["mi"]["estimates"]:
        lines += [
            "No mutual information: no run has representations.npz (or --mi-estimators none).",
            "",
        ]
    skipped = document["mi"]["skipped"]
    md = markdown_escape
    lines += [
        f"- MI {md(s['estimator'])} skipped for {md(s['run'])}: {md(s['reason'])}" for s in skipped
    ]
    lines += [""] if skipped else []
    lines += [
        "## Runs",
        "",
        "| run | method | task | split | seed | decoding seed | kind | n | status | model | path |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in made["runs"]:
        seed, decoding_seed = ("–" if v is None else v for v in (f["seed"], f["decoding_seed"]))
        cells = [f["name"], f["method"], f["task"], f["split"], seed, decoding_seed, f["kind"],
                 _size(f), f["status"], f["model"] or "–", f["path"]]  # fmt: skip
        # Names and paths are the user's text: escaped, so a | or a newline cannot break the row.
        lines.append("| " + " | ".join(md(str(cell)) for cell in cells) + " |")
    lines += ["", "## Figures", ""] + [f"- [{p}]({p})" for p in figures]
    return "\n".join(lines) + "\n"
