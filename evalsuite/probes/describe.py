"""A probe run's summary as lines for the terminal (``evalsuite probe``): no arithmetic, only
the numbers of :func:`evalsuite.probes.summary.summarize_probes` laid out."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalsuite.probes.registry import PROBES

__all__ = ["describe_probe_run", "interval_text"]


def interval_text(block: Mapping[str, Any]) -> str:
    """``0.812 [0.701, 0.905]`` for a ``{value, low, high}`` block; ``n/a`` without a value.

    Examples
    --------
    >>> interval_text({"value": 0.5, "low": 0.25, "high": 0.75})
    '0.500 [0.250, 0.750]'
    >>> interval_text({"value": None})
    'n/a'
    """
    if block.get("value") is None:
        return "n/a"
    return f"{block['value']:.3f} [{block['low']:.3f}, {block['high']:.3f}]"


def describe_probe_run(path: Path, summary: Mapping[str, Any]) -> list[str]:
    """One line for the run, then one per probe."""
    lines = [f"{path}: {summary['n_examples']} examples, "
             f"full-rationale accuracy {interval_text(summary['accuracy'])}"]  # fmt: skip
    for name, block in summary["probes"].items():
        label = PROBES[name].label
        if block["kind"] == "robustness":
            for entry in block["rates"]:
                phi = "n/a" if entry["phi"] is None else f"{entry['phi']:.3f}"
                lines.append(
                    f"  {label}, {entry['rate']:.0%} of input tokens replaced: labels changed "
                    f"{interval_text(entry['label_changed'])}, rationale answers changed "
                    f"{interval_text(entry['rationale_changed'])}, agreement "
                    f"{interval_text(entry['agreement'])}, phi {phi} (n={entry['n']})"
                )
        elif block["kind"] == "simulatability":
            groups = ", ".join(
                f"{name.replace('_', '-')} {block[name]['n']} (xe - x "
                + ("n/a" if block[name]["difference"] is None
                   else f"{block[name]['difference']:+.3f}") + ")"
                for name in ("leaked", "non_leaked")
            )  # fmt: skip
            lines.append(f"  {label}: LAS {interval_text(block['las'])} over "
                         f"{block['n_examples']} examples; {groups}")  # fmt: skip
        elif block["kind"] == "curve":
            lines.append(f"  {label}: AOC {interval_text(block['aoc'])} "
                         f"over {block['n_examples']} examples")  # fmt: skip
        else:
            lines.append(
                f"  {label}: accuracy {interval_text(block['accuracy'])} vs full "
                f"{interval_text(block['full_accuracy'])}, answers changed "
                f"{interval_text(block['changed'])} ({block['n_examples']} examples)"
            )
    return lines
