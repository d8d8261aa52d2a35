"""Meeting other evaluation harnesses: their logs read as runs, runs written as their logs.

lm-evaluation-harness sample logs (:mod:`.lm_eval_samples`) and inspect_ai logs
(:mod:`.inspect_logs`, with inspect_ai's own reader and writer, an optional extra) become runs
whose records join the task's examples by id and text (:mod:`.joining`), so ``compare``,
``metrics``, ``report`` and the explorer treat them like any other run.
"""

__all__ = ["EXPORT_FORMATS", "IMPORT_FORMATS"]

IMPORT_FORMATS = ("jsonl", "lm-eval", "inspect")
"""What ``import-predictions --from`` reads: evalsuite's own JSONL, an lm-eval samples file, an
inspect_ai log."""

EXPORT_FORMATS = ("lm-eval", "inspect")
"""What ``export --to`` writes."""
